/*
 * NAME
 *	provision - turn settings and /etc/mailinit into a verified mail server config
 *
 * DESCRIPTION
 *	See provision.h. The order matters: every input problem is collected
 *	before anything is written, so a bad start changes nothing on disk.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <limits.h>
#include <pwd.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sysexits.h>
#include <unistd.h>

#include "mail/accounts.h"
#include "base/buffer.h"
#include "mail/dkim.h"
#include "mail/domains.h"
#include "mail/listeners.h"
#include "base/log.h"
#include "mail/lookup_table.h"
#include "mail/password.h"
#include "mail/perms.h"
#include "base/proc.h"
#include "mail/provision.h"
#include "base/file.h"
#include "base/template.h"
#include "base/text.h"
#include "mail/tls.h"
#include "mail/verify.h"
#include "base/xalloc.h"

#define VARS_MAX 48
/* Above this many accounts and aliases, hash: maps (built by postmap) beat texthash:,
   which every smtpd reads whole when it starts: bench/RESULTS.md. */
#define TEXTHASH_ENTRIES_MAX 2000
/* The certificate pair the daemons serve, under the render root (read_certificate_pair). */
#define TLS_PAIR "/etc/ssl/mailinit/pair.pem"

/* Mozilla's server-side TLS profiles (v5.7), for OpenSSL cipher names. */
static const char intermediate_ciphers[] =
    "ECDHE-ECDSA-AES128-GCM-SHA256:ECDHE-RSA-AES128-GCM-SHA256:ECDHE-ECDSA-AES256-GCM-SHA384:"
    "ECDHE-RSA-AES256-GCM-SHA384:ECDHE-ECDSA-CHACHA20-POLY1305:ECDHE-RSA-CHACHA20-POLY1305:"
    "DHE-RSA-AES128-GCM-SHA256:DHE-RSA-AES256-GCM-SHA384:DHE-RSA-CHACHA20-POLY1305";

struct context {
	const struct provision_options *options;
	const char *root; /* where render_all writes: options->root, or the staging root */
	struct settings *settings;
	struct accounts accounts;
	struct mail_domains domains;
	char cert[PATH_MAX], key[PATH_MAX];
	struct buffer tls_pair; /* the key, then the chain: as read and checked, to be served */
	char dkim_keys[MAIL_DOMAINS_MAX][PATH_MAX];
	char dkim_selectors[MAIL_DOMAINS_MAX][64];
	const char *var_name[VARS_MAX];
	char *var_value[VARS_MAX];
	size_t var_count;
	uid_t opendkim_uid;
	gid_t opendkim_gid, dovecot_gid;
};

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
		log_error("too many template variables");
		exit(EX_SOFTWARE);
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
	if (listeners_template_value(name))
		return listeners_template_value(name); /* LISTEN_NAME: ports and sockets */
	for (size_t i = 0; i < SETTING_COUNT; i++) {
		if (strcmp(setting_defs[i].name, name) == 0) {
			if (setting_defs[i].kind == KIND_BOOL)
				return settings_bool(c->settings, (enum setting_id)i) ? "yes"
										      : "no";
			return c->settings->value[i] ? c->settings->value[i] : "";
		}
	}
	return NULL;
}

/*
 * A target in one of our domains that is no account or alias: mail to the
 * alias is accepted, then bounced. A warning, not an error: "user del" of a
 * target must not stop the server; "alias add" refuses such a target.
 */
static void warn_of_dead_targets(const struct context *c, const struct alias *a)
{
	const char *targets = a->targets;
	char t[ADDRESS_MAX];

	while (text_next_word(&targets, t, sizeof(t))) {
		const char *at = strrchr(t, '@');

		if (at && mail_domains_has(&c->domains, at + 1) &&
		    !accounts_has_recipient(&c->accounts, t))
			log_warn(
			    "%s:%u: %s is no account or alias of this server: mail to %s for "
			    "it bounces (add the account, or remove it: mailinit alias del %s %s)",
			    c->accounts.aliases_path, a->line, t, a->source, a->source, t);
	}
}

/* Domains: MAIL_DOMAIN, MAIL_DOMAINS, and those of the accounts; and the rules that need them all.
 */
