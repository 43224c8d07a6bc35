/*
 * NAME
 *	provision_render - the templates rendered, and the result verified
 *
 * DESCRIPTION
 *	See provision_steps.h. The variables the templates use are the
 *	settings (by name), LISTEN_* (listeners.h) and those set_var sets here.
 */
#include <dirent.h>
#include <errno.h>
#include <stdbool.h>
#include <sys/stat.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <stdarg.h>

#include "base/buffer.h"
#include "base/file.h"
#include "base/scoreboard.h"
#include "base/log.h"
#include "base/template.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "mail/ban_list.h"
#include "mail/gate.h"
#include "mail/guard.h"
#include "mail/tls.h"
#include "mail/listeners.h"
#include "mail/networks.h"
#include "mail/postfix_main_cf.h"
#include "mail/provision_steps.h"
#include "mail/verify.h"

/* Mozilla's server-side TLS profiles (v5.7), for OpenSSL cipher names. */
static const char intermediate_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

__attribute__((format(printf, 3, 4))) static void set_var(struct context *c, const char *name,
							  const char *fmt, ...)
{
	va_list ap, copy;

	va_start(ap, fmt);
	va_copy(copy, ap);
	int len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	char *text = xrealloc(NULL, (size_t)len + 1);
	vsnprintf(text, (size_t)len + 1, fmt, ap);
	va_end(ap);
	for (size_t i = 0; i < c->var_count; i++) {
		if (strcmp(c->var_name[i], name) == 0) {
			free(c->var_value[i]);
			c->var_value[i] = text;
			return;
		}
	}
	if (c->var_count == VARS_MAX) {
		log_error("%s: more than %d template variables (a mailinit bug)", name, VARS_MAX);
		free(text);
		c->vars_overflow = true;
		return;
	}
	c->var_name[c->var_count] = name;
	c->var_value[c->var_count++] = text;
}

static const char *lookup(const char *name, void *context)
{
	struct context *c = context;

	for (size_t i = 0; i < c->var_count; i++) {
		if (strcmp(c->var_name[i], name) == 0)
			return c->var_value[i];
	}
	const char *listen = listeners_template_value(name); /* LISTEN_NAME: ports, sockets */

	if (listen)
		return listen;
	if ((listen = gate_template_value(name)) != NULL) /* PROXY_PORT_NAME */
		return listen;
	int id = settings_id(name);

	if (id < 0)
		return NULL;
	if (setting_defs[id].kind == KIND_BOOL)
		return settings_bool(c->settings, (enum setting_id)id) ? "yes" : "no";
	return c->settings->value[id] ? c->settings->value[id] : "";
}

/*
 * The file as file_write would leave it, unless it is so already: then it is not
 * touched, and its time stamp says when it last changed. The supervisor reloads
 * rspamd only when its files changed (reload_when_changed in services.conf): a
 * reload restarts rspamd's workers, and mail in their hands then gets a 451.
 */
static int write_if_changed(const char *path, const char *data, size_t len, mode_t mode, gid_t gid)
{
	struct stat st;
	size_t old_len = 0;
	char *old;

	if (lstat(path, &st) == 0 && S_ISREG(st.st_mode) && (st.st_mode & 07777) == mode &&
	    st.st_uid == 0 && (gid == (gid_t)-1 || st.st_gid == gid) && (size_t)st.st_size == len &&
	    (old = file_read(path, &old_len)) != NULL) {
		bool same = old_len == len && memcmp(old, data, len) == 0;

		free(old);
		if (same)
			return 0;
	}
	return file_write(path, data, len, mode, 0, gid);
}

static int render_template_with(struct context *c, const char *name, const char *target,
				const char *extra, void (*edit)(struct context *, struct buffer *),
				mode_t mode, gid_t gid)
{
	char template_path[PATH_MAX], out_path[PATH_MAX];
	struct buffer out = {0};
	char *text;
	int status = -1;

	snprintf(template_path, sizeof(template_path), "%s/%s", c->options->templates_dir, name);
	snprintf(out_path, sizeof(out_path), "%s%s", c->root, target);
	if ((text = file_read(template_path, NULL)) == NULL) {
		log_error_sys("cannot read template %s", template_path);
		return -1;
	}
	if (template_render(text, name, lookup, c, &out) == 0) {
		if (edit)
			edit(c, &out);
		if (extra)
			buffer_puts(&out, extra);
		status = write_if_changed(out_path, out.data ? out.data : "", out.len, mode, gid);
	}
	free(text);
	buffer_free(&out);
	return status;
}

