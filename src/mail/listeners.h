/*
 * NAME
 *	listeners - every port and socket of the mail daemons, in one table
 *
 * SYNOPSIS
 *	for (size_t i = 0; i < LISTENER_COUNT; i++)
 *		if (listener_enabled(&listeners[i], &settings)) ... listeners[i].where ...
 *	listeners_template_value("LISTEN_IMAPS")           "993"; NULL: no such name
 *	listeners_summary(&settings, &buffer);
 *	    "dovecot (imap 143/993, pop3 110/995), opendkim, postfix (smtp 25, ...)"
 *
 * DESCRIPTION
 *	One row per listener: its name, the daemon that serves it, where
 *	(127.0.0.1:PORT, or a unix socket's path), how it speaks (what health
 *	probes with), TLS from the first byte or not, and the setting that
 *	turns it on (or none: always on), the ROLEs it is in. "mailinit health" probes the rows,
 *	"check" summarises them, and the templates take the ports and paths as
 *	{{LISTEN_NAME}} (the name upper-cased: LISTEN_IMAPS, LISTEN_LMTP).
 *	Postfix's three are its master.cf services smtp, submission and
 *	submissions, whose ports are those names' in /etc/services.
 */
#ifndef MAILINIT_LISTENERS_H
#define MAILINIT_LISTENERS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buffer.h"
#include "mail/settings.h"

enum listener_protocol {
	SMTP,
	SMTP_STARTTLS,
	SMTP_TLS,
	IMAP,
	POP3,
	SIEVE,
	LMTP,
	AUTH,
	MILTER,
	HTTP_PING,   /* GET /ping, answered "pong" (rspamd's controller) */
	REDIS,       /* PING, answered +PONG */
	POLICY,      /* Postfix's policy protocol: a request, answered action=... */
	OPENMETRICS, /* GET /metrics, answered with a text ending "# EOF" */
};

#define ALWAYS_ON ((enum setting_id) - 1)

struct listener {
	const char *name;    /* health's name; Postfix's: its master.cf service */
	const char *daemon;  /* "postfix", "dovecot", "opendkim", "rspamd", "redis", "guard" */
	const char *summary; /* check's word for it ("imap"), NULL: not named */
	const char *where;   /* "127.0.0.1:25", or a unix socket's path */
	enum listener_protocol protocol;
	bool tls;                /* TLS from the first byte */
	enum setting_id enabled; /* ALWAYS_ON, or the ENABLE_* setting */
	unsigned roles;          /* the ROLEs it is in (ROLE_BIT), docs/scaling.md */
};

/* Postfix's ports and what it asks; the ports of mail clients; every role. */
#define MX_ROLES     (ROLE_BIT(ROLE_ALL) | ROLE_BIT(ROLE_MX))
#define CLIENT_ROLES (ROLE_BIT(ROLE_ALL) | ROLE_BIT(ROLE_MAILBOX) | ROLE_BIT(ROLE_PROXY))
#define ALL_ROLES    (CLIENT_ROLES | ROLE_BIT(ROLE_MX))

#define LISTENER_COUNT 18
extern const struct listener listeners[LISTENER_COUNT];

bool listener_enabled(const struct listener *l, const struct settings *settings);
/* LISTEN_NAME: the port ("993") or the socket's path; NULL for another name. */
const char *listeners_template_value(const char *name);
/* The daemons "check" would start, with their enabled listeners. */
void listeners_summary(const struct settings *settings, struct buffer *out);

#endif
