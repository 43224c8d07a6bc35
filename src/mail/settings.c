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

#include <confuse.h>

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
				    "mynetworks), e.g. 192.0.2.0/24",
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
		       .help = "sign outgoing mail with OpenDKIM, verify incoming",
		       .example = "no"},
    [S_ENABLE_SIEVE] = {"ENABLE_SIEVE", KIND_BOOL, "yes",
			.help = "Sieve at delivery: drops Postfix's redeliveries after a crash "
				"(exactly once), files X-Spam-Flag: YES into Junk",
			.example = "no"},
    [S_ENABLE_MANAGESIEVE] = {"ENABLE_MANAGESIEVE", KIND_BOOL, "no",
			      .help = "ManageSieve on 4190 (needs ENABLE_SIEVE)", .example = "yes"},
    [S_DKIM_SELECTOR] = {"DKIM_SELECTOR", KIND_LABELS, "mail", .help = "DKIM selector of new keys",
			 .example = "mx2026"},
    [S_ALLOW_PLAINTEXT_PASSWORDS] = {"ALLOW_PLAINTEXT_PASSWORDS", KIND_BOOL, "no",
				     .help = "accept {PLAIN} passwords in the accounts file",
				     .example = "yes"},
    [S_DEMO_ACCOUNT] = {"DEMO_ACCOUNT", KIND_ADDRESS, NULL,
			.help =
			    "when the accounts file is empty, create this account with a "
			    "generated password, printed once (make run uses demo@example.test)",
			.example = "demo@example.com"},
    [S_STOP_GRACE] = {"STOP_GRACE", KIND_NUMBER, "8", NUMBER(0, 3600), .unit = "number of seconds",
		      .help = "seconds from SIGTERM to SIGKILL of what is left", .example = "25"},
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

static void set_value(struct settings *s, enum setting_id id, const char *value, const char *origin)
{
	free(s->value[id]);
	s->value[id] = xstrdup(value);
	snprintf(s->origin[id], sizeof(s->origin[id]), "%s", origin);
}

static void set_postfix(struct settings *s, const char *param, const char *value,
			const char *origin, struct problems *problems)
{
	size_t i;

	for (i = 0; i < s->postfix_count; i++) {
		if (strcmp(s->postfix[i].param, param) == 0)
			break;
	}
	if (i == POSTFIX_OVERRIDES_MAX) {
		problem(problems, "%s: more than %d Postfix parameters are set", origin,
			POSTFIX_OVERRIDES_MAX);
		return;
	}
	if (i == s->postfix_count) {
		s->postfix[i].param = xstrdup(param);
		s->postfix_count++;
	}
	free(s->postfix[i].value);
	s->postfix[i].value = xstrdup(value);
	snprintf(s->postfix[i].origin, sizeof(s->postfix[i].origin), "%s", origin);
}

/* A Postfix parameter name: letters, digits and underscores (smtp_tls_CAfile). */
static bool postfix_name_is_valid(const char *name, const char *origin, struct problems *problems)
{
	bool valid = name[0] != '\0';

	for (const char *p = name; *p; p++)
		valid = valid && (isalnum((unsigned char)*p) || *p == '_');
	if (!valid)
		problem(problems,
			"%s: \"%s\" is not a Postfix parameter name (letters, digits and _ only)",
			origin, name);
	return valid;
}

/* "mail_domain" -> S_MAIL_DOMAIN, or -1. */
static int setting_by_option(const char *option)
{
	for (int i = 0; i < SETTING_COUNT; i++) {
		if (strcasecmp(setting_defs[i].name, option) == 0)
			return i;
	}
	return -1;
}

/* "MAIL_DOMAIN" -> "mail_domain", as the settings file spells it. */
static const char *setting_lower_name(int id)
{
	static char name[64];
	size_t n = 0;

	for (; n < sizeof(name) - 1 && setting_defs[id].name[n]; n++)
		name[n] = (char)tolower((unsigned char)setting_defs[id].name[n]);
	name[n] = '\0';
	return name;
}

/* libconfuse reports where an option is while parsing: remember FILE:LINE. */
static struct settings *file_target;
static const char *file_path;