static int render_template(struct context *c, const char *name, const char *target,
			   const char *extra, mode_t mode, gid_t gid)
{
	return render_template_with(c, name, target, extra, NULL, mode, gid);
}

int provision_write_file(struct context *c, const char *target, const struct buffer *b, mode_t mode,
			 gid_t gid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", c->root, target);
	return file_write(path, b->data ? b->data : "", b->len, mode, 0, gid);
}

/* POSTFIX_* settings, then postfix-main.cf: each replaces the template's entry. */
static void postfix_overrides(struct context *c, struct buffer *main_cf)
{
	char path[PATH_MAX];
	char *file;

	for (size_t i = 0; i < c->settings->postfix_count; i++)
		postfix_main_cf_set(main_cf, c->settings->postfix[i].param,
				    c->settings->postfix[i].value);
	snprintf(path, sizeof(path), "%s/postfix-main.cf", c->options->config_dir);
	if ((file = file_read(path, NULL)) != NULL) {
		postfix_main_cf_merge(main_cf, file);
		free(file);
	}
}

/*
 * rspamd filters first, with 4xx while it is down; OpenDKIM signs, and only signs: mail from
 * outside passes rspamd alone (it verifies DKIM, SPF, DMARC, ARC), or no milter at all with
 * rspamd off (the lean server: an operator who turns rspamd off filters elsewhere). OpenDKIM
 * reading every inbound message to sign none cost a third of the delivery rate (bench/RESULTS.md).
 * Mail that may be signed passes both: logged-in users (587, 465), the trusted networks on
 * port 25 (smtpd_milter_maps, by client address) and mail made here (sendmail: Sieve vacation
 * replies, notifications, redirects), where rspamd checks that its From is the local sender's
 * own before OpenDKIM signs it (rspamd.local.lua). Postfix's own bounces pass no milter.
 */
static void set_milters(struct context *c)
{
	bool rspamd = settings_bool(c->settings, S_ENABLE_RSPAMD);
	bool dkim = settings_bool(c->settings, S_ENABLE_DKIM);

	c->inbound_milters[0] = '\0';
	if (rspamd)
		snprintf(c->inbound_milters, sizeof(c->inbound_milters),
			 "{ unix:%s, default_action=tempfail }",
			 listeners_template_value("LISTEN_RSPAMD"));
	snprintf(c->signing_milters, sizeof(c->signing_milters), "%s%s%s%s", c->inbound_milters,
		 rspamd && dkim ? ", " : "", dkim ? "unix:" : "",
		 dkim ? listeners_template_value("LISTEN_DKIM") : "");
	set_var(c, "SIGNING_MILTERS", "%s", c->signing_milters);
	set_var(c, "INBOUND_MILTERS", "%s", c->inbound_milters);
}

/*
 * Dovecot's quota-status refuses mail for a full mailbox at RCPT (no bounce later). It
 * costs a lookup of the user and an open of the mailbox per recipient, about a third of
 * the CPU a delivery takes (bench/RESULTS.md), so Postfix asks it only when an account
 * has a quota: without one, every answer would be DUNNO.
 */
static void set_quota_check(struct context *c)
{
	bool any = false;

	for (size_t i = 0; i < c->accounts.account_count && !any; i++)
		any = c->accounts.account[i].quota != 0;
	set_var(c, "QUOTA_CHECK", "%s%s%s", any ? "check_policy_service unix:" : "",
		any ? listeners_template_value("LISTEN_QUOTA") : "", any ? ", " : "");
}