static void collect_domains(struct context *c, struct problems *problems)
{
	const char *hostname = settings_get(c->settings, S_MAIL_HOSTNAME);

	mail_domains_from_settings(&c->domains, c->settings);
	for (size_t i = 0; i < c->accounts.account_count; i++) {
		const struct account *a = &c->accounts.account[i];

		if (same_domain(a->domain, hostname))
			problem(problems,
				"MAIL_HOSTNAME: \"%s\" is the domain of account %s (%s:%u); the "
				"host name must differ from every mail domain",
				hostname, a->address, c->accounts.accounts_path, a->line);
		mail_domains_add(&c->domains, a->domain);
	}
	for (size_t i = 0; i < c->accounts.alias_count; i++) {
		const struct alias *a = &c->accounts.alias[i];
		const char *domain = strchr(a->source, '@') + 1;

		if (!mail_domains_has(&c->domains, domain))
			problem(problems,
				"%s:%u: %s is not in a mail domain (add %s to MAIL_DOMAINS)",
				c->accounts.aliases_path, a->line, a->source, domain);
		warn_of_dead_targets(c, a);
	}
}

/*
 * The certificate and key are read once, checked as read, and served from one
 * file rendered with the rest (TLS_PAIR): Postfix and Dovecot never read the
 * operator's files themselves, so a renewal caught halfway (a new key beside
 * the old certificate) is refused while the pair already served stays.
 */
static int read_certificate_pair(struct context *c, struct problems *problems)
{
	size_t cert_len = 0, key_len = 0;
	char *cert = file_read(c->cert, &cert_len);
	char *key = cert ? file_read(c->key, &key_len) : NULL;
	unsigned before = problems->count;

	if (cert == NULL || key == NULL) {
		problem(problems, "%s: cannot read it: %s", cert ? c->key : c->cert,
			strerror(errno));
		free(cert);
		return 0;
	}
	tls_check_pem(c->cert, cert, cert_len, c->key, key, key_len,
		      settings_get(c->settings, S_MAIL_HOSTNAME),
		      strcmp(settings_get(c->settings, S_TLS_HOSTNAME_CHECK), "refuse") == 0,
		      problems);
	if (problems->count == before) {
		buffer_append(&c->tls_pair, key, key_len);
		if (key_len > 0 && key[key_len - 1] != '\n')
			buffer_puts(&c->tls_pair, "\n");
		buffer_append(&c->tls_pair, cert, cert_len);
	}
	explicit_bzero(key, key_len);
	free(key);
	free(cert);
	return 0;
}

static int find_certificate(struct context *c, struct problems *problems)
{
	const struct settings *s = c->settings;
	const char *root = c->root;
	char dir[PATH_MAX];

	if (settings_get(s, S_CERT_PATH)) {
		snprintf(c->cert, sizeof(c->cert), "%s/fullchain.pem",
			 settings_get(s, S_CERT_PATH));
		snprintf(c->key, sizeof(c->key), "%s/privkey.pem", settings_get(s, S_CERT_PATH));
	} else if (settings_get(s, S_TLS_CERT_FILE)) {
		snprintf(c->cert, sizeof(c->cert), "%s", settings_get(s, S_TLS_CERT_FILE));
		snprintf(c->key, sizeof(c->key), "%s", settings_get(s, S_TLS_KEY_FILE));
	} else {
		/*
		 * Kept in the config volume. A check verifies the one there when the
		 * server would keep it, else makes its own in the scratch root, as
		 * the server would make a new one.
		 */
		snprintf(dir, sizeof(dir), "%s/tls", c->options->config_dir);
		if (c->options->check) {
			snprintf(c->cert, sizeof(c->cert), "%s/tls/cert.pem",
				 c->options->config_dir);
			snprintf(c->key, sizeof(c->key), "%s/tls/key.pem", c->options->config_dir);
			if (tls_self_signed_is_usable(c->cert, c->key,
						      settings_get(s, S_MAIL_HOSTNAME)))
				goto check;
			snprintf(dir, sizeof(dir), "%s/etc/mailinit/tls", root);
		}
		if (tls_self_signed(dir, settings_get(s, S_MAIL_HOSTNAME), c->cert, c->key,
				    sizeof(c->cert)) != 0)
			return EX_OSERR;
		goto check;
	}
	if (access(c->cert, R_OK) != 0 || access(c->key, R_OK) != 0) {
		unsigned wait = (unsigned)settings_number(s, S_CERT_WAIT);

		/* Check and reload never wait: the running server keeps its certificate. */
		if (c->options->check || c->options->staging) {
			const char *name =
			    settings_get(s, S_CERT_PATH) ? "CERT_PATH" : "TLS_CERT_FILE";
			char consequence[96];

			if (c->options->staging)
				snprintf(consequence, sizeof(consequence),
					 "the running server keeps the pair it serves");
			else
				snprintf(consequence, sizeof(consequence),
					 "a start would wait up to CERT_WAIT=%u s for them", wait);
			problem(problems,
				"%s: %s and %s are not there (yet): %s (check the certificate "
				"volume, or %s)",
				name, c->cert, c->key, consequence, name);
			return 0;
		}
		if (tls_wait(c->cert, c->key, wait) != 0) {
			log_error("%s and %s did not appear within CERT_WAIT=%u s (check the "
				  "certificate volume, or CERT_PATH)",
				  c->cert, c->key, wait);
			return EX_TEMPFAIL;
		}
	}
check:
	return read_certificate_pair(c, problems);
}

