/*
 * NAME
 *	syslog_sink - a /dev/log that writes to stdout
 *
 * DESCRIPTION
 *	See syslog_sink.h. No allocation: one stack buffer per datagram.
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

#include "log.h"
#include "syslog_sink.h"

#define DATAGRAM_MAX 8192

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

void syslog_sink_drain(int fd)
{
	char datagram[DATAGRAM_MAX], line[DATAGRAM_MAX + 2];
	ssize_t got;

	while ((got = recv(fd, datagram, sizeof(datagram), 0)) >= 0) {
		size_t n = syslog_format(datagram, (size_t)got, line, sizeof(line));

		if (n > 1 && write(STDOUT_FILENO, line, n) < 0)
			return; /* a full or closed log: drop, never block the supervisor */
	}
}
