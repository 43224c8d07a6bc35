/*
 * NAME
 *	file - read a file whole; write one whole or not at all
 *
 * DESCRIPTION
 *	See file.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/file.h"

#define MTIME_IN_PAST_S 2

/* Files that report no size (/proc, /sys) are read to their end, up to this much. */
#define SIZELESS_MAX (1 << 20)

/* The rest of FD, read whole; NULL with errno set. FD is closed. */
static char *read_whole(int fd, size_t *len)
{
	struct stat st;
	char *data;
	ssize_t got;
	size_t total = 0, want;

	if (fstat(fd, &st) != 0) {
		close(fd);
		return NULL;
	}
	want = st.st_size > 0 ? (size_t)st.st_size : SIZELESS_MAX;
	if ((data = malloc(want + 1)) == NULL) {
		close(fd);
		return NULL;
	}
	while (total < want && (got = read(fd, data + total, want - total)) > 0)
		total += (size_t)got;
	close(fd);
	data[total] = '\0';
	if (len)
		*len = total;
	return data;
}

char *file_read(const char *path, size_t *len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	return fd < 0 ? NULL : read_whole(fd, len);
}

/* NAME in DIR_FD; a symbolic link only to a file beneath DIR_FD (openat2 RESOLVE_BENEATH). */
static int open_beneath(int dir_fd, const char *name)
{
	struct open_how how = {.flags = O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK,
			       .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
	long fd = syscall(SYS_openat2, dir_fd, name, &how, sizeof(how));

	if (fd < 0 && errno == ENOSYS) /* before Linux 5.6: no link at all */
		return openat(dir_fd, name,
			      O_RDONLY | O_CLOEXEC | O_NOCTTY | O_NONBLOCK | O_NOFOLLOW);
	return (int)fd;
}

char *file_read_at(int dir_fd, const char *name, size_t *len)
{
	int fd = open_beneath(dir_fd, name);
	struct stat st;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0) {
		close(fd);
		return NULL;
	}
	if (!S_ISREG(st.st_mode) || st.st_size > SIZELESS_MAX) {
		close(fd);
		errno = S_ISREG(st.st_mode) ? EFBIG : EINVAL;
		return NULL;
	}
	return read_whole(fd, len);
}

static int already_written(const char *path, const char *data, size_t len, mode_t mode, uid_t uid,
			   gid_t gid)
{
	struct stat st;
	size_t old_len;
	char *old;
	int same;

	if (stat(path, &st) != 0 || (st.st_mode & 07777) != mode ||
	    (uid != (uid_t)-1 && st.st_uid != uid) || (gid != (gid_t)-1 && st.st_gid != gid) ||
	    (size_t)st.st_size != len)
		return 0;
	if ((old = file_read(path, &old_len)) == NULL)
		return 0;
	same = old_len == len && memcmp(old, data, len) == 0;
	free(old);
	return same;
}

static int sync_directory_of(const char *path)
{
	char copy[PATH_MAX];
	int fd, status;

	snprintf(copy, sizeof(copy), "%s", path);
	fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (fd < 0)
		return -1;
	status = fsync(fd);
	close(fd);
	return status;
}

int file_write(const char *path, const char *data, size_t len, mode_t mode, uid_t uid, gid_t gid)
{
	char temp[PATH_MAX];
	struct timespec past[2];
	size_t done = 0;
	int fd;

	if (already_written(path, data, len, mode, uid, gid))
		return 0;
	if (snprintf(temp, sizeof(temp), "%s.mailinit-XXXXXX", path) >= (int)sizeof(temp)) {
		log_error("%s: path too long", path);
		return -1;
	}
	if ((fd = mkostemp(temp, O_CLOEXEC)) < 0) {
		log_error_sys("cannot create a file next to %s", path);
		return -1;
	}
	if (fchmod(fd, mode) != 0 ||
	    ((uid != (uid_t)-1 || gid != (gid_t)-1) && fchown(fd, uid, gid) != 0)) {
		log_error_sys("cannot set mode or owner of %s", temp);
		goto fail;
	}
	while (done < len) {
		ssize_t wrote = write(fd, data + done, len - done);

		if (wrote < 0 && errno == EINTR)
			continue;
		if (wrote <= 0) {
			log_error_sys("cannot write %s", temp);
			goto fail;
		}
		done += (size_t)wrote;
	}
	clock_gettime(CLOCK_REALTIME, &past[0]);
	past[0].tv_sec -= MTIME_IN_PAST_S;
	past[1] = past[0];
	if (fsync(fd) != 0 || futimens(fd, past) != 0) {
		log_error_sys("cannot sync %s", temp);
		goto fail;
	}
	close(fd);
	if (rename(temp, path) != 0) {
		log_error_sys("cannot rename %s to %s", temp, path);
		unlink(temp);
		return -1;
	}
	if (sync_directory_of(path) != 0)
		log_warn("cannot sync the directory of %s: %s", path, strerror(errno));
	return 0;
fail:
	close(fd);
	unlink(temp);
	return -1;
}

int file_mkdirs(const char *path, mode_t mode, uid_t uid, gid_t gid)
{
	char partial[PATH_MAX];
	size_t len = strlen(path);

	if (len >= sizeof(partial)) {
		log_error("%s: path too long", path);
		return -1;
	}
	for (size_t i = 1; i <= len; i++) {
		if (path[i] != '/' && path[i] != '\0')
			continue;
		memcpy(partial, path, i);
		partial[i] = '\0';
		if (mkdir(partial, mode) == 0) {
			if ((uid != (uid_t)-1 || gid != (gid_t)-1) &&
			    chown(partial, uid, gid) != 0) {
				log_error_sys("cannot set the owner of %s", partial);
				return -1;
			}
			/* mkdir applies the umask; the mode asked for is the mode. */
			if (chmod(partial, mode) != 0) {
				log_error_sys("cannot set the mode of %s", partial);
				return -1;
			}
		} else if (errno != EEXIST) {
			log_error_sys("cannot create %s", partial);
			return -1;
		}
	}
	return 0;
}
