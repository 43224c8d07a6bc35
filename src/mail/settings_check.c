/*
 * NAME
 *	settings_check - defaults filled in, every value and rule checked
 *
 * DESCRIPTION
 *	See settings.h. Each value against its kind in setting_defs[], then the
 *	rules between values (MAIL_HOSTNAME is no mail domain, CERT_PATH or the
 *	two files), then domain names in their one spelling.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "base/log.h"
#include "base/text.h"
#include "mail/domains.h"
#include "mail/ban_list.h"
#include "mail/networks.h"
#include "mail/settings.h"
#include "mail/validate.h"

static bool choice_is_valid(const char *choices, const char *value)
{
	size_t len = strlen(value);

	for (const char *p = choices; *p;) {
		size_t n = strcspn(p, "|");

		if (n == len && strncmp(p, value, n) == 0)
			return true;
		p += n + (p[n] == '|');
	}
	return false;
}

static bool labels_are_valid(const char *text)
{
	size_t label = 0;

	for (const char *p = text;; p++) {
		if (*p == '.' || *p == '\0') {
			if (label == 0 || label > 63 || p[-1] == '-')
				return false;
			if (*p == '\0')
				return true;
			label = 0;
		} else if (isalnum((unsigned char)*p) || (*p == '-' && label > 0)) {
			label++;
		} else {
			return false;
		}
	}
}

/* Each word of a list value (MAIL_DOMAINS, TRUSTED_NETWORKS, DNSBL_SITES), each problem
   reported. */
static void check_list(const struct settings *s, enum setting_id id, struct problems *problems)
{
	const struct setting_def *def = &setting_defs[id];
	const char *cursor = s->value[id], *why;
	char word[256];

	while (text_next_word(&cursor, word, sizeof(word))) {
		if (strlen(word) == sizeof(word) - 1) { /* cut: the rest would go unchecked */
			problem(problems,
				"%s: \"%.40s...\" is longer than %zu characters (from %s)",
				def->name, word, sizeof(word) - 2, s->origin[id]);
			continue;
		}
		bool ok = def->kind == KIND_DOMAIN_LIST  ? valid_domain(word, &why)
			  : def->kind == KIND_DNSBL_LIST ? valid_dnsbl_site(word, &why)
							 : valid_network(word, &why);
		if (!ok)
			problem(problems, "%s: \"%s\" %s (from %s)", def->name, word, why,
				s->origin[id]);
	}
}

/* What is wrong with VALUE as a single value of its kind, or NULL. */
static const char *single_value_problem(const struct setting_def *def, const char *value)
{
	const char *why = NULL;
	bool flag;

	switch (def->kind) {
	case KIND_DOMAIN: return valid_domain(value, &why) ? NULL : why;
	case KIND_ADDRESS: return valid_address(value, &why) ? NULL : why;
	case KIND_PATH: return valid_path(value, &why) ? NULL : why;
	case KIND_BOOL: return valid_bool(value, &flag, &why) ? NULL : why;
	case KIND_RELAYHOST: return valid_relayhost(value, &why) ? NULL : why;
	case KIND_HOST: return valid_host(value, &why) ? NULL : why;
	case KIND_SERVER: return valid_server(value, &why) ? NULL : why;
	case KIND_WORD:
		return value[0] != '\0' && !strpbrk(value, " \t")
			   ? NULL
			   : "must be one word, without blanks";
	case KIND_SECRET: return value[0] != '\0' ? NULL : "is empty";
	case KIND_LABELS:
		return labels_are_valid(value)
			   ? NULL
			   : "must be DNS labels: letters, digits, hyphens, dots";
	default: return NULL; /* lists, numbers and choices: settings_check */
	}
}

/* Check one value against its kind; report with where it came from. */
void settings_check(const struct settings *s, enum setting_id id, struct problems *problems)
{
	const struct setting_def *def = &setting_defs[id];
	const char *value = s->value[id], *why;
	unsigned long number;
	long bad;

	if (value == NULL)
		return;
	if ((bad = find_control_character(value)) >= 0) {
		problem(problems,
			"%s: contains a newline or control character at position %ld (from %s); "
			"a value must be one line of text",
			def->name, bad + 1, s->origin[id]);
		return;
	}
	if (def->kind == KIND_DOMAIN_LIST || def->kind == KIND_NETWORK_LIST ||
	    def->kind == KIND_DNSBL_LIST) {
		check_list(s, id, problems);
	} else if (def->kind == KIND_NUMBER) {
		if (!valid_uint(value, def->min, def->max, &number, &why))
			problem(problems, "%s: \"%s\" is not a %s from %lu to %lu (from %s)",
				def->name, value, def->unit ? def->unit : "whole number", def->min,
				def->max, s->origin[id]);
	} else if (def->kind == KIND_CHOICE) {
		if (!choice_is_valid(def->choices, value))
			problem(problems, "%s: \"%s\" is not one of %s (from %s)", def->name, value,
				def->choices, s->origin[id]);
	} else if ((why = single_value_problem(def, value)) != NULL) {
		/* Secrets are never echoed back. */
		if (def->kind == KIND_SECRET)
			problem(problems, "%s: %s (from %s)", def->name, why, s->origin[id]);
		else
			problem(problems, "%s: \"%s\" %s (from %s)", def->name, value, why,
				s->origin[id]);
	}
}

