/*
 * NAME
 *	listeners - every port and socket of the mail daemons, in one table
 *
 * DESCRIPTION
 *	See listeners.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "mail/listeners.h"

const struct listener listeners[LISTENER_COUNT] = {
    {"smtp", "postfix", "smtp", "127.0.0.1:25", SMTP, false, ALWAYS_ON, MX_ROLES},
    {"submission", "postfix", "submission", "127.0.0.1:587", SMTP_STARTTLS, false, ALWAYS_ON,
     MX_ROLES},
    {"submissions", "postfix", "submissions", "127.0.0.1:465", SMTP_TLS, true, ALWAYS_ON, MX_ROLES},
    {"imap", "dovecot", "imap", "127.0.0.1:143", IMAP, false, S_ENABLE_IMAP, CLIENT_ROLES},
    {"imaps", "dovecot", "imap", "127.0.0.1:993", IMAP, true, S_ENABLE_IMAP, CLIENT_ROLES},
    {"pop3", "dovecot", "pop3", "127.0.0.1:110", POP3, false, S_ENABLE_POP3, CLIENT_ROLES},
    {"pop3s", "dovecot", "pop3", "127.0.0.1:995", POP3, true, S_ENABLE_POP3, CLIENT_ROLES},
    {"managesieve", "dovecot", "sieve", "127.0.0.1:4190", SIEVE, false, S_ENABLE_MANAGESIEVE,
     CLIENT_ROLES},
    /* Postfix delivers through this one and authenticates through the next. */
    {"lmtp", "dovecot", NULL, "/var/spool/postfix/private/dovecot-lmtp", LMTP, false, ALWAYS_ON,
     ROLE_BIT(ROLE_ALL)},
    /* ROLE=mailbox and proxy: the MX servers' deliveries, over the cluster's network. */
    {"lmtp_tcp", "dovecot", "lmtp", "127.0.0.1:24", LMTP, false, ALWAYS_ON,
     ROLE_BIT(ROLE_MAILBOX) | ROLE_BIT(ROLE_PROXY)},
    {"auth", "dovecot", NULL, "/var/spool/postfix/private/auth", AUTH, false, ALWAYS_ON, MX_ROLES},
    /* Postfix asks it at RCPT whether the mailbox has room (a policy service). */
    {"quota", "dovecot", NULL, "/var/spool/postfix/private/quota-status", POLICY, false, ALWAYS_ON,
     ROLE_BIT(ROLE_ALL)},
    /* The milters on unix sockets, in directories only Postfix's group may enter: a TCP
       connection on the container's loopback cost a fifth of the accept rate. */
    {"dkim", "opendkim", NULL, "/run/opendkim/milter.sock", MILTER, false, S_ENABLE_DKIM, MX_ROLES},
    /* rspamd filters as Postfix's first milter; its controller takes what Dovecot's
       Junk moves teach, and health's ping; Redis keeps what it learns. */
    {"rspamd", "rspamd", NULL, "/run/rspamd-milter/milter.sock", MILTER, false, S_ENABLE_RSPAMD,
     MX_ROLES},
    {"controller", "rspamd", NULL, "/run/rspamd-controller/controller.sock", HTTP_PING, false,
     S_ENABLE_RSPAMD, MX_ROLES},
    {"redis", "redis", NULL, "/run/redis/redis.sock", REDIS, false, S_ENABLE_RSPAMD, MX_ROLES},
    /* mailinit's own: the bans, asked by Postfix (policy) and Dovecot (dict; guard.h). */
    {"guard", "guard", NULL, "/run/mailinit-guard/policy", POLICY, false, S_ENABLE_BANS, ALL_ROLES},
    /* METRICS: Dovecot's own counters, which "mailinit metrics" adds to its endpoint. A unix
       socket only _mailmetrics may use (Dovecot's stats serve HTTP on a listener named
       "http"): a port on loopback could be taken by any uid while Dovecot restarts. */
    {"stats", "dovecot", NULL, "/run/dovecot/http", OPENMETRICS, false, S_METRICS, ALL_ROLES},
};

