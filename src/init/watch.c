/*
 * NAME
 *	watch - see changes in a few directories, without polling
 *
 * DESCRIPTION
 *	See watch.h.
 */
#include <errno.h>
#include <stdint.h>
#include <string.h>
#include <sys/inotify.h>
#include <unistd.h>

#include "base/log.h"
#include "init/watch.h"

#define WATCH_EVENTS                                                                               \
	(IN_CLOSE_WRITE | IN_MOVED_TO | IN_MOVED_FROM | IN_CREATE | IN_DELETE | IN_ATTRIB |        \
	 IN_DELETE_SELF | IN_MOVE_SELF)

int watch_open(char *const *dirs, size_t count)
{
	int fd = inotify_init1(IN_NONBLOCK | IN_CLOEXEC);

	if (fd < 0) {
		log_error_sys("inotify");
		return -1;
	}
	for (size_t i = 0; i < count; i++) {
		if (inotify_add_watch(fd, dirs[i], WATCH_EVENTS | IN_ONLYDIR) < 0)
			log_warn("cannot watch %s for changes (%s): a change there needs "
				 "\"mailinit reload\"",
				 dirs[i], strerror(errno));
		else
			log_debug("watching %s for changes", dirs[i]);
	}
	return fd;
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
			p += sizeof(*event) + event->len;
		}
	}
	return matters;
}