/*
 * Each domain's key in /etc/mailinit/dkim, made when missing. "check" and a
 * reload verify the real key the server signs with (the selector "dkim
 * rotate" chose); only a missing one is made in check's scratch root.
 */
static int make_dkim_keys(struct context *c, struct problems *problems)
{
	char dir[PATH_MAX], real_dir[PATH_MAX], record[1024];

	snprintf(real_dir, sizeof(real_dir), "%s/dkim", c->options->config_dir);
	if (c->options->check)
		snprintf(dir, sizeof(dir), "%s/etc/mailinit/dkim", c->root);
	else
		snprintf(dir, sizeof(dir), "%s", real_dir);
	for (size_t i = 0; i < c->domains.count; i++) {
		char *key = c->dkim_keys[i];

		/* "mailinit dkim rotate" names the domain's selector; else DKIM_SELECTOR. */
		dkim_active_selector(real_dir, c->domains.name[i],
				     settings_get(c->settings, S_DKIM_SELECTOR),
				     c->dkim_selectors[i], sizeof(c->dkim_selectors[i]));
		if (snprintf(key, sizeof(c->dkim_keys[i]), "%s/%s/%s.private", real_dir,
			     c->domains.name[i],
			     c->dkim_selectors[i]) >= (int)sizeof(c->dkim_keys[i])) {
			problem(problems, "%s: the path of its DKIM key is too long", real_dir);
			continue;
		}
		if (access(key, F_OK) == 0 &&
		    dkim_public_record(key, record, sizeof(record)) != 0) {
			problem(
			    problems,
			    "%s: DKIM key of %s is not an RSA private key in PEM (replace it, or "
			    "remove it to have a new one made)",
			    key, c->domains.name[i]);
			continue;
		}
		if (c->options->check && access(key, F_OK) == 0)
			continue; /* the real one, checked */
		int made =
		    dkim_ensure_key(dir, c->domains.name[i], c->dkim_selectors[i], c->opendkim_uid,
				    c->opendkim_gid, key, sizeof(c->dkim_keys[i]));
		if (made < 0)
			return -1;
		if (made > 0) { /* a link where its directory belongs: logged, left alone */
			log_warn("%s: mail from it is not DKIM-signed until that is fixed",
				 c->domains.name[i]);
			key[0] = '\0';
		}
	}
	return 0;
}

static int render_template_with(struct context *c, const char *name, const char *target,
				const char *extra, void (*edit)(struct context *, struct buffer *),
				mode_t mode, gid_t gid);

static int render_template(struct context *c, const char *name, const char *target,
			   const char *extra, mode_t mode, gid_t gid)
{
	return render_template_with(c, name, target, extra, NULL, mode, gid);
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
		status = file_write(out_path, out.data, out.len, mode, 0, gid);
	}
	free(text);
	buffer_free(&out);
	return status;
}

static int write_file(struct context *c, const char *target, const struct buffer *b, mode_t mode,
		      gid_t gid)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s%s", c->root, target);
	return file_write(path, b->data ? b->data : "", b->len, mode, 0, gid);
}

/* Set param in a rendered main.cf: replace its line (and continuation lines), or append. */
static void main_cf_set(struct buffer *main_cf, const char *param, const char *value)
{
	struct buffer out = {0};
	size_t plen = strlen(param);
	bool done = false, skipping = false;
	char *line = main_cf->data;

	while (line && *line) {
		char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line + 1) : strlen(line);
		const char *after = line + plen;

		if (skipping && (*line == ' ' || *line == '\t')) {
			line += len; /* a continuation of the replaced entry */
			continue;
		}
		skipping = false;
		if (strncmp(line, param, plen) == 0)
			after += strspn(after, " \t");
		if (!done && strncmp(line, param, plen) == 0 && *after == '=') {
			buffer_printf(&out, "%s = %s\n", param, value);
			done = skipping = true;
		} else {
			buffer_append(&out, line, len);
		}
		line += len;
	}
	if (!done)
		buffer_printf(&out, "%s = %s\n", param, value);
	buffer_free(main_cf);
	*main_cf = out;
}