/*
 * ROLE (docs/scaling.md): what Dovecot serves, where Postfix delivers. An MX's Dovecot only
 * logs submission's users in (protocols none: no mailbox); mailbox servers and proxies take
 * deliveries on LMTP's TCP port as well, and a proxy passes each login and delivery on to the
 * account's mailbox server (its users file: provision_maps.c). A mailbox server's Sieve sends
 * nothing (dovecot.conf), and it takes the client's address from the proxies it trusts.
 */
static void set_role_vars(struct context *c)
{
	enum mail_role role = settings_role(c->settings);
	const char *lmtp = settings_get(c->settings, S_LMTP_SERVER);

	set_var(c, "ROLE_MX", "%s", role == ROLE_MX ? "yes" : "no");
	set_var(c, "ROLE_MAILBOX", "%s", role == ROLE_MAILBOX ? "yes" : "no");
	set_var(c, "ROLE_PROXY", "%s", role == ROLE_PROXY ? "yes" : "no");
	set_var(c, "LMTP_TCP", "%s", role == ROLE_MAILBOX || role == ROLE_PROXY ? "yes" : "no");
	if (role == ROLE_MX)
		set_var(c, "DOVECOT_PROTOCOLS", "%s", "none");
	else
		set_var(c, "DOVECOT_PROTOCOLS", "lmtp%s%s%s",
			settings_bool(c->settings, S_ENABLE_IMAP) ? " imap" : "",
			settings_bool(c->settings, S_ENABLE_POP3) ? " pop3" : "",
			settings_bool(c->settings, S_ENABLE_MANAGESIEVE) ? " sieve" : "");
	/* Postfix's lmtp:inet:[HOST]:PORT: brackets, so that a name is looked up as A/AAAA,
	   never as MX. LMTP_SERVER is HOST:PORT or [IPv6]:PORT (valid_server). */
	if (role == ROLE_MX && lmtp)
		set_var(c, "VIRTUAL_TRANSPORT", "lmtp:inet:%s%.*s%s%s", lmtp[0] == '[' ? "" : "[",
			(int)(strrchr(lmtp, ':') - lmtp), lmtp, lmtp[0] == '[' ? "" : "]",
			strrchr(lmtp, ':'));
	else
		set_var(c, "VIRTUAL_TRANSPORT", "lmtp:unix:%s",
			listeners_template_value("LISTEN_LMTP"));
}

/*
 * Template variable NAME: the networks of SETTING, each between BEFORE and AFTER, separated
 * by SEPARATOR, after LEAD (the first's separator too when LEAD is not empty); in Postfix's
 * spelling (IPv6 in brackets) when BRACKETS, else in Dovecot's, OpenDKIM's and rspamd's.
 */
static void set_networks_var(struct context *c, const char *name, enum setting_id setting,
			     bool brackets, const char *lead, const char *separator,
			     const char *before, const char *after)
{
	const char *networks = settings_get(c->settings, setting);
	struct buffer out = {0};
	char network[256];

	buffer_puts(&out, lead);
	while (text_next_word(&networks, network, sizeof(network))) {
		buffer_printf(&out, "%s%s", out.len ? separator : "", before);
		network_write(network, brackets, &out);
		buffer_puts(&out, after);
	}
	set_var(c, name, "%s", out.data ? out.data : "");
	buffer_free(&out);
}