static const char *container_hostname(const struct settings *s, char *buf, size_t size)
{
	if (s->hostname_of_container)
		return s->hostname_of_container;
	if (gethostname(buf, size) != 0)
		return "";
	buf[size - 1] = '\0';
	return buf;
}

/* The mail domain (MAIL_DOMAIN or one of MAIL_DOMAINS) that NAME is, or NULL. */
static const char *matching_mail_domain(const struct settings *s, const char *name)
{
	static struct mail_domains domains; /* 64 KiB: not on the stack */

	mail_domains_from_settings(&domains, s);
	return mail_domains_find(&domains, name);
}

static void fill_defaults(struct settings *s)
{
	char name[256], buf[300];
	const char *why;

	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (s->value[i] == NULL && setting_defs[i].fallback)
			settings_set(s, (enum setting_id)i, setting_defs[i].fallback, "default");
	}
	if (s->value[S_MAIL_DOMAIN] == NULL || !valid_domain(s->value[S_MAIL_DOMAIN], &why))
		return;
	if (s->value[S_MAIL_HOSTNAME] == NULL) {
		const char *own = container_hostname(s, name, sizeof(name));

		if (strchr(own, '.') && valid_domain(own, &why) && !matching_mail_domain(s, own)) {
			settings_set(s, S_MAIL_HOSTNAME, own, "default (the container's FQDN)");
		} else {
			snprintf(buf, sizeof(buf), "mail.%s", s->value[S_MAIL_DOMAIN]);
			settings_set(s, S_MAIL_HOSTNAME, buf, "default (mail.$MAIL_DOMAIN)");
		}
	}
	if (s->value[S_POSTMASTER_ADDRESS] == NULL) {
		snprintf(buf, sizeof(buf), "postmaster@%s", s->value[S_MAIL_DOMAIN]);
		settings_set(s, S_POSTMASTER_ADDRESS, buf, "default");
	}
	if (s->value[S_TLS_SELF_SIGNED] == NULL) {
		bool configured = s->value[S_CERT_PATH] || s->value[S_TLS_CERT_FILE];

		settings_set(s, S_TLS_SELF_SIGNED, configured ? "no" : "yes", "default");
	}
}

/* Greylist < junk < reject: each action starts above the one before it. */
static void check_spam_scores(const struct settings *s, struct problems *problems)
{
	static const enum setting_id ladder[] = {S_SPAM_GREYLIST_SCORE, S_SPAM_JUNK_SCORE,
						 S_SPAM_REJECT_SCORE};

	for (size_t i = 0; i + 1 < sizeof(ladder) / sizeof(ladder[0]); i++) {
		enum setting_id low = ladder[i], high = ladder[i + 1];

		if (low == S_SPAM_GREYLIST_SCORE && !settings_bool(s, S_GREYLISTING))
			continue;
		if (s->value[low] && s->value[high] &&
		    settings_number(s, low) >= settings_number(s, high))
			problem(problems, "%s: %lu (from %s) must be below %s, %lu (from %s)",
				setting_defs[low].name, settings_number(s, low), s->origin[low],
				setting_defs[high].name, settings_number(s, high), s->origin[high]);
	}
}

/* An ADDRESS:PORT setting (RSPAMD_WEB_LISTEN, METRICS_LISTEN): what its daemon can bind. */
static void check_listen(const struct settings *s, enum setting_id id, const char *examples,
			 struct problems *problems)
{
	struct sockaddr_storage address;
	unsigned length;

	if (s->value[id] && !listen_address_parse(s->value[id], &address, &length))
		problem(problems,
			"%s: \"%s\" is not ADDRESS:PORT with an IP address and a port from 1 to "
			"65535 (e.g. %s) (from %s)",
			setting_defs[id].name, s->value[id], examples, s->origin[id]);
}

