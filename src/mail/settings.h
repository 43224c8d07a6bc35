/*
 * NAME
 *	settings - every setting defined once; the file and the environment read it
 *
 * SYNOPSIS
 *	struct settings s;
 *	struct problems problems = {0};
 *	settings_init(&s);
 *	settings_read_file(&s, "/etc/mailinit/mailinit.conf", &problems);
 *	settings_read_environment(&s, environ, &problems);
 *	settings_resolve(&s, &problems);      (defaults, then every check)
 *	settings_get(&s, S_MAIL_DOMAIN)       "example.com"
 *	settings_free(&s);
 *
 * DESCRIPTION
 *	setting_defs[] is the one table: name, kind, default, range or
 *	choices, and a help line. Built-in defaults < the libconfuse file
 *	(option names in lower case: mail_domain = "example.com") < the
 *	environment. Every variable NAME may instead be given as NAME_FILE,
 *	a path whose content is the value (container secrets; one trailing
 *	newline is dropped).
 *
 *	Postfix parameters: POSTFIX_<PARAM>=value in the environment, or
 *	"postfix { param = value }" in the file, sets main.cf's <param>
 *	(POSTFIX_SMTPD_BANNER sets smtpd_banner). They are checked by postconf
 *	with the rest of the rendered configuration.
 *
 * DIAGNOSTICS
 *	Each problem is one line naming the variable (and, from the file, the
 *	file and line), counted in *problems.
 */
#ifndef MAILINIT_SETTINGS_H
#define MAILINIT_SETTINGS_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/validate.h"

enum setting_id {
	S_MAIL_DOMAIN,
	S_MAIL_DOMAINS,
	S_MAIL_HOSTNAME,
	S_POSTMASTER_ADDRESS,
	S_CERT_PATH,
	S_TLS_CERT_FILE,
	S_CERTS_DIR,
	S_TLS_KEY_FILE,
	S_CERT_WAIT,
	S_TLS_SELF_SIGNED,
	S_TLS_LEVEL,
	S_TLS_HOSTNAME_CHECK,
	S_TRUSTED_NETWORKS,
	S_RELAYHOST,
	S_RELAYHOST_USERNAME,
	S_RELAYHOST_PASSWORD,
	S_MESSAGE_SIZE_LIMIT,
	S_VMAIL_UID,
	S_VMAIL_GID,
	S_ENABLE_IMAP,
	S_ENABLE_POP3,
	S_ENABLE_DKIM,
	S_ENABLE_SIEVE,
	S_ENABLE_MANAGESIEVE,
	S_PLUS_FOLDERS,
	S_DKIM_SELECTOR,
	S_ENABLE_RSPAMD,
	S_SPAM_REJECT_SCORE,
	S_SPAM_JUNK_SCORE,
	S_SPAM_GREYLIST_SCORE,
	S_GREYLISTING,
	S_GREYLIST_DELAY,
	S_DNSBL_SITES,
	S_REDIS_MAX_MEMORY,
	S_REDIS_SERVER,
	S_REDIS_PASSWORD,
	S_RSPAMD_WEB_PASSWORD,
	S_RSPAMD_WEB_LISTEN,
	S_ENABLE_BANS,
	S_BAN_AFTER,
	S_BAN_WINDOW,
	S_BAN_TIME,
	S_BAN_IGNORE,
	S_BAN_IPV6_PREFIX,
	S_PROXY_PROTOCOL_NETWORKS,
	S_METRICS,
	S_METRICS_LISTEN,
	S_ROLE,
	S_LMTP_SERVER,
	S_MAILBOX_HOST,
	S_ALLOW_PLAINTEXT_PASSWORDS,
	S_DEMO_ACCOUNT,
	S_STOP_GRACE,
	S_LOG_LEVEL,
	S_LOG_FORMAT,
	SETTING_COUNT
};

enum setting_kind {
	KIND_DOMAIN,
	KIND_DOMAIN_LIST,
	KIND_ADDRESS,
	KIND_PATH,
	KIND_NUMBER,
	KIND_BOOL,
	KIND_CHOICE,
	KIND_NETWORK_LIST,
	KIND_DNSBL_LIST, /* Postfix's DOMAIN[=FILTER][*WEIGHT], each */
	KIND_RELAYHOST,
	KIND_WORD,   /* one word: no blanks */
	KIND_SECRET, /* any printable text; never logged */
	KIND_LABELS, /* dot-separated DNS labels (a DKIM selector) */
	KIND_HOST,   /* a host name (one label or more) or an IP address */
	KIND_SERVER, /* HOST:PORT or [IPv6]:PORT */
};

struct setting_def {
	const char *name;
	enum setting_kind kind;
	const char *fallback; /* built-in default; NULL: none, or computed (see help) */
	unsigned long min, max;
	const char *choices; /* KIND_CHOICE: "a|b|c" */
	const char *help;
	const char *example; /* a value as an operator would set it, for the docs */
	const char *unit;    /* KIND_NUMBER: "number of seconds"; NULL: "whole number" */
};

extern const struct setting_def setting_defs[SETTING_COUNT];

#define POSTFIX_OVERRIDES_MAX 64
#define ORIGIN_MAX            160

struct postfix_override {
	char *param;
	char *value;
	char origin[ORIGIN_MAX];
};

struct settings {
	char *value[SETTING_COUNT];
	char origin[SETTING_COUNT][ORIGIN_MAX]; /* "environment", "FILE:LINE", "default" */
	struct postfix_override postfix[POSTFIX_OVERRIDES_MAX];
	size_t postfix_count;
	const char *hostname_of_container; /* for the MAIL_HOSTNAME default; NULL: ask the kernel */
	bool file_unparsed; /* the settings file has a syntax error: its values are missing */
};

void settings_init(struct settings *s);
/* Set ID to a copy of VALUE, remembering ORIGIN ("environment", "FILE:LINE", "default"). */
void settings_set(struct settings *s, enum setting_id id, const char *value, const char *origin);
void settings_free(struct settings *s);
/* A missing file is not a problem: every setting has the environment. */
void settings_read_file(struct settings *s, const char *path, struct problems *problems);
void settings_read_environment(struct settings *s, char *const *env, struct problems *problems);
/* Fill defaults, then check every value and every rule between values. */
void settings_resolve(struct settings *s, struct problems *problems);
/* Check the one value ID, as settings_resolve does (nothing when it is unset). */
void settings_check(const struct settings *s, enum setting_id id, struct problems *problems);

/* ROLE: what this container is of a server split into several (docs/scaling.md). */
enum mail_role { ROLE_ALL, ROLE_MX, ROLE_MAILBOX, ROLE_PROXY };
#define ROLE_BIT(role) (1u << (role))
enum mail_role settings_role(const struct settings *s);
/* ROLE as its value names it: "all", "mx", "mailbox", "proxy". */
const char *settings_role_name(enum mail_role role);

/* The setting called NAME ("ENABLE_RSPAMD"), or -1. */
int settings_id(const char *name);
const char *settings_get(const struct settings *s, enum setting_id id);
bool settings_bool(const struct settings *s, enum setting_id id);
/* A list setting holds at least one word (PROXY_PROTOCOL_NETWORKS: the gate runs). */
bool settings_list_set(const struct settings *s, enum setting_id id);
unsigned long settings_number(const struct settings *s, enum setting_id id);
/* Split a list value (blanks or commas) into words; returns how many, at most max. */
size_t settings_split(const char *list, char words[][256], size_t max);

/* Print the table: plain for "mailinit help settings", Markdown for docs/. */
void settings_print_table(bool markdown);

#endif