static int remember_origin(cfg_t *cfg, cfg_opt_t *opt)
{
	int id = setting_by_option(cfg_opt_name(opt));

	if (id >= 0 && file_target)
		snprintf(file_target->origin[id], ORIGIN_MAX, "%s:%d", file_path, cfg->line);
	return 0;
}

__attribute__((format(printf, 2, 0))) static void file_error(cfg_t *cfg, const char *fmt,
							     va_list ap)
{
	char message[512], key[128];
	int id;

	vsnprintf(message, sizeof(message), fmt, ap);
	/* Any key is a Postfix parameter there: libconfuse says so, then takes it. */
	if (cfg && strcmp(cfg_name(cfg), "postfix") == 0 &&
	    strncmp(message, "no such option", 14) == 0)
		return;
	if (sscanf(message, "no such option '%127[^']'", key) == 1 &&
	    (id = setting_by_option(key)) >= 0)
		log_error("%s:%d: %s (keys in this file are the names in lower case: %s = ...)",
			  file_path, cfg ? cfg->line : 0, message, setting_lower_name(id));
	else if (sscanf(message, "no such option '%127[^']'", key) == 1)
		log_error("%s:%d: %s (\"mailinit help settings\" lists them; write them in lower "
			  "case)",
			  file_path, cfg ? cfg->line : 0, message);
	else
		log_error("%s:%d: %s", file_path, cfg ? cfg->line : 0, message);
}

/*
 * libconfuse takes a section that is still open at the end of the file as
 * closed, and the lines after it as its keys. So the file is parsed with a
 * line of ours after it: unless it is read as a top-level setting, the file
 * ended inside something.
 */
#define END_SENTINEL      "mailinit_end_of_file"
#define SETTINGS_FILE_MAX (1 << 20)

static char *read_with_sentinel(const char *path, struct problems *problems)
{
	static const char sentinel[] = "\n" END_SENTINEL " = 1\n";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	ssize_t got = 0;
	char *text;

	if (fd < 0) {
		problem(problems, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	text = xrealloc(NULL, SETTINGS_FILE_MAX + sizeof(sentinel));
	while (len < SETTINGS_FILE_MAX && (got = read(fd, text + len, SETTINGS_FILE_MAX - len)) > 0)
		len += (size_t)got;
	close(fd);
	if (got < 0 || len == SETTINGS_FILE_MAX || memchr(text, '\0', len)) {
		problem(problems, "%s: %s", path,
			got < 0                    ? strerror(errno)
			: len == SETTINGS_FILE_MAX ? "is larger than 1 MiB"
						   : "has a NUL byte: it is not a text file");
		free(text);
		return NULL;
	}
	memcpy(text + len, sentinel, sizeof(sentinel));
	return text;
}

void settings_read_file(struct settings *s, const char *path, struct problems *problems)
{
	static cfg_opt_t postfix_opts[] = {CFG_END()};
	cfg_opt_t opts[SETTING_COUNT + 3];
	char names[SETTING_COUNT][64];
	cfg_t *cfg, *postfix;
	bool unclosed = false;
	char *text;
	int status;

	if (access(path, F_OK) != 0)
		return;
	if ((text = read_with_sentinel(path, problems)) == NULL)
		return;
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		size_t n = 0;

		for (; n < sizeof(names[i]) - 1 && setting_defs[i].name[n]; n++)
			names[i][n] = (char)tolower((unsigned char)setting_defs[i].name[n]);
		names[i][n] = '\0';
		opts[i] = (cfg_opt_t)CFG_STR(names[i], NULL, CFGF_NODEFAULT);
	}
	opts[SETTING_COUNT] = (cfg_opt_t)CFG_SEC("postfix", postfix_opts, CFGF_KEYSTRVAL);
	opts[SETTING_COUNT + 1] = (cfg_opt_t)CFG_INT(END_SENTINEL, 0, CFGF_NONE);
	opts[SETTING_COUNT + 2] = (cfg_opt_t)CFG_END();
	if ((cfg = cfg_init(opts, CFGF_NONE)) == NULL) {
		problem(problems, "%s: cannot set up the parser", path);
		free(text);
		return;
	}
	cfg_set_error_function(cfg, file_error);
	for (size_t i = 0; i < SETTING_COUNT; i++)
		cfg_set_validate_func(cfg, names[i], remember_origin);
	file_target = s;
	file_path = path;
	status = cfg_parse_buf(cfg, text);
	file_target = NULL;
	if (status != CFG_SUCCESS) {
		problems->count++; /* libconfuse has said where */
		s->file_unparsed = true;
		goto out;
	}
	postfix = cfg_getsec(cfg, "postfix");
	for (unsigned i = 0; postfix && i < cfg_num(postfix); i++) {
		cfg_opt_t *opt = cfg_getnopt(postfix, i);
		char origin[ORIGIN_MAX];

		if (strcmp(cfg_opt_name(opt), END_SENTINEL) == 0) {
			unclosed = true;
			problem(problems,
				"%s: the postfix { section is not closed: add a } after "
				"its last line",
				path);
			continue;
		}
		snprintf(origin, sizeof(origin), "%s: postfix { %s }", path, cfg_opt_name(opt));
		if (postfix_name_is_valid(cfg_opt_name(opt), origin, problems))
			set_postfix(s, cfg_opt_name(opt), cfg_opt_getnstr(opt, 0), origin,
				    problems);
	}
	if (cfg_getint(cfg, END_SENTINEL) != 1 && !unclosed)
		problem(problems,
			"%s: the file ends inside a quoted string or a /* comment */: "
			"close it",
			path);
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		char origin[ORIGIN_MAX];
		const char *value = cfg_getstr(cfg, names[i]);

		if (value == NULL)
			continue;
		snprintf(origin, sizeof(origin), "%s", s->origin[i]);
		set_value(s, (enum setting_id)i, value, origin);
	}
out:
	cfg_free(cfg);
	free(text);
}