/* postfix-main.cf: "param = value" entries, continuation lines joined. */
static void main_cf_merge_file(struct buffer *main_cf, char *text)
{
	char *line = strtok(text, "\n");

	while (line) {
		char *next = strtok(NULL, "\n");
		char *eq = strchr(line, '=');
		struct buffer value = {0};

		if (*line == '#' || *line == ' ' || *line == '\t' || eq == NULL) {
			line = next;
			continue;
		}
		char *name_end = eq;
		while (name_end > line && (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		*name_end = '\0';
		buffer_puts(&value, eq + 1 + strspn(eq + 1, " \t"));
		while (next && (*next == ' ' || *next == '\t')) {
			buffer_printf(&value, "%s%s", value.len ? " " : "",
				      next + strspn(next, " \t"));
			next = strtok(NULL, "\n");
		}
		main_cf_set(main_cf, line, value.data ? value.data : "");
		buffer_free(&value);
		line = next;
	}
}

/* POSTFIX_* settings, then postfix-main.cf: each replaces the template's entry. */
static void postfix_overrides(struct context *c, struct buffer *main_cf)
{
	char path[PATH_MAX];
	char *file;

	for (size_t i = 0; i < c->settings->postfix_count; i++)
		main_cf_set(main_cf, c->settings->postfix[i].param, c->settings->postfix[i].value);
	snprintf(path, sizeof(path), "%s/postfix-main.cf", c->options->config_dir);
	if ((file = file_read(path, NULL)) != NULL) {
		main_cf_merge_file(main_cf, file);
		free(file);
	}
}

/*
 * One network in the form a consumer wants: Postfix writes IPv6 networks as
 * [2001:db8::]/32, OpenDKIM as 2001:db8::/32. Either spelling is accepted.
 */
static void network_for(const char *network, bool brackets, struct buffer *out)
{
	const char *slash = strchr(network, '/');
	size_t len = slash ? (size_t)(slash - network) : strlen(network);
	bool bracketed = network[0] == '[';

	if (bracketed) {
		network++;
		len -= 2;
	}
	if (!strchr(network, ':') || len == 0) {
		buffer_puts(out, network - bracketed); /* IPv4: as given */
		return;
	}
	buffer_printf(out, "%s%.*s%s%s", brackets ? "[" : "", (int)len, network,
		      brackets ? "]" : "", slash ? slash : "");
}

static bool maps_are_hashed(const struct context *c)
{
	return c->accounts.account_count + c->accounts.alias_count > TEXTHASH_ENTRIES_MAX;
}

/* postmap each account map, reading the main.cf just rendered. */
static int build_hash_maps(struct context *c)
{
	static const char *const maps[] = {"vmailbox", "virtual", "sender-logins"};
	char config[PATH_MAX], map[PATH_MAX + 32];

	snprintf(config, sizeof(config), "%s/etc/postfix", c->root);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		char *argv[] = {"postmap", "-c", config, map, NULL};
		struct buffer out = {0};
		int status;

		snprintf(map, sizeof(map), "hash:%s/%s", config, maps[i]);
		status = proc_run(argv, &out);
		if (status != 0)
			log_error("postmap %s failed: %s", map,
				  status < 0 ? strerror(-status) : out.data);
		buffer_free(&out);
		if (status != 0)
			return -1;
	}
	return 0;
}

/* Whether mail to ADDRESS goes somewhere: an account, an alias, or another domain's. */
static bool address_delivers(const struct context *c, const struct lookup_table *virtual,
			     const char *address)
{
	const char *at = strrchr(address, '@');

	if (at == NULL || !mail_domains_has(&c->domains, at + 1))
		return at != NULL;
	for (size_t i = 0; i < c->accounts.account_count; i++) {
		if (strcasecmp(c->accounts.account[i].address, address) == 0)
			return true;
	}
	return lookup_table_has(virtual, address);
}

/*
 * postmaster@ (RFC 5321 4.5.1) and abuse@ (RFC 2142) of every domain reach
 * POSTMASTER_ADDRESS, unless an account or alias of that address says otherwise.
 * When POSTMASTER_ADDRESS itself leads nowhere (its default, postmaster@MAIL_DOMAIN,
 * with no account or alias of that name), the first account takes the mail.
 */
static void add_role_addresses(struct context *c, struct lookup_table *virtual)
{
	static const char *const roles[] = {"postmaster", "abuse"};
	const char *target = settings_get(c->settings, S_POSTMASTER_ADDRESS);
	char key[ADDRESS_MAX];

	if (!address_delivers(c, virtual, target)) {
		if (c->accounts.account_count == 0) {
			log_warn(
			    "POSTMASTER_ADDRESS: %s has no mailbox and there is no account yet: "
			    "mail to postmaster@ and abuse@ is refused until you add an "
			    "account or set POSTMASTER_ADDRESS",
			    target);
			return;
		}
		target = c->accounts.account[0].address;
	}
	for (size_t i = 0; i < c->domains.count; i++) {
		for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
			snprintf(key, sizeof(key), "%s@%s", roles[r], c->domains.name[i]);
			lookup_table_add_default(virtual, key, target);
		}
	}
}