static void set_template_vars(struct context *c)
{
	struct buffer domains = {0};
	char override[PATH_MAX];
	bool modern = strcmp(settings_get(c->settings, S_TLS_LEVEL), "modern") == 0;

	for (size_t i = 0; i < c->domains.count; i++)
		buffer_printf(&domains, "%s%s", i ? ", " : "", c->domains.name[i]);
	set_var(c, "MAIL_DOMAINS_ALL", "%s", domains.data);
	buffer_free(&domains);
	set_networks_var(c, "TRUSTED_NETWORKS", S_TRUSTED_NETWORKS, true, "", " ", "", "");
	/* rspamd's local addresses: loopback and the trusted networks, quoted, no brackets. */
	set_networks_var(c, "RSPAMD_LOCAL_ADDRS", S_TRUSTED_NETWORKS, false,
			 "\"127.0.0.0/8\", \"::1\"", ", ", "\"", "\"");
	set_var(c, "ROOT", "%s", c->root);
	char scoreboard[PATH_MAX];
	scoreboard_path(c->root, scoreboard, sizeof(scoreboard));
	set_var(c, "SCOREBOARD", "%s", scoreboard);
	set_var(c, "GUARD_ACTIVE", "%s/%s", GUARD_DIR, GUARD_ACTIVE_FILE);
	set_var(c, "MAP_TYPE", "%s", provision_maps_hashed(c) ? "hash" : "texthash");
	set_role_vars(c);
	set_var(c, "TLS_PAIR", "%s%s", c->root, TLS_PAIR);
	set_var(c, "BANS_FILE", "%s/state/bans", c->options->config_dir);
	char never[BAN_NEVER_MAX];
	ban_never_networks(c->settings, never, sizeof(never));
	set_var(c, "BAN_NEVER", "%s", never);
	/* The load balancers, in Dovecot's spelling (no brackets), which the gate reads too. */
	set_networks_var(c, "PROXY_NETWORKS", S_PROXY_PROTOCOL_NETWORKS, false, "", " ", "", "");
	/* The trusted networks in Dovecot's spelling: ROLE=mailbox's login_trusted_networks. */
	set_networks_var(c, "TRUSTED_NETWORKS_PLAIN", S_TRUSTED_NETWORKS, false, "", " ", "", "");
	set_var(c, "SNI_MAPS", "%s%s%s", c->sni_count ? "texthash:" : "",
		c->sni_count ? c->root : "", c->sni_count ? "/etc/postfix/sni" : "");
	set_var(c, "POSTFIX_TLS_PROTOCOLS", "%s", modern ? ">=TLSv1.3" : ">=TLSv1.2");
	set_var(c, "DOVECOT_TLS_MIN", "%s", modern ? "TLSv1.3" : "TLSv1.2");
	/* TLS 1.3 suites are not configured by cipher list; modern allows no 1.2 ones. */
	set_var(c, "TLS_CIPHERS", "%s", intermediate_ciphers);
	set_var(c, "RELAYHOST_AUTH", "%s",
		settings_get(c->settings, S_RELAYHOST_USERNAME) ? "yes" : "no");
	/* Credentials for the smarthost never travel in clear text. */
	set_var(c, "SMTP_TLS_LEVEL", "%s",
		settings_get(c->settings, S_RELAYHOST_USERNAME) ? "encrypt" : "may");
	set_milters(c);
	if (settings_role(c->settings) == ROLE_MX)
		set_var(c, "QUOTA_CHECK", "%s", ""); /* the mailboxes are elsewhere */
	else
		set_quota_check(c);
	snprintf(override, sizeof(override), "%s/dovecot.conf", c->options->config_dir);
	set_var(c, "DOVECOT_OVERRIDE", "%s", access(override, R_OK) == 0 ? override : "");
}

/* A file name an operator may give rspamd: letters, digits, "-", "_", ending .conf or .inc. */
static bool rspamd_file_name(const char *name)
{
	size_t len = strlen(name);

	if (name[0] == '.' || strspn(name, "abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ"
					   "0123456789-_.") != len)
		return false;
	return (len > 5 && strcmp(name + len - 5, ".conf") == 0) ||
	       (len > 4 && strcmp(name + len - 4, ".inc") == 0);
}

/* Ours, under /etc/rspamd: local.d merges with Debian's defaults, override.d replaces. */
static const struct rspamd_file {
	const char *dir, *name;
	mode_t mode;
} rspamd_files[] = {{"override.d", "options.inc", 0644},
		    {"local.d", "logging.inc", 0644},
		    {"local.d", "worker-proxy.inc", 0644},
		    {"local.d", "worker-normal.inc", 0644},
		    /* It may hold the web interface's password: root's only. */
		    {"override.d", "worker-controller.inc", 0600},
		    /* It may hold REDIS_PASSWORD: root's only (rspamd reads it as root). */
		    {"local.d", "redis.conf", 0600},
		    {"local.d", "actions.conf", 0644},
		    {"local.d", "greylist.conf", 0644},
		    {"local.d", "milter_headers.conf", 0644},
		    {"local.d", "dmarc.conf", 0644},
		    {"local.d", "dkim_signing.conf", 0644},
		    {"local.d", "arc.conf", 0644},
		    {"local.d", "settings.conf", 0644},
		    {"local.d", "force_actions.conf", 0644},
		    {"", "rspamd.local.lua", 0644}};
