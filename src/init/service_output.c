/*
 * NAME
 *	service_output - what a service writes to stdout and stderr, as log lines
 *
 * DESCRIPTION
 *	See service_output.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "base/log.h"
#include "init/service_output.h"
#include "init/syslog_sink.h"

int service_output_open(struct service_output *out)
{
	int fds[2];

	out->read_fd = out->write_fd = -1;
	out->len = 0;
	if (pipe2(fds, O_CLOEXEC) != 0 || fcntl(fds[0], F_SETFL, O_NONBLOCK) != 0) {
		log_error_sys("cannot make a pipe for a service's output");
		return -1;
	}
	out->read_fd = fds[0];
	out->write_fd = fds[1];
	return 0;
}

/* One line, as a daemon.notice datagram from NAME: the sink formats it. */
static void emit(const char *name, const char *line, size_t len)
{
	char datagram[SERVICE_OUTPUT_LINE_MAX + 64];
	int n = snprintf(datagram, sizeof(datagram), "<29>%s: %.*s", name, (int)len, line);

	if (len > 0 && n > 0)
		syslog_sink_emit(datagram,
				 (size_t)n < sizeof(datagram) ? (size_t)n : sizeof(datagram) - 1);
}

/* Reads per wake-up: a service that prints without pause must not keep PID 1 from its
 * signals and children (poll wakes it again at once for the rest). The last drain of a
 * stopped service (flush) reads all that is left. */
#define DRAIN_READS 16

void service_output_drain(struct service_output *out, const char *name, bool flush)
{
	ssize_t got;
	int reads = 0;

	if (out->read_fd < 0)
		return;
	do {
		got = read(out->read_fd, out->buf + out->len, sizeof(out->buf) - out->len);
		if (got > 0)
			out->len += (size_t)got;
		char *start = out->buf, *nl;
		size_t left = out->len;

		while ((nl = memchr(start, '\n', left)) != NULL) {
			emit(name, start, (size_t)(nl - start));
			left -= (size_t)(nl - start) + 1;
			start = nl + 1;
		}
		if (left == sizeof(out->buf)) { /* a line longer than the buffer: a piece */
			emit(name, start, left);
			left = 0;
		}
		memmove(out->buf, start, left);
		out->len = left;
	} while ((got > 0 || (got < 0 && errno == EINTR)) && (flush || ++reads < DRAIN_READS));
	if (flush && out->len > 0) {
		emit(name, out->buf, out->len);
		out->len = 0;
	}
}

void service_output_close(struct service_output *out)
{
	if (out->read_fd >= 0)
		close(out->read_fd);
	if (out->write_fd >= 0)
		close(out->write_fd);
	out->read_fd = out->write_fd = -1;
}
