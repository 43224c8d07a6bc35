/*
 * NAME
 *	health_probe - one listener probed: connect, speak its protocol, say goodbye
 *
 * DESCRIPTION
 *	See health_probe.h. Each probe speaks just enough of its protocol to
 *	know the daemon answers: SMTP's greeting and EHLO (and on 25 a RCPT
 *	through the maps), LMTP's LHLO, the IMAP, POP3 and ManageSieve
 *	greetings, Dovecot's auth handshake, the milter's option negotiation.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/clock.h"
#include "mail/health.h"
#include "mail/health_probe.h"
#include "mail/networks.h"

struct conn {
	int fd;
	long deadline; /* CLOCK_MONOTONIC ms */
	SSL *ssl;
	char buf[4096];
	size_t len;
};

static bool fail(struct result *r, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

static bool fail(struct result *r, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(r->detail, sizeof(r->detail), fmt, ap);
	va_end(ap);
	r->ok = false;
	return false;
}

static int connect_with_deadline(const char *where, long deadline)
{
	struct sockaddr_storage addr = {0};
	socklen_t len;
	int fd, err = 0;
	socklen_t errlen = sizeof(err);

	if (where[0] == '/') {
		struct sockaddr_un *un = (struct sockaddr_un *)&addr;

		un->sun_family = AF_UNIX;
		snprintf(un->sun_path, sizeof(un->sun_path), "%s", where);
		len = sizeof(*un);
	} else {
		unsigned length = 0;

		if (!listen_address_parse(where, &addr, &length))
			return -1;
		len = (socklen_t)length;
	}
	fd = socket(addr.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return -1;
	if (connect(fd, (struct sockaddr *)&addr, len) != 0 && errno != EINPROGRESS) {
		err = errno;
		goto out;
	}
	struct pollfd p = {.fd = fd, .events = POLLOUT};
	long left = deadline - (long)clock_ms();
	if (left <= 0 || poll(&p, 1, (int)left) != 1) {
		err = ETIMEDOUT;
		goto out;
	}
	getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &errlen);
	if (err == 0) {
		/* Blocking from here on, each read and write bounded by the deadline. */
		left = deadline - (long)clock_ms() > 1 ? deadline - (long)clock_ms() : 1;
		struct timeval tv = {.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};
		fcntl(fd, F_SETFL, fcntl(fd, F_GETFL) & ~O_NONBLOCK);
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
		return fd;
	}
out:
	close(fd);
	errno = err;
	return -1;
}

/* Each read and write may wait for what is left of the budget, no more. */
static void conn_bound(struct conn *c)
{
	long left = c->deadline - (long)clock_ms() > 1 ? c->deadline - (long)clock_ms() : 1;
	struct timeval tv = {.tv_sec = left / 1000, .tv_usec = (left % 1000) * 1000};

	setsockopt(c->fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	setsockopt(c->fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
}

static ssize_t conn_read(struct conn *c, void *buf, size_t size)
{
	conn_bound(c);
	return c->ssl ? SSL_read(c->ssl, buf, (int)size) : read(c->fd, buf, size);
}

static bool conn_write(struct conn *c, const void *data, size_t len)
{
	conn_bound(c);
	return (c->ssl ? SSL_write(c->ssl, data, (int)len) : write(c->fd, data, len)) ==
	       (ssize_t)len;
}

/* One line (without CR LF) into line; false on EOF, error or timeout. */
static bool read_line(struct conn *c, char *line, size_t size)
{
	for (;;) {
		char *nl = memchr(c->buf, '\n', c->len);

		if (nl) {
			size_t n = (size_t)(nl - c->buf);
			size_t keep = n > 0 && c->buf[n - 1] == '\r' ? n - 1 : n;

			snprintf(line, size, "%.*s", (int)keep, c->buf);
			c->len -= n + 1;
			memmove(c->buf, nl + 1, c->len);
			return true;
		}
		if (c->len == sizeof(c->buf))
			return false;
		ssize_t got = conn_read(c, c->buf + c->len, sizeof(c->buf) - c->len);
		if (got <= 0)
			return false;
		c->len += (size_t)got;
	}
}

/* An SMTP/LMTP reply: the last line of a multi-line one; true when it has code. */
static bool smtp_reply(struct conn *c, const char *code, char *line, size_t size)
{
	do {
		if (!read_line(c, line, size))
			return false;
	} while (strlen(line) > 3 && line[3] == '-');
	return strncmp(line, code, 3) == 0;
}

static bool start_tls(struct conn *c, SSL_CTX *ctx, X509 **peer, struct result *r)
{
	c->ssl = SSL_new(ctx);
	SSL_set_fd(c->ssl, c->fd);
	conn_bound(c);
	if (SSL_connect(c->ssl) != 1) {
		char reason[160];

		ERR_error_string_n(ERR_get_error(), reason, sizeof(reason));
		ERR_clear_error();
		return fail(r, "TLS handshake failed: %s", reason);
	}
	if (peer && *peer == NULL)
		*peer = SSL_get1_peer_certificate(c->ssl);
	return true;
}

/*
 * MAIL FROM:<> and RCPT TO: the recipient goes through the virtual maps,
 * the access checks and the milter. A definite answer (250, or 550 when the
 * address has nowhere to go) means they work; a 4xx is what every sender
 * gets when a map cannot be read or the milter is down. No DATA: nothing
 * is sent.
 */
static bool recipient_answered(struct conn *c, const char *recipient, char *line, size_t size,
			       struct result *r)
{
	char command[400];
	int len;

	if (!conn_write(c, "MAIL FROM:<>\r\n", 14) || !smtp_reply(c, "250", line, size))
		return fail(r, "MAIL FROM refused: %s", line);
	len = snprintf(command, sizeof(command), "RCPT TO:<%s>\r\n", recipient);
	if (len < 0 || (size_t)len >= sizeof(command) || !conn_write(c, command, (size_t)len) ||
	    !read_line(c, line, size))
		return fail(r, "no answer to RCPT TO:<%s>", recipient);
	if (line[0] != '2' && line[0] != '5')
		return fail(r, "RCPT TO:<%s> answered %s", recipient, line);
	conn_write(c, "RSET\r\n", 6);
	if (!smtp_reply(c, "250", line, size))
		return fail(r, "RSET refused: %s", line);
	return true;
}

#define EHLO "EHLO " HEALTH_HELO "\r\n"
#define LHLO "LHLO " HEALTH_HELO "\r\n"

/* SMTP on 25, 587 (STARTTLS) and 465 (TLS already): greeting, EHLO, the probe's RCPT. */
static bool speak_smtp(struct conn *c, const struct probe *p, SSL_CTX *ctx, X509 **peer,
		       struct result *r)
{
	char line[200] = "";

	if (!smtp_reply(c, "220", line, sizeof(line)))
		return fail(r, "no SMTP greeting: %s", line);
	snprintf(r->detail, sizeof(r->detail), "%s", line);
	if (!conn_write(c, EHLO, sizeof(EHLO) - 1) || !smtp_reply(c, "250", line, sizeof(line)))
		return fail(r, "EHLO refused: %s", line);
	if (p->recipient && !recipient_answered(c, p->recipient, line, sizeof(line), r))
		return false;
	if (p->protocol == SMTP_STARTTLS) {
		if (!conn_write(c, "STARTTLS\r\n", 10) || !smtp_reply(c, "220", line, sizeof(line)))
			return fail(r, "STARTTLS refused: %s", line);
		if (!start_tls(c, ctx, peer, r))
			return false;
		if (!conn_write(c, EHLO, sizeof(EHLO) - 1) ||
		    !smtp_reply(c, "250", line, sizeof(line)))
			return fail(r, "EHLO after STARTTLS refused: %s", line);
	}
	conn_write(c, "QUIT\r\n", 6);
	return true;
}

static bool speak_lmtp(struct conn *c, struct result *r)
{
	char line[200] = "";

	if (!smtp_reply(c, "220", line, sizeof(line)))
		return fail(r, "no LMTP greeting: %s", line);
	snprintf(r->detail, sizeof(r->detail), "%s", line);
	if (!conn_write(c, LHLO, sizeof(LHLO) - 1) || !smtp_reply(c, "250", line, sizeof(line)))
		return fail(r, "LHLO refused: %s", line);
	conn_write(c, "QUIT\r\n", 6);
	return true;
}

/* IMAP, POP3, ManageSieve: the greeting (ManageSieve's ends with its OK line), then goodbye. */
static bool speak_greeting(struct conn *c, enum listener_protocol protocol, struct result *r)
{
	static const struct {
		enum listener_protocol protocol;
		const char *name, *ok, *bye;
		bool multiline;
	} greetings[] = {{IMAP, "IMAP", "* OK", "h LOGOUT\r\n", false},
			 {POP3, "POP3", "+OK", "QUIT\r\n", false},
			 {SIEVE, "ManageSieve", "OK", "LOGOUT\r\n", true}};
	char line[200] = "";

	for (size_t i = 0; i < sizeof(greetings) / sizeof(greetings[0]); i++) {
		if (greetings[i].protocol != protocol)
			continue;
		bool ok = false;
		do {
			if (!read_line(c, line, sizeof(line)))
				break;
			ok = strncmp(line, greetings[i].ok, strlen(greetings[i].ok)) == 0;
		} while (!ok && greetings[i].multiline);
		if (!ok)
			return greetings[i].multiline
				   ? fail(r, "no %s greeting", greetings[i].name)
				   : fail(r, "no %s greeting: %s", greetings[i].name, line);
		snprintf(r->detail, sizeof(r->detail), "%.80s", line);
		conn_write(c, greetings[i].bye, strlen(greetings[i].bye));
		return true;
	}
	return false;
}

/* Dovecot's auth protocol: our VERSION and CPID, its handshake up to DONE. */
static bool speak_auth(struct conn *c, struct result *r)
{
	char line[200] = "", request[64];
	bool version = false;

	snprintf(request, sizeof(request), "VERSION\t1\t2\nCPID\t%d\n", (int)getpid());
	if (!conn_write(c, request, strlen(request)))
		return fail(r, "cannot write to the auth socket");
	do {
		if (!read_line(c, line, sizeof(line)))
			return fail(r, "auth handshake ended early");
		version |= strncmp(line, "VERSION\t1\t", 10) == 0;
	} while (strcmp(line, "DONE") != 0);
	if (!version)
		return fail(r, "auth server spoke no VERSION 1");
	snprintf(r->detail, sizeof(r->detail), "auth protocol version 1");
	return true;
}

static bool speak_milter(struct conn *c, struct result *r)
{
	/* SMFIC_OPTNEG: length 13, 'O', version 6, and every action and protocol step
	   offered (libmilter drops an MTA that offers less than the filter needs). */
	unsigned char optneg[17] = {0, 0, 0, 13,   'O', 0,    0,    0,   6,
				    0, 0, 1, 0xff, 0,   0x1f, 0xff, 0xff};
	unsigned char reply[5];
	size_t got = 0;

	if (!conn_write(c, optneg, sizeof(optneg)))
		return fail(r, "cannot write to the milter");
	while (got < sizeof(reply)) {
		ssize_t n = conn_read(c, reply + got, sizeof(reply) - got);
		if (n <= 0)
			return fail(r, "no milter option negotiation reply");
		got += (size_t)n;
	}
	if (reply[4] != 'O')
		return fail(r, "unexpected milter reply");
	snprintf(r->detail, sizeof(r->detail), "milter option negotiation");
	return true;
}

/* rspamd's controller: GET /ping over HTTP/1.0, "pong" in the body of a 200. */
/* GET PATH over HTTP/1.0: a 200 whose body has a line starting with EXPECT. */
static bool speak_http(struct conn *c, struct result *r, const char *path, const char *expect)
{
	char request[64], line[200] = "";
	int len = snprintf(request, sizeof(request), "GET %s HTTP/1.0\r\n\r\n", path);
	size_t n = strlen(expect);
	bool status_ok, found = false;

	if (!conn_write(c, request, (size_t)len))
		return fail(r, "cannot write GET %s", path);
	if (!read_line(c, line, sizeof(line)))
		return fail(r, "no HTTP answer to GET %s", path);
	status_ok = strncmp(line, "HTTP/1.", 7) == 0 && strncmp(line + 8, " 200", 4) == 0;
	if (!status_ok)
		return fail(r, "GET %s: %s", path, line);
	while (!found && read_line(c, line, sizeof(line)))
		found = strncmp(line, expect, n) == 0;
	/* The body may end without a newline, at the end of the connection. */
	found = found || (c->len >= n && memcmp(c->buf, expect, n) == 0);
	if (!found)
		return fail(r, "GET %s: no \"%s\" in the answer", path, expect);
	snprintf(r->detail, sizeof(r->detail), "GET %s: %s", path, expect);
	return true;
}

/* Postfix's policy protocol (Dovecot's quota-status): a recipient, answered action=DUNNO... */
static bool speak_policy(struct conn *c, const struct probe *p, struct result *r)
{
	char request[512], line[200] = "";
	int len = snprintf(request, sizeof(request),
			   "request=smtpd_access_policy\nprotocol_state=RCPT\nrecipient=%s\n"
			   "size=0\n\n",
			   p->recipient ? p->recipient : "postmaster");

	if (len < 0 || (size_t)len >= sizeof(request) || !conn_write(c, request, (size_t)len))
		return fail(r, "cannot write to the policy service");
	if (!read_line(c, line, sizeof(line)) || strncmp(line, "action=", 7) != 0)
		return fail(r, "no policy answer: %s", line);
	snprintf(r->detail, sizeof(r->detail), "%.80s", line);
	return true;
}

/* Redis: PING, answered +PONG (a loading or failing server answers -ERROR). */
static bool speak_redis(struct conn *c, struct result *r)
{
	char line[200] = "";

	if (!conn_write(c, "PING\r\n", 6))
		return fail(r, "cannot write to Redis");
	if (!read_line(c, line, sizeof(line)))
		return fail(r, "no answer to PING");
	if (strcmp(line, "+PONG") != 0)
		return fail(r, "PING: %s", line);
	snprintf(r->detail, sizeof(r->detail), "PING: +PONG");
	return true;
}

static bool speak(struct conn *c, const struct probe *p, SSL_CTX *ctx, X509 **peer,
		  struct result *r)
{
	if (p->tls && !start_tls(c, ctx, peer, r))
		return false;
	switch (p->protocol) {
	case SMTP:
	case SMTP_TLS:
	case SMTP_STARTTLS: return speak_smtp(c, p, ctx, peer, r);
	case LMTP: return speak_lmtp(c, r);
	case IMAP:
	case POP3:
	case SIEVE: return speak_greeting(c, p->protocol, r);
	case AUTH: return speak_auth(c, r);
	case MILTER: return speak_milter(c, r);
	case HTTP_PING: return speak_http(c, r, "/ping", "pong");
	case OPENMETRICS: return speak_http(c, r, "/metrics", "# EOF");
	case REDIS: return speak_redis(c, r);
	case POLICY: return speak_policy(c, p, r);
	}
	return false;
}

bool health_speak_plain(int fd, const char *protocol, char *detail, size_t size)
{
	static const struct {
		const char *name;
		enum listener_protocol protocol;
	} names[] = {{"smtp", SMTP},
		     {"lmtp", LMTP},
		     {"imap", IMAP},
		     {"pop3", POP3},
		     {"sieve", SIEVE},
		     {"auth", AUTH},
		     {"milter", MILTER},
		     {"http-ping", HTTP_PING},
		     {"redis", REDIS},
		     {"policy", POLICY},
		     {"openmetrics", OPENMETRICS}};
	struct conn c = {.fd = fd, .deadline = (long)clock_ms() + HEALTH_BUDGET_MS};
	struct result r = {0};
	struct probe p = {.name = protocol, .where = "fd"};
	bool ok;

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strcmp(names[i].name, protocol) == 0) {
			p.protocol = names[i].protocol;
			ok = speak(&c, &p, NULL, NULL, &r);
			snprintf(detail, size, "%s", r.detail);
			return ok;
		}
	}
	snprintf(detail, size, "unknown protocol %s", protocol);
	return false;
}

void health_probe_run(const struct probe *p, SSL_CTX *ctx, long deadline, X509 **peer,
		      struct result *r)
{
	struct conn c = {.fd = -1, .deadline = deadline};
	long start = (long)clock_ms();

	r->ok = false;
	if (start >= deadline) {
		fail(r, "not tried: the %d ms budget was spent", HEALTH_BUDGET_MS);
		return;
	}
	c.fd = connect_with_deadline(p->where, deadline);
	if (c.fd < 0)
		fail(r, "cannot connect: %s", strerror(errno));
	else
		r->ok = speak(&c, p, ctx, peer, r);
	if (c.ssl) {
		SSL_shutdown(c.ssl);
		SSL_free(c.ssl);
	}
	if (c.fd >= 0)
		close(c.fd);
	r->ms = (long)clock_ms() - start;
	if (!r->ok && (long)clock_ms() >= deadline && strstr(r->detail, "budget") == NULL)
		snprintf(r->detail, sizeof(r->detail), "timed out");
}
