/*
 * NAME
 *	syslog_sink - a /dev/log that writes to stdout
 *
 * SYNOPSIS
 *	int fd = syslog_sink_open("/dev/log");      (-1: logged)
 *	syslog_sink_drain(fd, false);               when poll says it is readable
 *	syslog_sink_emit("<29>rspamd: text", len)   one record from elsewhere
 *	syslog_format(datagram, len, line, size)    the line that is written
 *	syslog_sink_observe(fn, context)            fn(line, len, uid, context) for each
 *	                                            datagram received, after it is written
 *	                                            (two observers: the bans, the metrics)
 *
 * DESCRIPTION
 *	Daemons that can only use syslog (OpenDKIM) are heard without rsyslog:
 *	mailinit binds a datagram socket where syslog(3) sends, and writes each
 *	message as one line "PROGRAM[PID]: text" to stdout, the container log.
 *	The "<PRI>" and the RFC 3164 time stamp are dropped (the container
 *	runtime stamps lines); control characters become spaces, so one
 *	datagram is always exactly one line.
 *
 *	When the log is JSON (log_is_json()), each message is instead one
 *	object: {"time":...,"program":"opendkim","pid":42,"level":"info",
 *	"facility":"mail","message":"..."}; level and facility come from the
 *	"<PRI>", time is when mailinit received it.
 *
 *	An observer sees each received line in the plain format, with the uid
 *	of the process that sent it (SCM_CREDENTIALS; -1 if unknown), so a
 *	line can be believed by who wrote it: /dev/log is open to every uid.
 *	Lines of the services' own output (syslog_sink_emit) are not observed.
 */
#ifndef MAILINIT_SYSLOG_SINK_H
#define MAILINIT_SYSLOG_SINK_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

typedef void syslog_observer(const char *line, size_t len, uid_t uid, void *context);

int syslog_sink_open(const char *path);
void syslog_sink_drain(int fd, bool all);
void syslog_sink_observe(syslog_observer *fn, void *context);
/* One datagram, formatted and written as the sink writes what it receives. */
void syslog_sink_emit(const char *datagram, size_t len);
size_t syslog_format(const char *datagram, size_t len, char *line, size_t size);
struct buffer;
void syslog_format_json(const char *datagram, size_t len, const char *time, struct buffer *out);

#endif
