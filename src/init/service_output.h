/*
 * NAME
 *	service_output - what a service writes to stdout and stderr, as log lines
 *
 * SYNOPSIS
 *	struct service_output out;
 *	if (service_output_open(&out) != 0) fail;     (logged)
 *	proc_spawn_output(argv, out.write_fd);        the service's stdout and stderr
 *	poll out.read_fd for POLLIN, then
 *	service_output_drain(&out, "rspamd", false);  each whole line logged
 *	service_output_drain(&out, "rspamd", true);   at the end: the rest too
 *	service_output_close(&out);
 *
 * DESCRIPTION
 *	A daemon that prints before its logging is set up (rspamd's first
 *	line, a configuration error) would otherwise write raw text into the
 *	container log, in no format: a JSON log (LOG_FORMAT=json) would stop
 *	parsing there. Each line becomes one log record of program NAME,
 *	written as the syslog sink writes a datagram (syslog_sink.h), plain or
 *	JSON. The pipe is the service's for the run, used by every restart;
 *	PID 1 never blocks on it (its end does not block), and nothing here
 *	allocates: a line longer than the buffer is written in pieces.
 */
#ifndef MAILINIT_SERVICE_OUTPUT_H
#define MAILINIT_SERVICE_OUTPUT_H

#include <stdbool.h>
#include <stddef.h>

#define SERVICE_OUTPUT_LINE_MAX 512

struct service_output {
	int read_fd, write_fd; /* -1: none */
	size_t len;            /* bytes of an unfinished line in buf */
	char buf[SERVICE_OUTPUT_LINE_MAX];
};

int service_output_open(struct service_output *out);
void service_output_drain(struct service_output *out, const char *name, bool flush);
void service_output_close(struct service_output *out);

#endif