static int render_maps(struct context *c)
{
	struct buffer vmailbox = {0}, virtual = {0}, logins = {0}, users = {0}, sasl = {0};
	struct buffer own = {0};
	struct lookup_table virtual_table = {0}, logins_table = {0};
	struct accounts *a = &c->accounts;
	int status = 0;

	buffer_puts(&vmailbox, "# Rendered by mailinit from /etc/mailinit/accounts\n");
	buffer_puts(&virtual, "# Rendered by mailinit from /etc/mailinit/aliases\n");
	for (size_t i = 0; i < a->account_count; i++) {
		const struct account *acc = &a->account[i];

		buffer_printf(&vmailbox, "%s %s/%s/\n", acc->address, acc->domain, acc->local);
		/* An identity entry, so a catch-all never takes a real mailbox's mail; an alias
		   of the same address adds its targets to it. */
		lookup_table_add(&virtual_table, acc->address, acc->address);
		lookup_table_add(&logins_table, acc->address, acc->address);
		buffer_printf(&users, "%s:%s::::::", acc->address, acc->password);
		if (acc->quota)
			buffer_printf(&users, "userdb_quota_rule=*:storage=%lluB", acc->quota);
		buffer_puts(&users, "\n");
	}
	for (size_t i = 0; i < a->alias_count; i++) {
		lookup_table_add(&virtual_table, a->alias[i].source, a->alias[i].targets);
		if (a->alias[i].source[0] != '@')
			lookup_table_add(&logins_table, a->alias[i].source, a->alias[i].targets);
	}
	add_role_addresses(c, &virtual_table);
	/* Port 25's check_sender_access: our domains (and their subdomains) need a login. */
	for (size_t i = 0; i < c->domains.count; i++)
		buffer_printf(&own,
			      "%s REJECT 5.7.1 a sender in %s must log in to send (submission, "
			      "port 587 or 465)\n",
			      c->domains.name[i], c->domains.name[i]);
	lookup_table_write(&virtual_table, &virtual);
	lookup_table_write(&logins_table, &logins);
	if (settings_get(c->settings, S_RELAYHOST_USERNAME))
		buffer_printf(&sasl, "%s %s:%s\n", settings_get(c->settings, S_RELAYHOST),
			      settings_get(c->settings, S_RELAYHOST_USERNAME),
			      settings_get(c->settings, S_RELAYHOST_PASSWORD));
	if (write_file(c, "/etc/postfix/vmailbox", &vmailbox, 0644, 0) != 0 ||
	    write_file(c, "/etc/postfix/virtual", &virtual, 0644, 0) != 0 ||
	    write_file(c, "/etc/postfix/sender-logins", &logins, 0644, 0) != 0 ||
	    write_file(c, "/etc/postfix/own-domains", &own, 0644, 0) != 0 ||
	    write_file(c, "/etc/postfix/sasl_passwd", &sasl, 0600, 0) != 0 ||
	    write_file(c, "/etc/dovecot/users", &users, 0640, c->dovecot_gid) != 0 ||
	    (maps_are_hashed(c) && build_hash_maps(c) != 0))
		status = -1;
	lookup_table_free(&virtual_table);
	lookup_table_free(&logins_table);
	buffer_free(&vmailbox);
	buffer_free(&virtual);
	buffer_free(&logins);
	buffer_free(&users);
	buffer_free(&sasl);
	buffer_free(&own);
	return status;
}