/* The content of NAME_FILE, one trailing newline dropped; NULL after a problem. */
static char *read_value_file(const char *variable, const char *path, struct problems *problems)
{
	char buf[65536];
	ssize_t len = 0, got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		problem(problems, "%s: cannot read %s: %s (mount the file, or unset %s)", variable,
			path, strerror(errno), variable);
		return NULL;
	}
	while ((got = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += got;
	close(fd);
	if (got < 0 || len == (ssize_t)sizeof(buf) - 1) {
		problem(problems, "%s: %s is unreadable or larger than 64 KiB", variable, path);
		return NULL;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return xstrdup(buf);
}

/* NAME or NAME_FILE from env; returns an allocated value or NULL. */
static char *environment_value(char *const *env, const char *name, char *origin,
			       struct problems *problems)
{
	size_t len = strlen(name);
	const char *direct = NULL, *file = NULL;

	for (char *const *e = env; *e; e++) {
		if (strncmp(*e, name, len) != 0)
			continue;
		if ((*e)[len] == '=')
			direct = *e + len + 1;
		else if (strncmp(*e + len, "_FILE=", 6) == 0)
			file = *e + len + 6;
	}
	if (direct && file) {
		problem(problems, "%s: both %s and %s_FILE are set (use one)", name, name, name);
		return NULL;
	}
	if (file) {
		snprintf(origin, ORIGIN_MAX, "%s_FILE (%s)", name, file);
		return read_value_file(name, file, problems);
	}
	if (direct) {
		snprintf(origin, ORIGIN_MAX, "environment");
		return xstrdup(direct);
	}
	return NULL;
}

void settings_read_environment(struct settings *s, char *const *env, struct problems *problems)
{
	char origin[ORIGIN_MAX];

	for (size_t i = 0; i < SETTING_COUNT; i++) {
		char *value = environment_value(env, setting_defs[i].name, origin, problems);

		if (value) {
			set_value(s, (enum setting_id)i, value, origin);
			free(value);
		}
	}
	/*
	 * POSTFIX_<PARAM> always names the parameter <param>, also when it ends in
	 * _FILE: smtpd_tls_cert_file is a parameter, and reading "the secret in
	 * that file" instead would put a file's content into main.cf. Postfix
	 * keeps its secrets in files it reads itself, so nothing is lost.
	 */
	for (char *const *e = env; *e; e++) {
		char param[128];
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : 0;

		if (strncmp(*e, "POSTFIX_", 8) != 0 || len <= 8 || len - 8 >= sizeof(param))
			continue;
		for (size_t j = 8; j < len; j++)
			param[j - 8] = (char)tolower((unsigned char)(*e)[j]);
		param[len - 8] = '\0';
		snprintf(origin, sizeof(origin), "%.*s", (int)len, *e);
		if (postfix_name_is_valid(param, origin, problems))
			set_postfix(s, param, eq + 1, origin, problems);
	}
}

size_t settings_split(const char *list, char words[][256], size_t max)
{
	size_t count = 0;

	while (count < max && text_next_word(&list, words[count], 256))
		count++;
	return count;
}

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

/* Check one value against its kind; report with where it came from. */
void settings_check(const struct settings *s, enum setting_id id, struct problems *problems)
{
	const struct setting_def *def = &setting_defs[id];
	const char *value = s->value[id], *why = NULL;
	char words[64][256];
	unsigned long number;
	bool flag;
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
	switch (def->kind) {
	case KIND_DOMAIN:
		if (!valid_domain(value, &why))
			break;
		return;
	case KIND_DOMAIN_LIST:
	case KIND_NETWORK_LIST: {
		size_t n = settings_split(value, words, 64);

		for (size_t i = 0; i < n; i++) {
			bool ok = def->kind == KIND_DOMAIN_LIST ? valid_domain(words[i], &why)
								: valid_network(words[i], &why);
			if (!ok) {
				problem(problems, "%s: \"%s\" %s (from %s)", def->name, words[i],
					why, s->origin[id]);
			}
		}
		return;
	}
	case KIND_ADDRESS:
		if (!valid_address(value, &why))
			break;
		return;
	case KIND_PATH:
		if (!valid_path(value, &why))
			break;
		return;
	case KIND_NUMBER:
		if (valid_uint(value, def->min, def->max, &number, &why))
			return;
		problem(problems, "%s: \"%s\" is not a %s from %lu to %lu (from %s)", def->name,
			value, def->unit ? def->unit : "whole number", def->min, def->max,
			s->origin[id]);
		return;
	case KIND_BOOL:
		if (!valid_bool(value, &flag, &why))
			break;
		return;
	case KIND_CHOICE:
		if (choice_is_valid(def->choices, value))
			return;
		problem(problems, "%s: \"%s\" is not one of %s (from %s)", def->name, value,
			def->choices, s->origin[id]);
		return;
	case KIND_RELAYHOST:
		if (!valid_relayhost(value, &why))
			break;
		return;
	case KIND_WORD:
		if (value[0] != '\0' && !strpbrk(value, " \t"))
			return;
		why = "must be one word, without blanks";
		break;
	case KIND_SECRET:
		if (value[0] != '\0')
			return;
		why = "is empty";
		break;
	case KIND_LABELS:
		if (labels_are_valid(value))
			return;
		why = "must be DNS labels: letters, digits, hyphens, dots";
		break;
	}
	/* Secrets are never echoed back. */
	if (def->kind == KIND_SECRET)
		problem(problems, "%s: %s (from %s)", def->name, why, s->origin[id]);
	else
		problem(problems, "%s: \"%s\" %s (from %s)", def->name, value, why, s->origin[id]);
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
			set_value(s, (enum setting_id)i, setting_defs[i].fallback, "default");
	}
	if (s->value[S_MAIL_DOMAIN] == NULL || !valid_domain(s->value[S_MAIL_DOMAIN], &why))
		return;
	if (s->value[S_MAIL_HOSTNAME] == NULL) {
		const char *own = container_hostname(s, name, sizeof(name));

		if (strchr(own, '.') && valid_domain(own, &why) && !matching_mail_domain(s, own)) {
			set_value(s, S_MAIL_HOSTNAME, own, "default (the container's FQDN)");
		} else {
			snprintf(buf, sizeof(buf), "mail.%s", s->value[S_MAIL_DOMAIN]);
			set_value(s, S_MAIL_HOSTNAME, buf, "default (mail.$MAIL_DOMAIN)");
		}
	}
	if (s->value[S_POSTMASTER_ADDRESS] == NULL) {
		snprintf(buf, sizeof(buf), "postmaster@%s", s->value[S_MAIL_DOMAIN]);
		set_value(s, S_POSTMASTER_ADDRESS, buf, "default");
	}
	if (s->value[S_TLS_SELF_SIGNED] == NULL) {
		bool configured = s->value[S_CERT_PATH] || s->value[S_TLS_CERT_FILE];

		set_value(s, S_TLS_SELF_SIGNED, configured ? "no" : "yes", "default");
	}
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
