/*
 * NAME
 *	log - one line per event on standard error
 *
 * SYNOPSIS
 *	log_info("%s: started with pid %d", name, pid);
 *	log_error_sys("cannot open %s", path);   (appends strerror(errno))
 *
 * DESCRIPTION
 *	Every line starts with "mailinit: " and, above info, the level, so a
 *	reader of the container log can grep "mailinit: error:". Each line is
 *	written with a single write(2) so lines from several processes sharing
 *	the container log do not interleave.
 *
 *	With log_set_json(true) (LOG_FORMAT=json) each line is instead one JSON
 *	object: {"time":"2026-11-22T01:02:03.456Z","program":"mailinit",
 *	"pid":1,"level":"info","message":"..."}; the syslog sink writes the
 *	daemons' lines in the same shape.
 *
 *	PID 1 calls log_never_block(): a log nobody reads costs lines, never the supervisor.
 */
#ifndef MAILINIT_LOG_H
#define MAILINIT_LOG_H

#include <stdbool.h>
#include <stddef.h>

enum log_level { LOG_LEVEL_DEBUG, LOG_LEVEL_INFO, LOG_LEVEL_WARN, LOG_LEVEL_ERROR };

void log_set_level(enum log_level level);
enum log_level log_get_level(void);
void log_set_json(bool json);
bool log_is_json(void);
/* "2026-11-22T01:02:03.456Z", the JSON lines' time, into out. */
void log_json_time(char *out, size_t size);
/*
 * From now on, never block on the log (PID 1): standard output and error, when pipes or
 * terminals, are written through non-blocking descriptions of this process's own; a line
 * a full pipe refuses is dropped, and the count is logged with the next line that fits.
 */
void log_never_block(void);
/* Back to standard output and error, for a child that closes every other descriptor. */
void log_standard_fds(void);
/* A finished line (the syslog sink's) to standard output, as log_never_block says. */
void log_write_out(const char *line, size_t len);
/* Parse "debug", "info", "warn" or "error"; false if it is none of them. */
bool log_level_parse(const char *text, enum log_level *level);

void log_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_info(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_warn(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
void log_error_sys(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

#endif
