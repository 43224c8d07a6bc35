/*
 * NAME
 *	lock - one writer at a time in a directory
 *
 * DESCRIPTION
 *	See lock.h.
 */
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <sys/file.h>
#include <unistd.h>

#include "base/file.h"
#include "base/lock.h"
#include "base/log.h"

int lock_directory(const char *dir)
{
	char path[PATH_MAX];
	int fd;

	snprintf(path, sizeof(path), "%s/.lock", dir);
	if (file_mkdirs(dir, 0755, (uid_t)-1, (gid_t)-1) != 0)
		return -1;
	fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (fd < 0 || flock(fd, LOCK_EX) != 0) {
		log_error_sys("cannot lock %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}