#define RSPAMD_FILES (sizeof(rspamd_files) / sizeof(rspamd_files[0]))

/* Whether local.d/NAME is one of ours. */
static bool ours_in_local_d(const char *name)
{
	for (size_t i = 0; i < RSPAMD_FILES; i++) {
		if (strcmp(rspamd_files[i].dir, "local.d") == 0 &&
		    strcmp(rspamd_files[i].name, name) == 0)
			return true;
	}
	return false;
}

/* Whether NAME is one of the NUL-separated names in LIST. */
static bool name_listed(const struct buffer *list, const char *name)
{
	for (size_t at = 0; at < list->len; at += strlen(list->data + at) + 1) {
		if (strcmp(list->data + at, name) == 0)
			return true;
	}
	return false;
}

/*
 * The operator's own rspamd files, CONFIG_DIR/rspamd/NAME.conf|.inc, into local.d, their
 * names into GIVEN. One with the name of ours replaces it (antivirus.conf, multimap.conf...):
 * ours is then not written at all, so that each file is written once and reload_when_changed
 * sees a change only when there is one. Regular files only, through a link only to one in
 * the same directory (a ConfigMap's; the copy is world-readable: no link to a secret).
 */
static int give_operator_rspamd_files(struct context *c, struct buffer *given)
{
	char dir[PATH_MAX], path[PATH_MAX + NAME_MAX + 32];
	struct dirent *entry;
	DIR *d;
	int status = 0;

	snprintf(dir, sizeof(dir), "%s/rspamd", c->options->config_dir);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while (status == 0 && (entry = readdir(d)) != NULL) {
		size_t len;
		char *text;

		if (!rspamd_file_name(entry->d_name)) {
			if (entry->d_name[0] != '.')
				log_warn(
				    "%s/%s: not given to rspamd (only NAME.conf and NAME.inc are)",
				    dir, entry->d_name);
			continue;
		}
		if ((text = file_read_at(dirfd(d), entry->d_name, &len)) == NULL) {
			log_error_sys("%s/%s: cannot read it for rspamd (a regular file is needed, "
				      "or a link to one in the same directory)",
				      dir, entry->d_name);
			status = -1;
			break;
		}
		snprintf(path, sizeof(path), "%s/etc/rspamd/local.d/%s", c->root, entry->d_name);
		status = write_if_changed(path, text, len, 0644, 0);
		free(text);
		buffer_append(given, entry->d_name, strlen(entry->d_name) + 1);
	}
	closedir(d);
	return status;
}

/* A file in local.d that is neither ours nor the operator's any more goes (a live reload). */
static int sweep_rspamd_local(struct context *c, const struct buffer *given)
{
	char dir[PATH_MAX];
	struct dirent *entry;
	DIR *d;
	int status = 0;

	snprintf(dir, sizeof(dir), "%s/etc/rspamd/local.d", c->root);
	if ((d = opendir(dir)) == NULL)
		return 0;
	while ((entry = readdir(d)) != NULL) {
		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0 ||
		    ours_in_local_d(entry->d_name) || name_listed(given, entry->d_name))
			continue;
		if (unlinkat(dirfd(d), entry->d_name, 0) != 0) {
			log_error_sys("%s/%s: cannot remove it", dir, entry->d_name);
			status = -1;
		} else {
			log_info("rspamd: %s is no longer given to rspamd (gone from %s/rspamd)",
				 entry->d_name, c->options->config_dir);
		}
	}
	closedir(d);
	return status;
}

