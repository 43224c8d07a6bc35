/*
 * NAME
 *	watch - see changes in a few directories, without polling
 *
 * DESCRIPTION
 *	See watch.h.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/inotify.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/log.h"
#include "init/watch.h"

#define WATCH_EVENTS                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |        \
	 IN_DELETE_SELF | IN_MOVE_SELF)

/* The directories watched with their subdirectories ("DIR/+"), by watch descriptor. */
static struct {
	int wd;
	char path[PATH_MAX];
} deep[WATCH_DEEP_MAX];
static size_t deep_count;

static int add(int fd, const char *dir)
{
	int wd = inotify_add_watch(fd, dir, WATCH_EVENTS | IN_ONLYDIR);

	if (wd < 0)
		log_warn("cannot watch %s for changes (%s): a change there needs "
			 "\"mailinit reload\"",
			 dir, strerror(errno));
	else
		log_debug("watching %s for changes", dir);
	return wd;
}

/* PARENT/NAME, when it is a directory (or a link to one) whose name has no leading dot. */
static void add_subdirectory(int fd, const char *parent, const char *name)
{
	char path[PATH_MAX];
	struct stat st;

	if (name[0] != '.' &&
	    snprintf(path, sizeof(path), "%s/%s", parent, name) < (int)sizeof(path) &&
	    stat(path, &st) == 0 && S_ISDIR(st.st_mode))
		add(fd, path);
}

static void add_subdirectories(int fd, const char *parent)
{
	DIR *d = opendir(parent);
	struct dirent *entry;

	while (d && (entry = readdir(d)) != NULL) {
		if (entry->d_type == DT_DIR || entry->d_type == DT_UNKNOWN ||
		    entry->d_type == DT_LNK)
			add_subdirectory(fd, parent, entry->d_name);
	}
	if (d)
		closedir(d);
}

/* PARENT and each of its subdirectories; those made later are added by watch_drain. */
static void add_deep(int fd, const char *parent)
{
	int wd = add(fd, parent);

	if (wd < 0 || deep_count == WATCH_DEEP_MAX)
		return;
	deep[deep_count].wd = wd;
	snprintf(deep[deep_count].path, sizeof(deep[0].path), "%s", parent);
	deep_count++;
	add_subdirectories(fd, parent);
}

int watch_open(char *const *dirs, size_t count)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0) {
		log_error_sys("inotify");
		return -1;
	}
	deep_count = 0;
	for (size_t i = 0; i < count; i++) {
		size_t len = strlen(dirs[i]);
		char parent[PATH_MAX];

		if (len > 2 && strcmp(dirs[i] + len - 2, "/+") == 0 && len - 2 < sizeof(parent)) {
			memcpy(parent, dirs[i], len - 2);
			parent[len - 2] = '\0';
			add_deep(fd, parent);
		} else {
			add(fd, dirs[i]);
		}
	}
	return fd;
}

/* A directory made in (or moved or linked into) a deep one is watched too; after lost
   events (the queue overflowed), every deep one is looked through again. */
static void follow_new_directory(int fd, const struct inotify_event *event)
{
	for (size_t i = 0; i < deep_count; i++) {
		if (event->mask & IN_Q_OVERFLOW)
			add_subdirectories(fd, deep[i].path);
		else if (deep[i].wd == event->wd && event->len &&
			 (event->mask & (IN_CREATE | IN_MOVED_TO)))
			add_subdirectory(fd, deep[i].path, event->name);
	}
}

static bool ends_with(const char *text, const char *suffix)
{
	size_t len = strlen(text), n = strlen(suffix);

	return len >= n && strcmp(text + len - n, suffix) == 0;
}

bool watch_name_matters(const char *name)
{
	if (name[0] == '.' && name[1] != '.')
		return false;
	return !ends_with(name, "~") && !ends_with(name, ".swp") && !ends_with(name, ".swx");
}

bool watch_drain(int fd)
{
	char buffer[4096] __attribute__((aligned(__alignof__(struct inotify_event))));
	bool matters = false;
	ssize_t got;

	while ((got = read(fd, buffer, sizeof(buffer))) > 0) {
		for (char *p = buffer; p < buffer + got;) {
			const struct inotify_event *event = (const struct inotify_event *)p;

			/* No name: the directory itself went or moved; IN_Q_OVERFLOW: anything. */
			if (event->len == 0 || watch_name_matters(event->name))
				matters = true;
			follow_new_directory(fd, event);
			p += sizeof(*event) + event->len;
		}
	}
	return matters;
}
