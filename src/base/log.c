/*
 * NAME
 *	log - one line per event on standard error
 *
 * DESCRIPTION
 *	See log.h. The level is the only state here; it is set once at start.
 */
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/json.h"
#include "base/log.h"
#include "base/text.h"

static enum log_level threshold = LOG_LEVEL_INFO;
static bool json_lines;

void log_set_json(bool json)
{
	json_lines = json;
}

bool log_is_json(void)
{
	return json_lines;
}

void log_json_time(char *out, size_t size)
{
	struct timespec ts;
	struct tm tm;

	clock_gettime(CLOCK_REALTIME, &ts);
	gmtime_r(&ts.tv_sec, &tm);
	size_t n = strftime(out, size, "%Y-%m-%dT%H:%M:%S", &tm);
	snprintf(out + n, size - n, ".%03ldZ", ts.tv_nsec / 1000000);
}

#define MESSAGE_MAX 2048
/* Every character of a message escaped as \u00XX, and the fields around it. */
#define JSON_LINE_MAX (6 * MESSAGE_MAX + 256)

/*
 * {"time":...,"program":"mailinit","pid":N,"level":...,"message":...}
 * Built in static storage: PID 1 never allocates for a log line, so it
 * cannot die of one. Single-threaded; a signal handler never logs.
 */
static void write_json(enum log_level level, const char *message, size_t len)
{
	static const char *const names[] = {"debug", "info", "warning", "error"};
	static char storage[JSON_LINE_MAX];
	struct buffer b;
	char time[40];

	buffer_over(&b, storage, sizeof(storage));
	log_json_time(time, sizeof(time));
	buffer_printf(&b,
		      "{\"time\":\"%s\",\"program\":\"mailinit\",\"pid\":%d,\"level\":\"%s\","
		      "\"message\":",
		      time, (int)getpid(), names[level]);
	json_string(&b, message, len);
	buffer_puts(&b, "}\n");
	if (b.cut)
		return; /* cannot happen at this size; never write half an object */
	if (write(STDERR_FILENO, b.data, b.len) < 0) {
		/* nowhere left to say it */
	}
}

void log_set_level(enum log_level level)
{
	threshold = level;
}

enum log_level log_get_level(void)
{
	return threshold;
}

bool log_level_parse(const char *text, enum log_level *level)
{
	static const char *const names[] = {"debug", "info", "warn", "error"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(text, names[i]) == 0) {
			*level = (enum log_level)i;
			return true;
		}
	}
	return false;
}

__attribute__((format(printf, 3, 0))) static void log_write(enum log_level level, int errnum,
							    const char *fmt, va_list ap)
{
	static const char *const prefix[] = {"debug: ", "", "warning: ", "error: "};
	char message[MESSAGE_MAX], line[4 * MESSAGE_MAX];
	size_t len, room;
	int n;

	if (level < threshold)
		return;
	vsnprintf(message, sizeof(message), fmt, ap);
	if (errnum != 0) {
		len = strlen(message);
		snprintf(message + len, sizeof(message) - len, ": %s", strerror(errnum));
	}
	len = strlen(message); /* cut at sizeof(message) - 1 when longer */
	if (json_lines) {
		write_json(level, message, len);
		return;
	}
	/* Messages quote input: its control characters reach no terminal. */
	n = snprintf(line, sizeof(line), "mailinit: %s", prefix[level]);
	room = sizeof(line) - (size_t)n - 1; /* keep room for the newline */
	len = (size_t)n + text_escape(line + n, room, message, len);
	line[len++] = '\n';
	/* One write per line; a short write to a full pipe is not retried. */
	if (write(STDERR_FILENO, line, len) < 0)
		return;
}

#define LOG_FUNCTION(name, level)                                                                  \
	void name(const char *fmt, ...)                                                            \
	{                                                                                          \
		va_list ap;                                                                        \
		va_start(ap, fmt);                                                                 \
		log_write(level, 0, fmt, ap);                                                      \
		va_end(ap);                                                                        \
	}

LOG_FUNCTION(log_debug, LOG_LEVEL_DEBUG)
LOG_FUNCTION(log_info, LOG_LEVEL_INFO)
LOG_FUNCTION(log_warn, LOG_LEVEL_WARN)
LOG_FUNCTION(log_error, LOG_LEVEL_ERROR)

void log_error_sys(const char *fmt, ...)
{
	int errnum = errno;
	va_list ap;

	va_start(ap, fmt);
	log_write(LOG_LEVEL_ERROR, errnum, fmt, ap);
	va_end(ap);
}
