/*
 * NAME
 *	syslog_sink - a /dev/log that writes to stdout
 *
 * DESCRIPTION
 *	See syslog_sink.h. Plain lines need no allocation (one stack buffer
 *	per datagram); a JSON line is built in a buffer freed at once.
 */
#include <ctype.h>
#include <stdbool.h>
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/json.h"
#include "base/log.h"
#include "init/syslog_sink.h"

#define DATAGRAM_MAX 8192
/* Datagrams read per wake-up (syslog_sink_drain). */
#define SYSLOG_SINK_BATCH 256
/* Every byte escaped as \u00XX (6 bytes), and the fields around it. */
#define JSON_LINE_MAX (6 * DATAGRAM_MAX + 512)

int syslog_sink_open(const char *path)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd;

	if (strlen(path) >= sizeof(addr.sun_path)) {
		log_error("syslog socket %s: path too long", path);
		return -1;
	}
	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0) {
		log_error_sys("syslog socket %s", path);
		return -1;
	}
	/* Each datagram's sender (SCM_CREDENTIALS): the observer trusts some uids only. */
	if (setsockopt(fd, SOL_SOCKET, SO_PASSCRED, &(int){1}, sizeof(int)) != 0)
		log_warn("syslog socket %s: SO_PASSCRED: %s", path, strerror(errno));
	unlink(path); /* a socket left by an earlier run */
	if (bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 || chmod(path, 0666) != 0) {
		log_error_sys("cannot listen on %s", path);
		close(fd);
		return -1;
	}
	return fd;
}

/* "Mmm dd hh:mm:ss " as syslog(3) writes it. */
static bool is_timestamp(const char *p, size_t len)
{
	return len >= 16 && isupper((unsigned char)p[0]) && p[3] == ' ' && p[6] == ' ' &&
	       p[9] == ':' && p[12] == ':' && p[15] == ' ';
}

size_t syslog_format(const char *datagram, size_t len, char *line, size_t size)
{
	const char *p = datagram, *end = datagram + len;
	size_t n = 0;

	if (size == 0)
		return 0;
	if (p < end && *p == '<') {
		const char *close = memchr(p, '>', (size_t)(end - p) < 5 ? (size_t)(end - p) : 5);
		if (close)
			p = close + 1;
	}
	if (is_timestamp(p, (size_t)(end - p)))
		p += 16;
	while (end > p && (end[-1] == '\n' || end[-1] == '\0'))
		end--;
	for (; p < end && n + 2 < size; p++) {
		line[n] = *p;
		if ((unsigned char)*p < 0x20 || *p == 0x7f)
			line[n] = ' ';
		n++;
	}
	line[n++] = '\n';
	line[n] = '\0';
	return n;
}

void syslog_format_json(const char *datagram, size_t len, const char *time, struct buffer *out)
{
	static const char *const severities[] = {"emerg",   "alert",  "crit", "error",
						 "warning", "notice", "info", "debug"};
	static const char *const facilities[] = {"kern", "user",   "mail",     "daemon",
						 "auth", "syslog", "lpr",      "news",
						 "uucp", "cron",   "authpriv", "ftp"};
	const char *p = datagram, *end = datagram + len;
	unsigned priority = 13; /* user.notice, syslog(3)'s default */
	const char *tag, *tag_end, *message;
	long pid = -1;

	if (p < end && *p == '<') {
		unsigned value = 0;
		const char *q = p + 1;

		while (q < end && q - p < 5 && *q >= '0' && *q <= '9')
			value = value * 10 + (unsigned)(*q++ - '0');
		if (q < end && *q == '>' && q > p + 1) {
			priority = value;
			p = q + 1;
		}
	}
	if (is_timestamp(p, (size_t)(end - p)))
		p += 16;
	while (end > p && (end[-1] == '\n' || end[-1] == '\0'))
		end--;
	/* "TAG[PID]: message" or "TAG: message"; else all of it is the message. */
	tag = p;
	tag_end = p;
	while (tag_end < end && *tag_end != ':' && *tag_end != '[' && *tag_end != ' ')
		tag_end++;
	message = tag_end;
	if (tag_end < end && *tag_end == '[') {
		const char *q = tag_end + 1;

		pid = 0;
		while (q < end && *q >= '0' && *q <= '9' && pid < 1000000000)
			pid = pid * 10 + (*q++ - '0');
		message = q < end && *q == ']' ? q + 1 : tag_end;
	}
	if (message < end && *message == ':' && tag_end > tag) {
		message++;
		if (message < end && *message == ' ')
			message++;
	} else {
		tag_end = tag;
		message = p;
		pid = -1;
	}
	buffer_printf(out, "{\"time\":\"%s\",\"program\":", time);
	json_string(out, tag, (size_t)(tag_end - tag));
	if (pid >= 0)
		buffer_printf(out, ",\"pid\":%ld", pid);
	buffer_printf(out, ",\"level\":\"%s\"", severities[priority & 7]);
	if ((priority >> 3) < sizeof(facilities) / sizeof(facilities[0]))
		buffer_printf(out, ",\"facility\":\"%s\"", facilities[priority >> 3]);
	buffer_puts(out, ",\"message\":");
	json_string(out, message, (size_t)(end - message));
	buffer_puts(out, "}\n");
}