static int render_dkim_tables(struct context *c)
{
	struct buffer keys = {0}, signing = {0}, trusted = {0};
	const char *networks = settings_get(c->settings, S_TRUSTED_NETWORKS);
	char network[256];
	int status;

	for (size_t i = 0; i < c->domains.count; i++) {
		const char *selector = c->dkim_selectors[i];

		if (c->dkim_keys[i][0] == '\0')
			continue; /* refused by make_dkim_keys */

		buffer_printf(&keys, "%s._domainkey.%s %s:%s:%s\n", selector, c->domains.name[i],
			      c->domains.name[i], selector, c->dkim_keys[i]);
		buffer_printf(&signing, "*@%s %s._domainkey.%s\n", c->domains.name[i], selector,
			      c->domains.name[i]);
	}
	buffer_puts(&trusted, "127.0.0.1\n::1\n");
	while (text_next_word(&networks, network, sizeof(network))) {
		network_for(network, false, &trusted);
		buffer_puts(&trusted, "\n");
	}
	status = write_file(c, "/etc/opendkim/KeyTable", &keys, 0644, 0) |
		 write_file(c, "/etc/opendkim/SigningTable", &signing, 0644, 0) |
		 write_file(c, "/etc/opendkim/TrustedHosts", &trusted, 0644, 0);
	buffer_free(&keys);
	buffer_free(&signing);
	buffer_free(&trusted);
	return status ? -1 : 0;
}

static void set_template_vars(struct context *c)
{
	struct buffer domains = {0};
	const char *networks = settings_get(c->settings, S_TRUSTED_NETWORKS);
	char network[256], override[PATH_MAX];
	bool modern = strcmp(settings_get(c->settings, S_TLS_LEVEL), "modern") == 0;

	for (size_t i = 0; i < c->domains.count; i++)
		buffer_printf(&domains, "%s%s", i ? ", " : "", c->domains.name[i]);
	set_var(c, "MAIL_DOMAINS_ALL", "%s", domains.data);
	buffer_free(&domains);
	domains = (struct buffer){0};
	while (text_next_word(&networks, network, sizeof(network))) {
		buffer_puts(&domains, domains.len ? " " : "");
		network_for(network, true, &domains);
	}
	set_var(c, "TRUSTED_NETWORKS", "%s", domains.data ? domains.data : "");
	buffer_free(&domains);
	set_var(c, "ROOT", "%s", c->root);
	set_var(c, "MAP_TYPE", "%s", maps_are_hashed(c) ? "hash" : "texthash");
	set_var(c, "DOVECOT_PROTOCOLS", "lmtp%s%s%s",
		settings_bool(c->settings, S_ENABLE_IMAP) ? " imap" : "",
		settings_bool(c->settings, S_ENABLE_POP3) ? " pop3" : "",
		settings_bool(c->settings, S_ENABLE_MANAGESIEVE) ? " sieve" : "");
	set_var(c, "TLS_PAIR", "%s%s", c->root, TLS_PAIR);
	set_var(c, "POSTFIX_TLS_PROTOCOLS", "%s", modern ? ">=TLSv1.3" : ">=TLSv1.2");
	set_var(c, "DOVECOT_TLS_MIN", "%s", modern ? "TLSv1.3" : "TLSv1.2");
	/* TLS 1.3 suites are not configured by cipher list; modern allows no 1.2 ones. */
	set_var(c, "TLS_CIPHERS", "%s", intermediate_ciphers);
	set_var(c, "RELAYHOST_AUTH", "%s",
		settings_get(c->settings, S_RELAYHOST_USERNAME) ? "yes" : "no");
	/* Credentials for the smarthost never travel in clear text. */
	set_var(c, "SMTP_TLS_LEVEL", "%s",
		settings_get(c->settings, S_RELAYHOST_USERNAME) ? "encrypt" : "may");
	snprintf(override, sizeof(override), "%s/dovecot.conf", c->options->config_dir);
	set_var(c, "DOVECOT_OVERRIDE", "%s", access(override, R_OK) == 0 ? override : "");
}

