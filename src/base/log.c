/*
 * NAME
 *	log - one line per event on standard error
 *
 * DESCRIPTION
 *	See log.h. The level is the only state here; it is set once at start.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/json.h"
#include "base/log.h"
#include "base/text.h"

static enum log_level threshold = LOG_LEVEL_INFO;
static bool json_lines;
/* Where lines go: standard output and error, or PID 1's own non-blocking copies of them. */
static int out_fd = STDOUT_FILENO, err_fd = STDERR_FILENO;
/* Lines a full log pipe did not take since the last that went out. */
static unsigned long dropped;

/*
 * FD (1 or 2) as an open file description of this process's own, non-blocking: a pipe or
 * terminal the log's reader has stopped reading must not stop PID 1. A new description
 * (open of /proc/self/fd/N), so the daemons and commands that share the original keep theirs
 * as it was. A file or socket stays as it is (no full pipe there, or no way to reopen it).
 */
static int own_nonblocking(int fd)
{
	char path[32];
	struct stat st;
	int copy;

	if (fstat(fd, &st) != 0 || !(S_ISFIFO(st.st_mode) || S_ISCHR(st.st_mode)))
		return fd;
	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	copy = open(path, O_WRONLY | O_APPEND | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
	return copy >= 0 ? copy : fd;
}

void log_never_block(void)
{
	out_fd = own_nonblocking(STDOUT_FILENO);
	err_fd = own_nonblocking(STDERR_FILENO);
}

void log_standard_fds(void)
{
	out_fd = STDOUT_FILENO;
	err_fd = STDERR_FILENO;
}

/*
 * What a full pipe took of a line only in part (one longer than PIPE_BUF, 4 KiB): the rest
 * goes out before anything else, so that lines never run into each other.
 */
static char pending[64 * 1024];
static size_t pending_len;
static int pending_fd = -1;

static bool flush_pending(void)
{
	while (pending_len > 0) {
		ssize_t n = write(pending_fd, pending, pending_len);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0) /* full: wait for the next line; closed: let the rest go */
			return n < 0 && errno != EAGAIN && errno != EWOULDBLOCK;
		memmove(pending, pending + n, pending_len - (size_t)n);
		pending_len -= (size_t)n;
	}
	return true;
}

/* One write per line, never waiting for a full pipe: a refused line is counted. */
static void emit(int fd, const char *line, size_t len)
{
	ssize_t n;

	if (!flush_pending()) {
		dropped++;
		return;
	}
	pending_len = 0;
	if ((n = write(fd, line, len)) < 0) {
		if (errno == EAGAIN || errno == EWOULDBLOCK)
			dropped++;
		return;
	}
	if ((size_t)n < len) {
		size_t rest = len - (size_t)n;

		if (rest > sizeof(pending))
			rest = sizeof(pending); /* longer than any line: cut, still ended */
		memcpy(pending, line + n, rest);
		pending[rest - 1] = '\n';
		pending_len = rest;
		pending_fd = fd;
		return;
	}
	if (dropped > 0) {
		unsigned long count = dropped;

		dropped = 0;
		log_warn("%lu log line%s dropped: the log's reader did not keep up", count,
			 count == 1 ? " was" : "s were");
	}
}

void log_write_out(const char *line, size_t len)
{
	emit(out_fd, line, len);
}

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
	emit(err_fd, b.data, b.len);
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
	emit(err_fd, line, len);
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