/*
 * rspamd's web interface: a password rspamd reads as a quoted string ("\" and "$" would be
 * its escapes and variables), long enough for a page anyone who reaches the port may try;
 * an address rspamd can bind.
 */
static void check_rspamd_web(const struct settings *s, struct problems *problems)
{
	const char *password = s->value[S_RSPAMD_WEB_PASSWORD];

	if (password && (strlen(password) < 12 || strpbrk(password, "\"\\$")))
		problem(problems,
			"RSPAMD_WEB_PASSWORD: must be 12 characters or more, without \", \\ or $ "
			"(from %s)",
			s->origin[S_RSPAMD_WEB_PASSWORD]);
	check_listen(s, S_RSPAMD_WEB_LISTEN, "127.0.0.1:11334 or [::1]:11334", problems);
	/* The shared Redis's password: the same quoted string in rspamd's redis.conf. */
	if (s->value[S_REDIS_PASSWORD] && !s->value[S_REDIS_SERVER])
		problem(problems, "REDIS_PASSWORD: is set without REDIS_SERVER (rspamd's own Redis "
				  "is on a socket only root and rspamd reach: it has none)");
	if (s->value[S_REDIS_PASSWORD] && strpbrk(s->value[S_REDIS_PASSWORD], "\"\\$"))
		problem(problems, "REDIS_PASSWORD: must not hold \", \\ or $ (from %s)",
			s->origin[S_REDIS_PASSWORD]);
}

/* The never-banned networks go to PID 1, the guard and mailinit ban as one line
   (ban_never_networks): together they must fit it, or the last would be cut. */
static void check_never_banned(const struct settings *s, struct problems *problems)
{
	char never[BAN_NEVER_MAX];

	if (!ban_never_networks(s, never, sizeof(never)))
		problem(problems,
			"TRUSTED_NETWORKS, BAN_IGNORE and PROXY_PROTOCOL_NETWORKS: together longer "
			"than the %d characters they may take; list fewer, wider networks",
			BAN_NEVER_MAX - (int)sizeof("127.0.0.0/8 ::1/128   "));
}

/* A load balancer's addresses, not a part of the Internet: whoever is in the list can claim
   any client address. IPv4 networks of /8 or longer, IPv6 of /32 or longer. */
static void check_proxy_networks(const struct settings *s, struct problems *problems)
{
	const char *cursor = s->value[S_PROXY_PROTOCOL_NETWORKS];
	char word[256];
	struct ban_address net;

	while (cursor && text_next_word(&cursor, word, sizeof(word))) {
		if (!ban_address_parse(word, 128, &net))
			continue; /* check_list said what is wrong with it */
		bool v4 = net.bytes[10] == 0xff && net.bytes[11] == 0xff &&
			  memcmp(net.bytes, "\0\0\0\0\0\0\0\0\0\0", 10) == 0;
		if ((v4 && net.prefix < 96 + 8) || (!v4 && net.prefix < 32))
			problem(problems,
				"PROXY_PROTOCOL_NETWORKS: \"%s\" is wider than a load balancer's "
				"addresses (no wider than /8 for IPv4, /32 for IPv6): anyone in it "
				"may claim "
				"any client address (from %s)",
				word, s->origin[S_PROXY_PROTOCOL_NETWORKS]);
	}
}

/* What a role cannot do without (docs/scaling.md). */
static void check_role(const struct settings *s, struct problems *problems)
{
	enum mail_role role = settings_role(s);

	if (role == ROLE_MX && !s->value[S_LMTP_SERVER])
		problem(problems,
			"ROLE: is mx (from %s) but LMTP_SERVER is not set: the mailbox "
			"server, or the proxy in front of them, to deliver to (e.g. "
			"LMTP_SERVER=127.0.0.1:24 for the proxy beside it)",
			s->origin[S_ROLE]);
}

