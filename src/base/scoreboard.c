/*
 * NAME
 *	scoreboard - what PID 1 counts, in one shared page others may read
 *
 * DESCRIPTION
 *	See scoreboard.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "base/scoreboard.h"

static struct scoreboard *board;

void scoreboard_path(const char *root, char *out, size_t size)
{
	snprintf(out, size, "%s/scoreboard", root[0] ? root : "/run");
}

struct scoreboard *scoreboard_create(const char *path)
{
	char temporary[4096];
	void *map;
	int fd;

	/* A new file renamed over the old: a reader still mapping the old one keeps it. */
	if (snprintf(temporary, sizeof(temporary), "%s.new", path) >= (int)sizeof(temporary))
		return NULL;
	unlink(temporary);
	fd = open(temporary, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC | O_NOFOLLOW, 0644);
	/* Allocated now, not sparse: a full tmpfs is an error here, not a SIGBUS at a count. */
	int error = fd < 0                  ? errno
		    : fchmod(fd, 0644) != 0 ? errno
					    : posix_fallocate(fd, 0, sizeof(*board));
	if (error != 0) {
		log_error("metrics: cannot make %s: %s", temporary, strerror(error));
		if (fd >= 0)
			close(fd);
		unlink(temporary);
		return NULL;
	}
	map = mmap(NULL, sizeof(*board), PROT_READ | PROT_WRITE, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED) {
		log_error_sys("metrics: cannot map %s", temporary);
		unlink(temporary);
		return NULL;
	}
	/* Whole before it has its name: a reader never sees a board half made. */
	struct scoreboard *made = map;
	made->size = sizeof(*made);
	made->began = (int64_t)time(NULL);
	for (size_t i = 0; i < SCOREBOARD_SERVICES; i++)
		made->services[i].last_exit = -1;
	made->magic = SCOREBOARD_MAGIC;
	if (rename(temporary, path) != 0) {
		log_error_sys("metrics: cannot set up %s", path);
		munmap(map, sizeof(*made));
		unlink(temporary);
		return NULL;
	}
	board = made;
	return board;
}

const struct scoreboard *scoreboard_open(const char *path)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
	struct stat st;
	void *map;

	if (fd < 0)
		return NULL;
	if (fstat(fd, &st) != 0 || st.st_size != (off_t)sizeof(struct scoreboard)) {
		close(fd);
		errno = EPROTO;
		return NULL;
	}
	map = mmap(NULL, sizeof(struct scoreboard), PROT_READ, MAP_SHARED, fd, 0);
	close(fd);
	if (map == MAP_FAILED)
		return NULL;
	const struct scoreboard *mapped = map;
	if (mapped->magic != SCOREBOARD_MAGIC || mapped->size != sizeof(*mapped)) {
		munmap(map, sizeof(struct scoreboard));
		errno = EPROTO;
		return NULL;
	}
	return mapped;
}

void scoreboard_service_started(size_t index, const char *name, int64_t now)
{
	if (board == NULL || index >= SCOREBOARD_SERVICES)
		return;
	struct scoreboard_service *s = &board->services[index];

	snprintf(s->name, sizeof(s->name), "%s", name);
	s->started = now;
	s->starts++;
	s->up = 1;
}

void scoreboard_service_exited(size_t index, int status)
{
	if (board == NULL || index >= SCOREBOARD_SERVICES)
		return;
	board->services[index].up = 0;
	board->services[index].last_exit = status;
}

void scoreboard_count(size_t counter, uint64_t amount)
{
	if (board != NULL && counter < SCOREBOARD_COUNTERS)
		board->counters[counter] += amount;
}