bool listener_enabled(const struct listener *l, const struct settings *settings)
{
	/* REDIS_SERVER: rspamd's Redis is elsewhere, shared; no Redis of this server's. */
	if (l->protocol == REDIS && settings_get(settings, S_REDIS_SERVER))
		return false;
	return (l->roles & ROLE_BIT(settings_role(settings))) &&
	       (l->enabled == ALWAYS_ON || settings_bool(settings, l->enabled));
}

const char *listeners_template_value(const char *name)
{
	char upper[32];

	if (strncmp(name, "LISTEN_", 7) != 0)
		return NULL;
	for (size_t i = 0; i < LISTENER_COUNT; i++) {
		size_t n = 0;

		for (; n < sizeof(upper) - 1 && listeners[i].name[n]; n++)
			upper[n] = (char)toupper((unsigned char)listeners[i].name[n]);
		upper[n] = '\0';
		if (strcmp(name + 7, upper) != 0)
			continue;
		/* The port of HOST:PORT, the whole of a path. */
		return listeners[i].where[0] == '/' ? listeners[i].where
						    : strrchr(listeners[i].where, ':') + 1;
	}
	return NULL;
}

/* "imap 143/993, pop3 110/995" for DAEMON: its named listeners that are on. */
static void daemon_parts(const struct settings *settings, const char *daemon, struct buffer *out)
{
	const char *last = NULL;

	for (size_t i = 0; i < LISTENER_COUNT; i++) {
		const struct listener *l = &listeners[i];

		if (strcmp(l->daemon, daemon) != 0 || l->summary == NULL ||
		    !listener_enabled(l, settings))
			continue;
		if (last && strcmp(last, l->summary) == 0)
			buffer_printf(out, "/%s", strrchr(l->where, ':') + 1);
		else
			buffer_printf(out, "%s%s %s", last ? ", " : "", l->summary,
				      strrchr(l->where, ':') + 1);
		last = l->summary;
	}
}

static bool daemon_runs(const struct settings *settings, const char *daemon)
{
	for (size_t i = 0; i < LISTENER_COUNT; i++) {
		if (strcmp(listeners[i].daemon, daemon) == 0 &&
		    listener_enabled(&listeners[i], settings))
			return true;
	}
	return false;
}

void listeners_summary(const struct settings *settings, struct buffer *out)
{
	struct buffer parts = {0};

	daemon_parts(settings, "dovecot", &parts);
	/* With no protocol for clients, Dovecot still delivers (LMTP), or in ROLE=mx logs
	   submission's users in. */
	buffer_printf(out, "dovecot (%s), ",
		      parts.len                            ? parts.data
		      : settings_role(settings) == ROLE_MX ? "auth"
							   : "lmtp");
	if (daemon_runs(settings, "opendkim"))
		buffer_puts(out, "opendkim, ");
	if (daemon_runs(settings, "rspamd"))
		buffer_puts(out, "rspamd, ");
	if (daemon_runs(settings, "redis"))
		buffer_puts(out, "redis, ");
	if (daemon_runs(settings, "guard"))
		buffer_puts(out, "guard, ");
	buffer_free(&parts);
	parts = (struct buffer){0};
	daemon_parts(settings, "postfix", &parts);
	if (parts.len) {
		buffer_printf(out, "postfix (%s)", parts.data);
	} else if (out->len >= 2) { /* ROLE=mailbox or proxy: no ", " after the last */
		out->len -= 2;
		out->data[out->len] = '\0';
	}
	/* PROXY_PROTOCOL_NETWORKS: the gate in front of Postfix's proxy ports (gate.h). */
	if (parts.len && settings_list_set(settings, S_PROXY_PROTOCOL_NETWORKS))
		buffer_puts(out, ", gate (PROXY protocol ports)");
	if (settings_role(settings) != ROLE_ALL)
		buffer_printf(out, " (ROLE=%s)", settings_role_name(settings_role(settings)));
	buffer_free(&parts);
}