static int render_all(struct context *c)
{
	struct buffer master_extra = {0};
	char path[PATH_MAX], dir[PATH_MAX];
	char *file;
	int status = -1;
	static const char *const dirs[] = {"/etc/postfix", "/etc/dovecot/sieve", "/etc/opendkim",
					   "/etc/ssl/mailinit"};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		snprintf(dir, sizeof(dir), "%s%s", c->root, dirs[i]);
		if (file_mkdirs(dir, 0755, (uid_t)-1, (gid_t)-1) != 0)
			return -1;
	}
	set_template_vars(c);
	snprintf(path, sizeof(path), "%s/postfix-master.cf", c->options->config_dir);
	if ((file = file_read(path, NULL)) != NULL) {
		buffer_printf(&master_extra, "\n# %s\n%s\n", path, file);
		free(file);
	}
	if (write_file(c, TLS_PAIR, &c->tls_pair, 0600, 0) == 0 &&
	    render_template_with(c, "postfix/main.cf", "/etc/postfix/main.cf", NULL,
				 postfix_overrides, 0644, 0) == 0 &&
	    render_template(c, "postfix/master.cf", "/etc/postfix/master.cf", master_extra.data,
			    0644, 0) == 0 &&
	    render_template(c, "dovecot/dovecot.conf", "/etc/dovecot/dovecot.conf", NULL, 0644,
			    0) == 0 &&
	    render_template(c, "dovecot/before.sieve", "/etc/dovecot/sieve/before.sieve", NULL,
			    0644, 0) == 0 &&
	    render_template(c, "opendkim/opendkim.conf", "/etc/opendkim.conf", NULL, 0644, 0) ==
		0 &&
	    render_maps(c) == 0 && render_dkim_tables(c) == 0)
		status = 0;
	buffer_free(&master_extra);
	return status;
}

static void verify_all(struct context *c, struct problems *problems)
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
	if (settings_bool(c->settings, S_ENABLE_SIEVE)) {
		snprintf(path, sizeof(path), "%s/etc/dovecot/sieve/before.sieve", c->root);
		verify_sieve(path, dovecot_conf, problems);
	}
}

/* The first account, with a password nobody chose: shown once, on stdout. */
static int make_demo_account(const char *address, const char *accounts_path)
{
	char secret[PASSWORD_LEN + 1], hash[PASSWORD_HASH_MAX];
	struct buffer line = {0};
	int status;

	if (password_generate(secret, sizeof(secret)) != 0 ||
	    password_hash(secret, hash, sizeof(hash)) != 0)
		return -1;
	buffer_printf(&line, "# made by mailinit for DEMO_ACCOUNT\n%s:%s\n", address, hash);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", accounts_path);
	*strrchr(dir, '/') = '\0';
	status = file_mkdirs(dir, 0755, (uid_t)-1, (gid_t)-1);
	if (status == 0)
		status = file_write(accounts_path, line.data, line.len, 0600, (uid_t)-1, (gid_t)-1);
	buffer_free(&line);
	if (status == 0 && log_is_json()) {
		/* One object, as every line of a JSON log must be. */
		log_info("demo account: %s, password: %s (shown once; it is stored hashed in %s)",
			 address, secret, accounts_path);
	} else if (status == 0) {
		printf("\n  demo account: %s\n  password:     %s\n  (shown once; it is "
		       "stored hashed in %s)\n\n",
		       address, secret, accounts_path);
		fflush(stdout);
	}
	explicit_bzero(secret, sizeof(secret));
	return status;
}

/*
 * "postfix start-fg" runs "postfix check" first (~300 ms) unless the queue
 * holds a quick-start file. Once the queue exists the check adds nothing: the
 * configuration was just verified and mailinit owns the rest. A queue that
 * lacks any of its directories still gets the full check, which creates them.
 */
static void skip_postfix_check_when_queue_exists(void)
{
	/* Every directory "postfix check" would create (post-install create-missing). */
	static const char *const queue[] = {"active",  "bounce", "corrupt",  "defer",    "deferred",
					    "flush",   "hold",   "incoming", "maildrop", "pid",
					    "private", "public", "saved",    "trace"};
	char path[PATH_MAX];
	int fd;

	for (size_t i = 0; i < sizeof(queue) / sizeof(queue[0]); i++) {
		snprintf(path, sizeof(path), "/var/spool/postfix/%s", queue[i]);
		if (access(path, F_OK) != 0)
			return;
	}
	snprintf(path, sizeof(path), "/var/spool/postfix/quick-start");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
		close(fd);
}

/*
 * Dovecot puts its LMTP and auth sockets in Postfix's private/ directory and
 * starts alongside Postfix; on an empty queue volume Postfix creates that
 * directory only during its own start-up check. Make it first, as Postfix does.
 * The same for the daemons' state directories under the render root (in the
 * image: /run/mailinit, a fresh tmpfs), which their packages made in /var/lib.
 */