static void check_rules(struct settings *s, struct problems *problems)
{
	const char *hostname = s->value[S_MAIL_HOSTNAME], *domain;

	if (hostname && (domain = matching_mail_domain(s, hostname)) != NULL)
		problem(problems,
			"MAIL_HOSTNAME: \"%s\" is the mail domain \"%s\"; they must differ or "
			"Postfix loops mail to itself (use e.g. mail.%s)",
			hostname, domain, s->value[S_MAIL_DOMAIN]);
	if (s->value[S_CERT_PATH] && (s->value[S_TLS_CERT_FILE] || s->value[S_TLS_KEY_FILE]))
		problem(problems, "CERT_PATH: set either CERT_PATH or TLS_CERT_FILE and "
				  "TLS_KEY_FILE, not both");
	else if (!s->value[S_TLS_CERT_FILE] != !s->value[S_TLS_KEY_FILE])
		problem(problems, "%s: is set without %s (give both files)",
			s->value[S_TLS_CERT_FILE] ? "TLS_CERT_FILE" : "TLS_KEY_FILE",
			s->value[S_TLS_CERT_FILE] ? "TLS_KEY_FILE" : "TLS_CERT_FILE");
	/* Unset only when MAIL_DOMAIN is missing, which is said once, above. */
	if (!s->value[S_CERT_PATH] && !s->value[S_TLS_CERT_FILE] && s->value[S_TLS_SELF_SIGNED] &&
	    !settings_bool(s, S_TLS_SELF_SIGNED))
		problem(problems, "TLS_SELF_SIGNED: is no, and no certificate is configured (set "
				  "CERT_PATH, or TLS_CERT_FILE and TLS_KEY_FILE)");
	if ((s->value[S_RELAYHOST_USERNAME] || s->value[S_RELAYHOST_PASSWORD]) &&
	    !s->value[S_RELAYHOST])
		problem(problems,
			"RELAYHOST_USERNAME: relay credentials are set without RELAYHOST");
	if (!s->value[S_RELAYHOST_USERNAME] != !s->value[S_RELAYHOST_PASSWORD])
		problem(
		    problems, "%s: is set without %s (give both)",
		    s->value[S_RELAYHOST_USERNAME] ? "RELAYHOST_USERNAME" : "RELAYHOST_PASSWORD",
		    s->value[S_RELAYHOST_USERNAME] ? "RELAYHOST_PASSWORD" : "RELAYHOST_USERNAME");
	if (settings_bool(s, S_ENABLE_MANAGESIEVE) && !settings_bool(s, S_ENABLE_SIEVE))
		problem(problems,
			"ENABLE_MANAGESIEVE: is yes but ENABLE_SIEVE is no (enable both)");
	check_role(s, problems);
	check_spam_scores(s, problems);
	check_rspamd_web(s, problems);
	check_listen(s, S_METRICS_LISTEN, "0.0.0.0:9154 or [::]:9154", problems);
	check_never_banned(s, problems);
	check_proxy_networks(s, problems);
	for (size_t i = 0; i < s->postfix_count; i++) {
		long bad = find_control_character(s->postfix[i].value);

		if (bad >= 0)
			problem(problems,
				"%s: contains a newline or control character at position %ld; a "
				"value must be one line of text",
				s->postfix[i].origin, bad + 1);
	}
}

/* Domain names in lower case without the root's dot, once they were checked as given. */
static void normalize_domains(struct settings *s)
{
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		char *v = s->value[i];
		size_t len;

		if (v == NULL || (setting_defs[i].kind != KIND_DOMAIN &&
				  setting_defs[i].kind != KIND_DOMAIN_LIST))
			continue;
		for (char *p = v; *p; p++)
			*p = (char)tolower((unsigned char)*p);
		len = strlen(v);
		if (setting_defs[i].kind == KIND_DOMAIN && len > 1 && v[len - 1] == '.')
			v[len - 1] = '\0';
	}
}

/*
 * A mailbox server or a proxy filters and signs nothing (the MX servers do): rspamd and
 * OpenDKIM are off there whatever a settings file shared by every role says, so that
 * nothing depends on them (health, learning from Junk, keys). The origin says why.
 */
static void apply_role(struct settings *s)
{
	enum mail_role role = settings_role(s);
	char origin[ORIGIN_MAX];

	if (role != ROLE_MAILBOX && role != ROLE_PROXY)
		return;
	snprintf(origin, sizeof(origin), "ROLE=%s", settings_role_name(role));
	settings_set(s, S_ENABLE_RSPAMD, "no", origin);
	settings_set(s, S_ENABLE_DKIM, "no", origin);
}

void settings_resolve(struct settings *s, struct problems *problems)
{

	fill_defaults(s);
	if (s->value[S_MAIL_DOMAIN] == NULL && !s->file_unparsed)
		problem(problems, "MAIL_DOMAIN: is required (set it to your mail domain, e.g. "
				  "MAIL_DOMAIN=example.com)");
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (s->value[i])
			settings_check(s, (enum setting_id)i, problems);
	}
	check_rules(s, problems);
	normalize_domains(s);
	apply_role(s);
}