void syslog_sink_emit(const char *datagram, size_t len)
{
	char line[DATAGRAM_MAX + 2];

	if (len > DATAGRAM_MAX)
		len = DATAGRAM_MAX;
	if (log_is_json()) {
		/* Static, never allocated: the sink runs in PID 1's loop. */
		static char storage[JSON_LINE_MAX];
		struct buffer json;
		char time[40];

		buffer_over(&json, storage, sizeof(storage));
		log_json_time(time, sizeof(time));
		syslog_format_json(datagram, len, time, &json);
		if (!json.cut)
			log_write_out(json.data, json.len);
		return;
	}
	size_t n = syslog_format(datagram, len, line, sizeof(line));

	if (n > 1)
		log_write_out(line, n);
}

#define OBSERVERS_MAX 2 /* the bans and the metrics */

static struct observer {
	syslog_observer *fn;
	void *context;
} observers[OBSERVERS_MAX];
static size_t observer_count;

void syslog_sink_observe(syslog_observer *fn, void *context)
{
	for (size_t i = 0; i < observer_count; i++) {
		if (observers[i].fn == fn) {
			observers[i].context = context;
			return;
		}
	}
	if (observer_count < OBSERVERS_MAX)
		observers[observer_count++] = (struct observer){fn, context};
	else
		log_error("syslog sink: more than %d observers", OBSERVERS_MAX);
}

/* One datagram and who sent it; -1 when none is waiting. */
static ssize_t receive(int fd, void *datagram, size_t size, uid_t *uid)
{
	union {
		struct cmsghdr header;
		char space[CMSG_SPACE(sizeof(struct ucred))];
	} control;
	struct iovec iov = {.iov_base = datagram, .iov_len = size};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = &control,
			     .msg_controllen = sizeof(control)};
	ssize_t got = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC);

	*uid = (uid_t)-1;
	for (struct cmsghdr *c = got >= 0 ? CMSG_FIRSTHDR(&msg) : NULL; c;
	     c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SCM_CREDENTIALS) {
			struct ucred cred;

			memcpy(&cred, CMSG_DATA(c), sizeof(cred));
			*uid = cred.uid;
		}
	}
	return got;
}

void syslog_sink_drain(int fd, bool all)
{
	char datagram[DATAGRAM_MAX];
	ssize_t got;
	uid_t uid;

	/* At most a batch per wake-up: a daemon that logs without pause must not keep PID 1
	 * from its signals and children (poll wakes it again at once for the rest). ALL: the
	 * last drain, once the daemons are gone. */
	for (int n = 0; all || n < SYSLOG_SINK_BATCH; n++) {
		if ((got = receive(fd, datagram, sizeof(datagram), &uid)) < 0)
			return;
		syslog_sink_emit(datagram, (size_t)got);
		if (observer_count > 0) {
			char line[DATAGRAM_MAX + 2];
			size_t len = syslog_format(datagram, (size_t)got, line, sizeof(line));

			for (size_t i = 0; i < observer_count; i++)
				observers[i].fn(line, len, uid, observers[i].context);
		}
	}
}
