/*
 * NAME
 *	health - real protocol probes of every enabled listener and socket
 *
 * DESCRIPTION
 *	See health.h. Each probe connects with a deadline taken from what is
 *	left of the budget, speaks just enough of its protocol to know the
 *	daemon answers, says goodbye, and closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/clock.h"
#include "base/buffer.h"
#include "mail/health.h"
#include "mail/listeners.h"
#include "base/json.h"

#define EXPIRY_WARNING_DAYS 14

struct probe {
	const char *name;
	const char *where; /* "127.0.0.1:25" or a unix socket path */
	enum listener_protocol protocol;
	bool tls;              /* TLS from the first byte */
	const char *recipient; /* SMTP: RCPT TO this after EHLO; NULL: none */
};

struct conn {
	int fd;
	long deadline; /* CLOCK_MONOTONIC ms */
	SSL *ssl;
	char buf[4096];
	size_t len;
};

struct result {
	bool ok;
	char detail[256];
	long ms;
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
		struct sockaddr_in *in = (struct sockaddr_in *)&addr;
		const char *colon = strrchr(where, ':');
		char host[64];

		snprintf(host, sizeof(host), "%.*s", (int)(colon - where), where);
		in->sin_family = AF_INET;
		in->sin_port = htons((unsigned short)atoi(colon + 1));
		inet_pton(AF_INET, host, &in->sin_addr);
		len = sizeof(*in);
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

static bool speak(struct conn *c, const struct probe *p, SSL_CTX *ctx, X509 **peer,
		  struct result *r)
{
	char line[200] = "", request[64];