static int make_daemon_dirs(const struct context *c)
{
	struct passwd *pw = getpwnam("postfix");
	char path[PATH_MAX];

	if (pw == NULL)
		return 0; /* no Postfix here: a test machine */
	snprintf(path, sizeof(path), "/var/spool/postfix/private");
	if (access(path, F_OK) != 0 && file_mkdirs(path, 0700, pw->pw_uid, 0) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/var/lib/postfix", c->root);
	if (access(path, F_OK) != 0 && file_mkdirs(path, 0755, pw->pw_uid, pw->pw_gid) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/var/lib/dovecot", c->root);
	return file_mkdirs(path, 0755, 0, 0);
}

static void find_daemon_ids(struct context *c)
{
	struct passwd *pw = getpwnam("opendkim");
	struct group *gr = getgrnam("dovecot");

	c->opendkim_uid = (uid_t)-1;
	c->opendkim_gid = c->dovecot_gid = (gid_t)-1;
	if (c->options->check || geteuid() != 0)
		return; /* a scratch directory keeps the caller's ownership */
	if (pw) {
		c->opendkim_uid = pw->pw_uid;
		c->opendkim_gid = pw->pw_gid;
	}
	if (gr)
		c->dovecot_gid = gr->gr_gid;
}

static int finish(struct context *c, int status)
{
	for (size_t i = 0; i < c->var_count; i++)
		free(c->var_value[i]);
	accounts_free(&c->accounts);
	if (c->tls_pair.data)
		explicit_bzero(c->tls_pair.data, c->tls_pair.len);
	buffer_free(&c->tls_pair);
	return status;
}

int provision(const struct provision_options *options, char *const *env, struct settings *settings)
{
	struct context *c = calloc(1, sizeof(*c));
	struct problems problems = {0};
	char path[PATH_MAX];
	int status;

	if (c == NULL) {
		log_error_sys("out of memory");
		return EX_OSERR;
	}
	c->options = options;
	c->root = options->staging ? options->staging : options->root;
	c->settings = settings;
	settings_init(settings);
	settings->hostname_of_container = options->container_hostname;
	snprintf(path, sizeof(path), "%s/mailinit.conf", options->config_dir);
	settings_read_file(settings, path, &problems);
	settings_read_environment(settings, env, &problems);
	settings_resolve(settings, &problems);
	/* The files are read even after a settings problem: all problems at once. */
	bool settings_ok = problems.count == 0;
	snprintf(path, sizeof(path), "%s/accounts", options->config_dir);
	accounts_load(&c->accounts, path, settings_bool(settings, S_ALLOW_PLAINTEXT_PASSWORDS),
		      &problems);
	if (settings_ok && c->accounts.account_count == 0 && !options->check && !options->staging &&
	    settings_get(settings, S_DEMO_ACCOUNT)) {
		if (make_demo_account(settings_get(settings, S_DEMO_ACCOUNT), path) != 0)
			goto os_error;
		accounts_load(&c->accounts, path, false, &problems);
	}
	snprintf(path, sizeof(path), "%s/aliases", options->config_dir);
	aliases_load(&c->accounts, path, &problems);
	if (settings_ok)
		collect_domains(c, &problems);
	if (problems.count)
		goto config_error;
	find_daemon_ids(c);
	if ((status = find_certificate(c, &problems)) != 0) {
		status = finish(c, status);
		free(c);
		return status;
	}
	if (problems.count)
		goto config_error;
	if (settings_bool(settings, S_ENABLE_DKIM) && make_dkim_keys(c, &problems) != 0)
		goto os_error;
	if (problems.count)
		goto config_error;
	if (render_all(c) != 0)
		goto config_error_counted;
	verify_all(c, &problems);
	if (problems.count)
		goto config_error;
	if (options->staging) {
		/* Verified: now the same inputs, from memory, into the running system. */
		c->root = options->root;
		if (render_all(c) != 0)
			goto os_error;
	}
	if (!options->check) {
		skip_postfix_check_when_queue_exists();
		if (make_daemon_dirs(c) != 0)
			goto os_error;
	}
	if (!options->check &&
	    mail_dirs_prepare(options->mail_dir, c->accounts.account, c->accounts.account_count,
			      (uid_t)settings_number(settings, S_VMAIL_UID),
			      (gid_t)settings_number(settings, S_VMAIL_GID)) != 0)
		goto os_error;
	status = finish(c, 0);
	free(c);
	return status;

config_error:
	log_error("%u problem%s in the configuration: %s", problems.count,
		  problems.count == 1 ? "" : "s",
		  options->staging ? "nothing was changed" : "nothing was started");
config_error_counted:
	status = finish(c, EX_CONFIG);
	free(c);
	return status;
os_error:
	status = finish(c, EX_OSERR);
	free(c);
	return status;
}