/* rspamd's files (what differs from Debian's defaults) and its Redis; none when off. */
static int render_rspamd(struct context *c)
{
	char template_name[64], target[PATH_MAX];
	struct buffer given = {0};
	int status = 0;

	if (!settings_bool(c->settings, S_ENABLE_RSPAMD)) {
		/* A restart keeps the render root: the learning scripts of a run with rspamd
		   would fail the Sieve check (one run over the directory, without the pipe). */
		static const char *const learning[] = {
		    "/etc/dovecot/sieve/learn-spam.sieve", "/etc/dovecot/sieve/learn-spam.svbin",
		    "/etc/dovecot/sieve/learn-ham.sieve", "/etc/dovecot/sieve/learn-ham.svbin",
		    "/etc/dovecot/sieve-pipe/rspamd-learn"};

		for (size_t i = 0; i < sizeof(learning) / sizeof(learning[0]); i++) {
			snprintf(target, sizeof(target), "%s%s", c->root, learning[i]);
			if (unlink(target) != 0 && errno != ENOENT) {
				log_error_sys("%s: cannot remove it", target);
				return -1;
			}
		}
		return 0;
	}
	status = give_operator_rspamd_files(c, &given);
	for (size_t i = 0; status == 0 && i < RSPAMD_FILES; i++) {
		const struct rspamd_file *f = &rspamd_files[i];

		if (strcmp(f->dir, "local.d") == 0 && name_listed(&given, f->name))
			continue; /* the operator's replaces it */
		snprintf(template_name, sizeof(template_name), "rspamd/%s", f->name);
		snprintf(target, sizeof(target), "/etc/rspamd/%s%s%s", f->dir, f->dir[0] ? "/" : "",
			 f->name);
		status = render_template(c, template_name, target, NULL, f->mode, 0);
	}
	if (status == 0)
		status = sweep_rspamd_local(c, &given);
	buffer_free(&given);
	/* Learning from the Junk folder (dovecot.conf): Dovecot's two scripts, the program
	   they pipe to. */
	snprintf(target, sizeof(target), "%s/etc/dovecot/sieve-pipe", c->root);
	if (status != 0 || file_mkdirs(target, 0755, (uid_t)-1, (gid_t)-1) != 0 ||
	    render_template(c, "dovecot/learn-spam.sieve", "/etc/dovecot/sieve/learn-spam.sieve",
			    NULL, 0644, 0) != 0 ||
	    render_template(c, "dovecot/learn-ham.sieve", "/etc/dovecot/sieve/learn-ham.sieve",
			    NULL, 0644, 0) != 0 ||
	    render_template(c, "dovecot/rspamd-learn", "/etc/dovecot/sieve-pipe/rspamd-learn", NULL,
			    0755, 0) != 0)
		return -1;
	return render_template(c, "redis/redis.conf", "/etc/redis/redis.conf", NULL, 0644, 0);
}

/* For the metrics (only with METRICS: it parses each certificate again, on the start-up
   path): "certificate NAME NOT_AFTER" for each name a certificate is served for
   (the default pair for MAIL_HOSTNAME, each SNI pair for its names), and "dkim DOMAIN
   SELECTOR MADE" for each signing key (its file's time). */
static const char *metrics_lines(const struct context *c, struct buffer *out)
{
	const char *hostname = settings_get(c->settings, S_MAIL_HOSTNAME);
	long long when = tls_not_after(c->tls_pair.data, c->tls_pair.len);
	bool by_sni = false;

	/* A name an SNI certificate covers is served that one: one line for it. */
	for (size_t i = 0; i < c->sni_count && !by_sni; i++) {
		const char *cursor = c->sni[i].names.data;
		char name[256];

		while (cursor && text_next_word(&cursor, name, sizeof(name)))
			by_sni |= strcasecmp(name, hostname) == 0;
	}
	if (when >= 0 && !by_sni)
		buffer_printf(out, "certificate %s %lld\n", hostname, when);
	for (size_t i = 0; i < c->sni_count; i++) {
		const char *cursor = c->sni[i].names.data;
		char name[256];

		when = tls_not_after(c->sni[i].pair.data, c->sni[i].pair.len);
		while (when >= 0 && cursor && text_next_word(&cursor, name, sizeof(name)))
			buffer_printf(out, "certificate %s %lld\n", name, when);
	}
	for (size_t i = 0; i < c->domains.count && settings_bool(c->settings, S_ENABLE_DKIM); i++) {
		struct stat st;

		if (c->dkim_keys[i][0] && stat(c->dkim_keys[i], &st) == 0)
			buffer_printf(out, "dkim %s %s %lld\n", c->domains.name[i],
				      c->dkim_selectors[i], (long long)st.st_mtime);
	}
	return out->data ? out->data : "";
}