	if (p->tls && !start_tls(c, ctx, peer, r))
		return false;
	switch (p->protocol) {
	case SMTP:
	case SMTP_TLS:
	case SMTP_STARTTLS:
		if (!smtp_reply(c, "220", line, sizeof(line)))
			return fail(r, "no SMTP greeting: %s", line);
		snprintf(r->detail, sizeof(r->detail), "%s", line);
		if (!conn_write(c, "EHLO health.mailinit\r\n", 22) ||
		    !smtp_reply(c, "250", line, sizeof(line)))
			return fail(r, "EHLO refused: %s", line);
		if (p->recipient && !recipient_answered(c, p->recipient, line, sizeof(line), r))
			return false;
		if (p->protocol == SMTP_STARTTLS) {
			if (!conn_write(c, "STARTTLS\r\n", 10) ||
			    !smtp_reply(c, "220", line, sizeof(line)))
				return fail(r, "STARTTLS refused: %s", line);
			if (!start_tls(c, ctx, peer, r))
				return false;
			if (!conn_write(c, "EHLO health.mailinit\r\n", 22) ||
			    !smtp_reply(c, "250", line, sizeof(line)))
				return fail(r, "EHLO after STARTTLS refused: %s", line);
		}
		conn_write(c, "QUIT\r\n", 6);
		return true;
	case LMTP:
		if (!smtp_reply(c, "220", line, sizeof(line)))
			return fail(r, "no LMTP greeting: %s", line);
		snprintf(r->detail, sizeof(r->detail), "%s", line);
		if (!conn_write(c, "LHLO health.mailinit\r\n", 22) ||
		    !smtp_reply(c, "250", line, sizeof(line)))
			return fail(r, "LHLO refused: %s", line);
		conn_write(c, "QUIT\r\n", 6);
		return true;
	case IMAP:
		if (!read_line(c, line, sizeof(line)) || strncmp(line, "* OK", 4) != 0)
			return fail(r, "no IMAP greeting: %s", line);
		snprintf(r->detail, sizeof(r->detail), "%.80s", line);
		conn_write(c, "h LOGOUT\r\n", 10);
		return true;
	case POP3:
		if (!read_line(c, line, sizeof(line)) || strncmp(line, "+OK", 3) != 0)
			return fail(r, "no POP3 greeting: %s", line);
		snprintf(r->detail, sizeof(r->detail), "%.80s", line);
		conn_write(c, "QUIT\r\n", 6);
		return true;
	case SIEVE:
		do {
			if (!read_line(c, line, sizeof(line)))
				return fail(r, "no ManageSieve greeting");
		} while (strncmp(line, "OK", 2) != 0);
		snprintf(r->detail, sizeof(r->detail), "%.80s", line);
		conn_write(c, "LOGOUT\r\n", 8);
		return true;
	case AUTH:
		snprintf(request, sizeof(request), "VERSION\t1\t2\nCPID\t%d\n", (int)getpid());
		if (!conn_write(c, request, strlen(request)))
			return fail(r, "cannot write to the auth socket");
		bool version = false;
		do {
			if (!read_line(c, line, sizeof(line)))
				return fail(r, "auth handshake ended early");
			version |= strncmp(line, "VERSION\t1\t", 10) == 0;
		} while (strcmp(line, "DONE") != 0);
		if (!version)
			return fail(r, "auth server spoke no VERSION 1");
		snprintf(r->detail, sizeof(r->detail), "auth protocol version 1");
		return true;
	case MILTER: {
		/* SMFIC_OPTNEG: length 13, 'O', version 6, and every action and
		   protocol step offered (libmilter drops an MTA that offers less
		   than the filter needs). */
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
	}
	return false;
}

bool health_speak_plain(int fd, const char *protocol, char *detail, size_t size)
{
	static const struct {
		const char *name;
		enum listener_protocol protocol;
	} names[] = {{"smtp", SMTP},   {"lmtp", LMTP}, {"imap", IMAP},    {"pop3", POP3},
		     {"sieve", SIEVE}, {"auth", AUTH}, {"milter", MILTER}};
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

static void run_probe(const struct probe *p, SSL_CTX *ctx, long deadline, X509 **peer,
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

static void report(struct buffer *out, bool json, const char *name, const char *where, bool ok,
		   const char *status, const char *detail, long ms)
{
	if (!json) {
		buffer_printf(out, "%-5s %-11s %-42s %s (%ld ms)\n", status, name, where, detail,
			      ms);
		return;
	}
	buffer_printf(out, "%s{\"name\":", out->len > 1 ? "," : "");
	json_string(out, name, strlen(name));
	buffer_puts(out, ",\"target\":");
	json_string(out, where, strlen(where));
	buffer_printf(out, ",\"ok\":%s,\"status\":\"%s\",\"detail\":", ok ? "true" : "false",
		      status);
	json_string(out, detail, strlen(detail));
	buffer_printf(out, ",\"ms\":%ld}", ms);
}

static int certificate_check(X509 *peer, char *detail, size_t size)
{
	int days = 0, seconds = 0;

	if (peer == NULL) {
		snprintf(detail, size, "no certificate was presented");
		return -1;
	}
	ASN1_TIME_diff(&days, &seconds, NULL, X509_get0_notAfter(peer));
	if (days < 0 || (days == 0 && seconds < 0)) {
		snprintf(detail, size, "the certificate has expired");
		return -1;
	}
	snprintf(detail, size, "the certificate expires in %d days", days);
	return days < EXPIRY_WARNING_DAYS ? 1 : 0;
}

static void interrupt_io(int sig)
{
	(void)sig; /* only to end a blocking read or write with EINTR */
}

/*
 * One deadline for the whole run. Each read has the time that is left, but a
 * listener that drips a byte at a time would restart that wait with every
 * byte (and a TLS record is many reads). So from the deadline on, SIGALRM
 * (without SA_RESTART) interrupts whatever blocks, every 100 ms.
 */
static void arm_deadline(bool on)
{
	struct itimerval timer = {0};
	struct sigaction action = {.sa_handler = on ? interrupt_io : SIG_DFL};

	if (on) {
		timer.it_value.tv_sec = HEALTH_BUDGET_MS / 1000;
		timer.it_value.tv_usec = (suseconds_t)HEALTH_BUDGET_MS % 1000 * 1000;
		timer.it_interval.tv_usec = (suseconds_t)100 * 1000;
	}
	setitimer(ITIMER_REAL, &timer, NULL);
	sigemptyset(&action.sa_mask);
	sigaction(SIGALRM, &action, NULL);
}

/* The last live reload: -1 refused (*when set), 0 taken or none. */
static int reload_outcome(const char *path, time_t *when)
{
	char text[64] = "";
	long long seconds = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return 0;
	if (fgets(text, sizeof(text), f) == NULL)
		text[0] = '\0';
	fclose(f);
	if (sscanf(text, "refused %lld", &seconds) != 1)
		return 0;
	*when = (time_t)seconds;
	return -1;
}

int health_run(const struct settings *s, bool json, const char *reload_status)
{
	char postmaster[320];
	long deadline = (long)clock_ms() + HEALTH_BUDGET_MS;
	struct buffer out = {0};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509 *peer = NULL;
	bool healthy = true;
	char detail[256];

	snprintf(postmaster, sizeof(postmaster), "postmaster@%s", settings_get(s, S_MAIL_DOMAIN));
	/* Any certificate: this checks that TLS works, not who the server is. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (json)
		buffer_puts(&out, "[");
	arm_deadline(true);
	for (size_t i = 0; i < LISTENER_COUNT; i++) {
		const struct listener *l = &listeners[i];
		/* Port 25 through the maps: RCPT TO:<postmaster@MAIL_DOMAIN>. */
		const struct probe p = {l->name, l->where, l->protocol, l->tls,
					l->protocol == SMTP ? postmaster : NULL};
		struct result r = {0};

		if (!listener_enabled(l, s))
			continue;
		run_probe(&p, ctx, deadline, &peer, &r);
		healthy &= r.ok;
		report(&out, json, p.name, p.where, r.ok, r.ok ? "ok" : "FAIL", r.detail, r.ms);
	}
	arm_deadline(false);
	int cert = certificate_check(peer, detail, sizeof(detail));
	healthy &= cert >= 0;
	report(&out, json, "certificate", settings_get(s, S_MAIL_HOSTNAME), cert >= 0,
	       cert < 0   ? "FAIL"
	       : cert > 0 ? "warn"
			  : "ok",
	       detail, 0);
	time_t refused_at;
	bool refused = reload_outcome(reload_status, &refused_at) < 0;
	if (refused) {
		struct tm tm;
		char when[32];

		gmtime_r(&refused_at, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(detail, sizeof(detail),
			 "the last change was refused at %s: mail flows on the last good "
			 "configuration, but the next start fails (mailinit check says why)",
			 when);
	} else {
		snprintf(detail, sizeof(detail), "the running configuration is the files' own");
	}
	report(&out, json, "configuration", reload_status, true, refused ? "warn" : "ok", detail,
	       0);
	if (json) {
		/* Wrap the checks: {"healthy":..,"checks":[..]} */
		struct buffer wrapped = {0};

		buffer_printf(&wrapped, "{\"healthy\":%s,\"checks\":%s]}\n",
			      healthy ? "true" : "false", out.data);
		buffer_free(&out);
		out = wrapped;
	}
	fputs(out.data, stdout);
	buffer_free(&out);
	X509_free(peer);
	SSL_CTX_free(ctx);
	return healthy ? 0 : 1;
}
