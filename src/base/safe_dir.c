/*
 * NAME
 *	safe_dir - directories below a trusted one, never through a symlink
 *
 * DESCRIPTION
 *	See safe_dir.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "base/safe_dir.h"

int safe_dir_refused(int error)
{
	return error == ELOOP || error == ENOTDIR;
}

static int set_owner_and_mode(int fd, const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	struct stat st;

	if (fstat(fd, &st) != 0) {
		log_error_sys("cannot stat %s", path);
		return -1;
	}
	if ((uid != (uid_t)-1 && st.st_uid != uid) || (gid != (gid_t)-1 && st.st_gid != gid)) {
		if (fchown(fd, uid, gid) != 0) {
			log_error_sys("cannot set the owner of %s", path);
			return -1;
		}
	}
	if ((st.st_mode & 07777) != mode && fchmod(fd, mode) != 0) {
		log_error_sys("cannot set the mode of %s", path);
		return -1;
	}
	return 0;
}

int safe_dir_open(int parent_fd, const char *name, const char *path, mode_t mode, uid_t uid,
		  gid_t gid, int flags)
{
	const int open_flags = O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC;
	int fd = openat(parent_fd, name, open_flags), created = 0, saved;

	if (fd < 0 && errno == ENOENT && (flags & SAFE_DIR_CREATE)) {
		if (mkdirat(parent_fd, name, 0700) != 0 && errno != EEXIST) {
			log_error_sys("cannot create %s", path);
			return -1;
		}
		created = 1;
		fd = openat(parent_fd, name, open_flags);
	}
	if (fd < 0) {
		saved = errno;
		if (safe_dir_refused(saved))
			log_warn(
			    "%s is a symbolic link or not a directory: left alone (a directory "
			    "belongs there; remove what is there to have it made)",
			    path);
		else if (saved != ENOENT)
			log_error_sys("cannot open %s", path);
		errno = saved;
		return -1;
	}
	if ((created || (flags & SAFE_DIR_OWN)) &&
	    set_owner_and_mode(fd, path, mode, uid, gid) != 0) {
		saved = errno;
		close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}