int provision_render(struct context *c)
{
	struct buffer master_extra = {0}, certificates = {0};
	char path[PATH_MAX], dir[PATH_MAX];
	char *file;
	int status = -1;
	static const char *const dirs[] = {
	    "/etc/postfix",        "/etc/dovecot/sieve",     "/etc/opendkim", "/etc/ssl/mailinit",
	    "/etc/rspamd/local.d", "/etc/rspamd/override.d", "/etc/redis"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s%s", c->root, dirs[i]);
		if (file_mkdirs(dir, 0755, (uid_t)-1, (gid_t)-1) != 0)
			return -1;
	}
	set_template_vars(c);
	if (c->vars_overflow)
		return -1;
	snprintf(path, sizeof(path), "%s/postfix-master.cf", c->options->config_dir);
	if ((file = file_read(path, NULL)) != NULL) {
		buffer_printf(&master_extra, "\n# %s\n%s\n", path, file);
		free(file);
	}
	if (provision_write_file(c, TLS_PAIR, &c->tls_pair, 0600, 0) == 0 &&
	    render_template_with(c, "postfix/main.cf", "/etc/postfix/main.cf", NULL,
				 postfix_overrides, 0644, 0) == 0 &&
	    render_template(c, "postfix/master.cf", "/etc/postfix/master.cf", master_extra.data,
			    0644, 0) == 0 &&
	    render_template(c, "dovecot/dovecot.conf", "/etc/dovecot/dovecot.conf", NULL, 0644,
			    0) == 0 &&
	    render_template(c, "mailinit/guard.conf", "/etc/mailinit-guard.conf", NULL, 0644, 0) ==
		0 &&
	    render_template(c, "mailinit/gate.conf", "/etc/mailinit-gate.conf", NULL, 0644, 0) ==
		0 &&
	    render_template(c, "mailinit/metrics.conf", "/etc/mailinit-metrics.conf",
			    settings_bool(c->settings, S_METRICS) ? metrics_lines(c, &certificates)
								  : NULL,
			    0644, 0) == 0 &&
	    render_template(c, "dovecot/bans.conf.ext", "/etc/dovecot/bans.conf.ext", NULL, 0644,
			    0) == 0 &&
	    render_template(c, "dovecot/before.sieve", "/etc/dovecot/sieve/before.sieve", NULL,
			    0644, 0) == 0 &&
	    render_template(c, "opendkim/opendkim.conf", "/etc/opendkim.conf", NULL, 0644, 0) ==
		0 &&
	    render_rspamd(c) == 0 && provision_maps(c) == 0 && provision_sni_render(c) == 0 &&
	    provision_dkim_tables(c) == 0)
		status = 0;
	buffer_free(&master_extra);
	buffer_free(&certificates);
	return status;
}

void provision_verify(struct context *c, struct problems *problems)
{
	char path[PATH_MAX], dovecot_conf[PATH_MAX];

	snprintf(path, sizeof(path), "%s/etc/postfix", c->root);
	verify_postfix(path, problems);
	snprintf(dovecot_conf, sizeof(dovecot_conf), "%s/etc/dovecot/dovecot.conf", c->root);
	verify_dovecot(dovecot_conf, problems);
	if (settings_bool(c->settings, S_ENABLE_DKIM)) {
		snprintf(path, sizeof(path), "%s/etc/opendkim.conf", c->root);
		verify_opendkim(path, problems);
	}
	/* The whole directory in one run: before.sieve, and learn-*.sieve with rspamd. */
	if (settings_bool(c->settings, S_ENABLE_SIEVE) ||
	    settings_bool(c->settings, S_ENABLE_RSPAMD)) {
		snprintf(path, sizeof(path), "%s/etc/dovecot/sieve", c->root);
		verify_sieve(path, dovecot_conf, problems);
	}
}
