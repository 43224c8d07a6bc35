/*
 * NAME
 *	settings - every setting defined once; the file and the environment read it
 *
 * DESCRIPTION
 *	See settings.h. The table below is the whole list; docs/configuration.md
 *	is generated from it ("make docs"), and a test checks the two agree.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "mail/domains.h"
#include "mail/settings.h"
#include "base/text.h"
#include "base/xalloc.h"

#define NUMBER(lo, hi) .min = (lo), .max = (hi)

const struct setting_def setting_defs[SETTING_COUNT] = {
    [S_MAIL_DOMAIN] = {"MAIL_DOMAIN", KIND_DOMAIN, NULL, .help = "primary mail domain (required)",
		       .example = "example.com"},
    [S_MAIL_DOMAINS] = {"MAIL_DOMAINS", KIND_DOMAIN_LIST, "",
			.help = "further mail domains, separated by blanks or commas",
			.example = "example.org example.net"},
    [S_MAIL_HOSTNAME] = {"MAIL_HOSTNAME", KIND_DOMAIN, NULL,
			 .help = "the server's name: HELO, banner, certificate; must differ from "
				 "every mail domain. Default: the container's FQDN if it is one "
				 "and no mail domain, else mail.$MAIL_DOMAIN",
			 .example = "mail.example.com"},
    [S_POSTMASTER_ADDRESS] = {"POSTMASTER_ADDRESS", KIND_ADDRESS, NULL,
			      .help = "where mail to postmaster@ and bounces go. Default: "
				      "postmaster@$MAIL_DOMAIN",
			      .example = "admin@example.com"},
    [S_CERT_PATH] = {"CERT_PATH", KIND_PATH, NULL,
		     .help = "directory with fullchain.pem and privkey.pem (certbot's live/NAME)",
		     .example = "/etc/letsencrypt/live/mail.example.com"},
    [S_TLS_CERT_FILE] = {"TLS_CERT_FILE", KIND_PATH, NULL,
			 .help = "certificate chain file, instead of CERT_PATH (with TLS_KEY_FILE)",
			 .example = "/certs/tls.crt"},
    [S_TLS_KEY_FILE] = {"TLS_KEY_FILE", KIND_PATH, NULL,
			.help = "private key file, with TLS_CERT_FILE",
			.example = "/certs/tls.key"},
    [S_CERTS_DIR] = {"CERTS_DIR", KIND_PATH, NULL,
		     .help = "a certificate per domain, served by SNI: a directory with one "
			     "subdirectory per certificate (certbot's live/, or Kubernetes TLS "
			     "secrets), each with fullchain.pem and privkey.pem or tls.crt and "
			     "tls.key; each is served to clients that ask for a name it covers, "
			     "the default certificate to the rest",
		     .example = "/etc/letsencrypt/live"},
    [S_CERT_WAIT] = {"CERT_WAIT", KIND_NUMBER, "300", NUMBER(0, 86400),
		     .help = "seconds to wait for a configured certificate to appear, then exit 75",
		     .example = "600"},
    [S_TLS_SELF_SIGNED] = {"TLS_SELF_SIGNED", KIND_BOOL, NULL,
			   .help = "generate and keep a self-signed certificate in "
				   "/etc/mailinit/tls/. Default: yes when no certificate is "
				   "configured",
			   .example = "no"},
    [S_TLS_LEVEL] = {"TLS_LEVEL", KIND_CHOICE, "intermediate", .choices = "intermediate|modern",
		     .help = "Mozilla's TLS profile: intermediate (TLS 1.2+) or modern (TLS 1.3)",
		     .example = "modern"},
    [S_TLS_HOSTNAME_CHECK] = {"TLS_HOSTNAME_CHECK", KIND_CHOICE, "warn", .choices = "warn|refuse",
			      .help = "a certificate that does not cover MAIL_HOSTNAME: warn, or "
				      "refuse to start",
			      .example = "refuse"},
    [S_TRUSTED_NETWORKS] = {"TRUSTED_NETWORKS", KIND_NETWORK_LIST, "",
			    .help = "networks that may relay without authentication (added to "
				    "mynetworks; their mail is DKIM-signed), e.g. 192.0.2.0/24",
			    .example = "10.0.0.0/8 [2001:db8::]/32"},
    [S_RELAYHOST] = {"RELAYHOST", KIND_RELAYHOST, NULL,
		     .help = "outbound smarthost: host, host:port or [host]:port",
		     .example = "[smtp.example.net]:587"},
    [S_RELAYHOST_USERNAME] = {"RELAYHOST_USERNAME", KIND_WORD, NULL,
			      .help = "SASL user name for RELAYHOST", .example = "relay-user"},
    [S_RELAYHOST_PASSWORD] = {"RELAYHOST_PASSWORD", KIND_SECRET, NULL,
			      .help =
				  "SASL password for RELAYHOST (better: RELAYHOST_PASSWORD_FILE)",
			      .example = "(use RELAYHOST_PASSWORD_FILE=/run/secrets/relay)"},
    [S_MESSAGE_SIZE_LIMIT] = {"MESSAGE_SIZE_LIMIT", KIND_NUMBER, "26214400",
			      NUMBER(1024, 2147483647), .help = "largest message accepted, bytes",
			      .example = "52428800"},
    [S_VMAIL_UID] = {"VMAIL_UID", KIND_NUMBER, "5000", NUMBER(1, 2147483647),
		     .help = "owner of /var/mail", .example = "1000"},
    [S_VMAIL_GID] = {"VMAIL_GID", KIND_NUMBER, "5000", NUMBER(1, 2147483647),
		     .help = "group of /var/mail", .example = "1000"},
    [S_ENABLE_IMAP] = {"ENABLE_IMAP", KIND_BOOL, "yes", .help = "IMAP on 143 and 993",
		       .example = "no"},
    [S_ENABLE_POP3] = {"ENABLE_POP3", KIND_BOOL, "yes", .help = "POP3 on 110 and 995",
		       .example = "no"},
    [S_ENABLE_DKIM] = {"ENABLE_DKIM", KIND_BOOL, "yes",
		       .help = "sign outgoing mail with OpenDKIM (incoming mail is verified by "
			       "rspamd, when ENABLE_RSPAMD is on)",
		       .example = "no"},
    [S_ENABLE_SIEVE] = {"ENABLE_SIEVE", KIND_BOOL, "yes",
			.help = "Sieve at delivery: files X-Spam-Flag: YES into Junk, runs the "
				"users' own scripts (ManageSieve)",
			.example = "no"},
    [S_ENABLE_MANAGESIEVE] = {"ENABLE_MANAGESIEVE", KIND_BOOL, "no",
			      .help = "ManageSieve on 4190 (needs ENABLE_SIEVE)", .example = "yes"},
    [S_PLUS_FOLDERS] = {"PLUS_FOLDERS", KIND_BOOL, "no",
			.help = "mail for user+word@ goes into the user's folder \"word\", made on "
				"first use (no: into the inbox; either way it reaches the user)",
			.example = "yes"},
    [S_DKIM_SELECTOR] = {"DKIM_SELECTOR", KIND_LABELS, "mail", .help = "DKIM selector of new keys",
			 .example = "mx2026"},
    [S_ENABLE_RSPAMD] = {"ENABLE_RSPAMD", KIND_BOOL, "yes",
			 .help = "rspamd filters mail on 25 before it is queued (spam score, SPF, "
				 "DKIM, DMARC, ARC, greylisting), with Redis for what it learns; "
				 "no: the lean server. A change takes a restart",
			 .example = "no"},
    [S_SPAM_REJECT_SCORE] = {"SPAM_REJECT_SCORE", KIND_NUMBER, "15", NUMBER(1, 1000),
			     .unit = "spam score",
			     .help = "rspamd's score at which mail is refused during SMTP (5xx)",
			     .example = "12"},
    [S_SPAM_JUNK_SCORE] = {"SPAM_JUNK_SCORE", KIND_NUMBER, "6", NUMBER(1, 1000),
			   .unit = "spam score",
			   .help = "score from which mail is marked X-Spam-Flag: YES and filed "
				   "into Junk (below SPAM_REJECT_SCORE)",
			   .example = "5"},
    [S_SPAM_GREYLIST_SCORE] = {"SPAM_GREYLIST_SCORE", KIND_NUMBER, "4", NUMBER(0, 1000),
			       .unit = "spam score",
			       .help = "score from which a first try from an unknown sender is "
				       "deferred (4xx) when GREYLISTING is on (below "
				       "SPAM_JUNK_SCORE)",
			       .example = "3"},
    [S_GREYLISTING] = {"GREYLISTING", KIND_BOOL, "yes",
		       .help = "defer doubtful mail once: real servers retry, most spam "
			       "does not",
		       .example = "no"},
    [S_GREYLIST_DELAY] = {"GREYLIST_DELAY", KIND_NUMBER, "300", NUMBER(1, 86400),
			  .unit = "number of seconds",
			  .help = "how long a greylisted sender must wait before its retry is "
				  "accepted",
			  .example = "120"},
    [S_DNSBL_SITES] = {"DNSBL_SITES", KIND_DNSBL_LIST, "",
		       .help = "DNS blocklists postscreen asks about each new client on 25, "
			       "in Postfix's syntax (ZONE, ZONE=127.0.0.2, ZONE*2); a listed "
			       "client is refused. Needs a resolver of your own: public "
			       "blocklists refuse queries from public resolvers",
		       .example = "zen.spamhaus.org"},
    [S_REDIS_MAX_MEMORY] = {"REDIS_MAX_MEMORY", KIND_NUMBER, "128", NUMBER(16, 65536),
			    .unit = "number of megabytes",
			    .help = "Redis's memory cap (rspamd's Bayes, greylisting, rate "
				    "limits); the least useful keys go first",
			    .example = "256"},
    [S_REDIS_SERVER] = {"REDIS_SERVER", KIND_SERVER, NULL,
			.help = "HOST:PORT of a Redis that several MX servers share (ROLE=mx, "
				"docs/scaling.md): rspamd keeps Bayes, greylisting and rate "
				"limits there, and no Redis of its own runs; a change between set "
				"and not takes a restart",
			.example = "mail-redis:6379"},
    [S_REDIS_PASSWORD] = {"REDIS_PASSWORD", KIND_SECRET, NULL,
			  .help = "the password of REDIS_SERVER (its requirepass; better: "
				  "REDIS_PASSWORD_FILE); no \", \\ or $",
			  .example = "(use REDIS_PASSWORD_FILE=/run/secrets/redis/password)"},
    [S_RSPAMD_WEB_PASSWORD] = {"RSPAMD_WEB_PASSWORD", KIND_SECRET, NULL,
			       .help = "password of rspamd's web interface, which is off "
				       "without one (better: RSPAMD_WEB_PASSWORD_FILE); 12 "
				       "characters or more, no \", \\ or $",
			       .example = "(use RSPAMD_WEB_PASSWORD_FILE=/run/secrets/rspamd)"},
    [S_RSPAMD_WEB_LISTEN] = {"RSPAMD_WEB_LISTEN", KIND_WORD, "127.0.0.1:11334",
			     .help = "ADDRESS:PORT of rspamd's web interface (with "
				     "RSPAMD_WEB_PASSWORD); loopback: for a proxy in the same pod "
				     "or network namespace",
			     .example = "0.0.0.0:11334"},
    [S_ENABLE_BANS] = {"ENABLE_BANS", KIND_BOOL, "yes",
		       .help =
			   "refuse a client address on every port after BAN_AFTER failed logins "
			   "within BAN_WINDOW (IMAP, POP3, ManageSieve, SMTP AUTH), for "
			   "BAN_TIME; a change takes a restart",
		       .example = "no"},
    [S_BAN_AFTER] = {"BAN_AFTER", KIND_NUMBER, "10", NUMBER(2, 1000),
		     .help = "failed logins from one address (or IPv6 prefix) that ban it",
		     .example = "5"},
    [S_BAN_WINDOW] = {"BAN_WINDOW", KIND_NUMBER, "600", NUMBER(10, 86400),
		      .unit = "number of seconds",
		      .help = "the time within which BAN_AFTER failures ban", .example = "3600"},
    [S_BAN_TIME] = {"BAN_TIME", KIND_NUMBER, "3600", NUMBER(60, 2592000),
		    .unit = "number of seconds",
		    .help = "how long a first ban lasts; each new ban of the same address within "
			    "a week lasts twice the last, up to 30 days",
		    .example = "86400"},
    [S_BAN_IGNORE] = {"BAN_IGNORE", KIND_NETWORK_LIST, "",
		      .help = "networks never banned, beside loopback and TRUSTED_NETWORKS (your "
			      "office, your monitoring)",
		      .example = "198.51.100.0/24 [2001:db8:1::]/48"},
    [S_BAN_IPV6_PREFIX] = {"BAN_IPV6_PREFIX", KIND_NUMBER, "64", NUMBER(32, 128),
			   .help = "an IPv6 client is counted and banned by this prefix: one "
				   "host usually holds a whole /64",
			   .example = "56"},
    [S_PROXY_PROTOCOL_NETWORKS] = {"PROXY_PROTOCOL_NETWORKS", KIND_NETWORK_LIST, "",
				   .help = "load balancers that may send the PROXY protocol (v1 "
					   "or v2) on the proxy ports 12525, 10465, 10587, 10143, "
					   "10993, 10110, 10995 and 14190, so that the daemons see "
					   "the real client address; a connection from anywhere "
					   "else to those ports is closed; a change between empty "
					   "and not takes a restart",
				   .example = "10.0.0.5/32 [2001:db8::5]/128"},
    [S_METRICS] = {"METRICS", KIND_BOOL, "no",
		   .help = "serve OpenMetrics (Prometheus) at http://METRICS_LISTEN/metrics: the "
			   "services, mail flow, logins, the queue, certificates; a change takes "
			   "a restart",
		   .example = "yes"},
    [S_METRICS_LISTEN] = {"METRICS_LISTEN", KIND_WORD, "0.0.0.0:9154",
			  .help =
			      "ADDRESS:PORT of the metrics (METRICS); no password: keep the "
			      "port to the network of the Prometheus that scrapes it; [::]:PORT "
			      "for IPv6 too; another port: change the scrape's too (Kubernetes' "
			      "containerPort and prometheus.io/port)",
			  .example = "[::]:9154"},
    [S_ROLE] = {"ROLE", KIND_CHOICE, "all", .choices = "all|mx|mailbox|proxy",
		.help = "what this container is when one is not enough (docs/scaling.md): all "
			"of the server; mx: Postfix, rspamd, OpenDKIM and the logins for "
			"submission, delivering to LMTP_SERVER; mailbox: Dovecot with the "
			"mailboxes (IMAP, POP3, ManageSieve, LMTP on port 24; "
			"TRUSTED_NETWORKS: the proxies); proxy: Dovecot sending each "
			"login and delivery to the account's mailbox server; a change takes a "
			"restart",
		.example = "mx"},
    [S_LMTP_SERVER] = {"LMTP_SERVER", KIND_SERVER, NULL,
		       .help = "HOST:PORT where ROLE=mx delivers (LMTP): the proxy in front of "
			       "the mailbox servers, or the one mailbox server",
		       .example = "127.0.0.1:24"},
    [S_MAILBOX_HOST] = {"MAILBOX_HOST", KIND_HOST, NULL,
			.help = "ROLE=proxy: the mailbox server of the accounts whose line has no "
				"host= field",
			.example = "mailbox-0.mailbox"},
    [S_ALLOW_PLAINTEXT_PASSWORDS] = {"ALLOW_PLAINTEXT_PASSWORDS", KIND_BOOL, "no",
				     .help = "accept {PLAIN} passwords in the accounts file",
				     .example = "yes"},
    [S_DEMO_ACCOUNT] = {"DEMO_ACCOUNT", KIND_ADDRESS, NULL,
			.help =
			    "when the accounts file is empty, create this account with a "
			    "generated password, printed once (make run uses demo@example.test)",
			.example = "demo@example.com"},
    [S_STOP_GRACE] = {"STOP_GRACE", KIND_NUMBER, "8", NUMBER(0, 3600), .unit = "number of seconds",
		      .help = "seconds from SIGTERM to SIGKILL of what is left; unset: the service "
			      "file's stop_grace (8 as shipped)",
		      .example = "25"},
    [S_LOG_LEVEL] = {"LOG_LEVEL", KIND_CHOICE, "info", .choices = "debug|info|warn|error",
		     .help = "mailinit's own log detail", .example = "debug"},
    [S_LOG_FORMAT] = {"LOG_FORMAT", KIND_CHOICE, "plain", .choices = "plain|json",
		      .help = "the container log: \"program[pid]: text\" lines, or one JSON "
			      "object per line (time, program, pid, level, message) for log "
			      "shippers",
		      .example = "json"},
};

void settings_init(struct settings *s)
{
	memset(s, 0, sizeof(*s));
}

void settings_free(struct settings *s)
{
	for (size_t i = 0; i < SETTING_COUNT; i++)
		free(s->value[i]);
	for (size_t i = 0; i < s->postfix_count; i++) {
		free(s->postfix[i].param);
		free(s->postfix[i].value);
	}
	memset(s, 0, sizeof(*s));
}

void settings_set(struct settings *s, enum setting_id id, const char *value, const char *origin)
{
	free(s->value[id]);
	s->value[id] = xstrdup(value);
	snprintf(s->origin[id], sizeof(s->origin[id]), "%s", origin);
}

size_t settings_split(const char *list, char words[][256], size_t max)
{
	size_t count = 0;

	while (count < max && text_next_word(&list, words[count], 256))
		count++;
	return count;
}

int settings_id(const char *name)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (strcmp(setting_defs[i].name, name) == 0)
			return (int)i;
	}
	return -1;
}

const char *settings_get(const struct settings *s, enum setting_id id)
{
	return s->value[id];
}

bool settings_bool(const struct settings *s, enum setting_id id)
{
	const char *why;
	bool value = false;

	return s->value[id] && valid_bool(s->value[id], &value, &why) && value;
}

static const char *const role_names[] = {"all", "mx", "mailbox", "proxy"};

enum mail_role settings_role(const struct settings *s)
{
	const char *value = s->value[S_ROLE];

	for (size_t i = 0; value && i < sizeof(role_names) / sizeof(role_names[0]); i++) {
		if (strcmp(value, role_names[i]) == 0)
			return (enum mail_role)i;
	}
	return ROLE_ALL;
}

const char *settings_role_name(enum mail_role role)
{
	return role_names[role];
}

bool settings_list_set(const struct settings *s, enum setting_id id)
{
	const char *value = s->value[id];

	return value && value[strspn(value, " \t")] != '\0';
}

unsigned long settings_number(const struct settings *s, enum setting_id id)
{
	return s->value[id] ? strtoul(s->value[id], NULL, 10) : 0;
}

void settings_print_table(bool markdown)
{
	if (markdown)
		printf("| variable | default | meaning | example |\n|---|---|---|---|\n");
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		const struct setting_def *def = &setting_defs[i];
		const char *fallback = def->fallback ? def->fallback : "";
		char range[64] = "";
		/* An example that is a note, "(use ...)", is not code. */
		bool quote_example = def->example && def->example[0] != '(';

		if (def->kind == KIND_NUMBER)
			snprintf(range, sizeof(range), " (%lu to %lu)", def->min, def->max);
		else if (def->kind == KIND_CHOICE)
			snprintf(range, sizeof(range), " (%s)", def->choices);
		if (markdown)
			printf("| `%s` | %s%s%s | %s%s | %s%s%s |\n", def->name,
			       *fallback ? "`" : "—", fallback, *fallback ? "`" : "", def->help,
			       range, quote_example ? "`" : "", def->example ? def->example : "—",
			       quote_example ? "`" : "");
		else
			printf("%-26s %-14s %s%s\n", def->name, *fallback ? fallback : "-",
			       def->help, range);
	}
}
