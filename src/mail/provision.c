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
#include <sys/stat.h>
#include <sysexits.h>
#include <unistd.h>

#include "mail/accounts.h"
#include "base/buffer.h"
#include "mail/domains.h"
#include "base/log.h"
#include "mail/perms.h"
#include "base/text.h"
#include "mail/provision.h"
#include "mail/provision_steps.h"
#include "mail/demo_account.h"
#include "mail/daemon_dirs.h"
#include "base/file.h"
#include "mail/sessions.h"

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

/*
 * The mail user is its own: with a daemon's uid or group, that daemon would read every
 * mailbox, and a daemon of the group VMAIL_GID enters the rspamd controller's directory
 * (daemon_dirs.c) and could change what rspamd learns.
 */
static void check_mail_ids(struct context *c, struct problems *problems)
{
	static const char *const daemons[] = {"postfix",  "postdrop", "dovecot", "dovenull",
					      "opendkim", "_rspamd",  "redis"};
	uid_t uid = (uid_t)settings_number(c->settings, S_VMAIL_UID);
	gid_t gid = (gid_t)settings_number(c->settings, S_VMAIL_GID);

	for (size_t i = 0; i < sizeof(daemons) / sizeof(daemons[0]); i++) {
		struct passwd *pw = getpwnam(daemons[i]);
		struct group *gr = getgrnam(daemons[i]);

		if (pw && pw->pw_uid == uid)
			problem(problems,
				"VMAIL_UID: %lu is the user %s; the mail user must be its own "
				"(the default 5000 is)",
				(unsigned long)uid, daemons[i]);
		if (gr && gr->gr_gid == gid)
			problem(problems,
				"VMAIL_GID: %lu is the group %s; the mail user's group must be its "
				"own (the default 5000 is)",
				(unsigned long)gid, daemons[i]);
	}
}

static int finish(struct context *c, int status)
{
	for (size_t i = 0; i < c->var_count; i++)
		free(c->var_value[i]);
	accounts_free(&c->accounts);
	if (c->tls_pair.data)
		explicit_bzero(c->tls_pair.data, c->tls_pair.len);
	buffer_free(&c->tls_pair);
	provision_sni_free(c);
	return status;
}

/*
 * The inputs: settings (defaults < mailinit.conf < environment), accounts
 * (the demo account made into an empty file), aliases, the mail domains.
 * Read on after a settings problem: all problems at once. 0 or EX_OSERR.
 */
/* ROLE=proxy sends each account to its mailbox server: its host= field, or MAILBOX_HOST. */
static void check_mailbox_hosts(struct context *c, struct problems *problems)
{
	if (settings_role(c->settings) != ROLE_PROXY || settings_get(c->settings, S_MAILBOX_HOST))
		return;
	for (size_t i = 0; i < c->accounts.account_count; i++) {
		const struct account *a = &c->accounts.account[i];

		if (a->host[0] == '\0')
			problem(problems,
				"%s/accounts:%u: %s has no host= field and MAILBOX_HOST is not "
				"set: ROLE=proxy "
				"does not know its mailbox server (add e.g. host=mailbox-1 to the "
				"line, or set MAILBOX_HOST for the accounts without one)",
				c->options->config_dir, a->line, a->address);
	}
}

static int read_inputs(struct context *c, char *const *env, struct problems *problems)
{
	const struct provision_options *options = c->options;
	struct settings *settings = c->settings;
	char path[PATH_MAX];

	settings_init(settings);
	settings->hostname_of_container = options->container_hostname;
	snprintf(path, sizeof(path), "%s/mailinit.conf", options->config_dir);
	settings_read_file(settings, path, problems);
	settings_read_environment(settings, env, problems);
	settings_resolve(settings, problems);
	bool settings_ok = problems->count == 0;
	snprintf(path, sizeof(path), "%s/accounts", options->config_dir);
	accounts_load(&c->accounts, path, settings_bool(settings, S_ALLOW_PLAINTEXT_PASSWORDS),
		      problems);
	if (settings_ok && c->accounts.account_count == 0 && !options->check && !options->staging &&
	    settings_get(settings, S_DEMO_ACCOUNT)) {
		if (demo_account_make(settings_get(settings, S_DEMO_ACCOUNT), path) != 0)
			return EX_OSERR;
		accounts_load(&c->accounts, path, false, problems);
	}
	snprintf(path, sizeof(path), "%s/aliases", options->config_dir);
	aliases_load(&c->accounts, path, problems);
	if (settings_ok) {
		collect_domains(c, problems);
		check_mailbox_hosts(c, problems);
	}
	return 0;
}

/*
 * The certificate, the DKIM keys, every file rendered under c->root and
 * verified there. 0 (problems counted in *problems), or the exit status:
 * EX_CONFIG when rendering failed (it said why), EX_OSERR, EX_TEMPFAIL.
 */
static int render_and_verify(struct context *c, struct problems *problems)
{
	int status;

	find_daemon_ids(c);
	check_mail_ids(c, problems);
	if ((status = provision_certificate(c, problems)) != 0 || problems->count)
		return status;
	provision_sni_read(c, problems);
	/* Only the MX servers sign: a mailbox server or a proxy makes no key. */
	bool signs =
	    settings_role(c->settings) == ROLE_ALL || settings_role(c->settings) == ROLE_MX;
	if (signs && settings_bool(c->settings, S_ENABLE_DKIM) &&
	    provision_dkim_keys(c, problems) != 0)
		return EX_OSERR;
	if (problems->count)
		return 0;
	if (provision_render(c) != 0)
		return EX_CONFIG;
	provision_verify(c, problems);
	return 0;
}

/* Verified: into the running system (a reload renders again, from memory), then the
   daemons' directories and the Maildirs. 0 or EX_OSERR. */
static int install(struct context *c)
{
	const struct provision_options *options = c->options;

	uid_t uid = (uid_t)settings_number(c->settings, S_VMAIL_UID);
	gid_t gid = (gid_t)settings_number(c->settings, S_VMAIL_GID);
	char lock[PATH_MAX];

	if (options->staging) {
		char users[PATH_MAX];
		struct stat old_stat;

		c->root = options->root;
		snprintf(users, sizeof(users), "%s/etc/dovecot/users", c->root);
		char *old_users = stat(users, &old_stat) == 0 ? file_read(users, NULL) : NULL;
		int rendered = provision_render(c);

		/* Whether or not the rest rendered: the users file may be new already, and
		   Dovecot's auth reads it by itself. */
		if (!options->check && old_users)
			sessions_end_changed(users, old_users, &old_stat, uid, gid);
		free(old_users);
		if (rendered != 0)
			return EX_OSERR;
	}
	if (options->check)
		return 0;
	daemon_dirs_skip_postfix_check();
	/* The guard keeps the bans there (guard.h); made now, before the supervisor watches
	   the configuration directory, so that its making is no change to reload for. A
	   read-only volume: the guard says what that means. */
	snprintf(lock, sizeof(lock), "%s/state", options->config_dir);
	if (settings_bool(c->settings, S_ENABLE_BANS))
		(void)mkdir(lock, 0700);

	if (daemon_dirs_make(c->root) != 0 ||
	    (settings_bool(c->settings, S_ENABLE_RSPAMD) && daemon_dirs_make_rspamd(gid) != 0) ||
	    daemon_dirs_make_milters(settings_bool(c->settings, S_ENABLE_DKIM),
				     settings_bool(c->settings, S_ENABLE_RSPAMD)) != 0 ||
	    mail_dirs_prepare(options->mail_dir, c->accounts.account, c->accounts.account_count,
			      uid, gid) != 0)
		return EX_OSERR;
	/* Owners under /var/mail: beside the services, not before them (perms.h). */
	snprintf(lock, sizeof(lock), "%s/owner-walk.lock", c->root[0] ? c->root : "/run");
	mail_owners_fix_beside(lock, options->mail_dir, uid, gid);
	return 0;
}

int provision(const struct provision_options *options, char *const *env, struct settings *settings)
{
	struct context *c = calloc(1, sizeof(*c));
	struct problems problems = {0};
	int status;

	if (c == NULL) {
		log_error_sys("out of memory");
		return EX_OSERR;
	}
	c->options = options;
	c->root = options->staging ? options->staging : options->root;
	c->settings = settings;
	status = read_inputs(c, env, &problems);
	if (status == 0 && problems.count == 0)
		status = render_and_verify(c, &problems);
	if (status == 0 && problems.count) {
		log_error("%u problem%s in the configuration: %s", problems.count,
			  problems.count == 1 ? "" : "s",
			  options->staging ? "nothing was changed" : "nothing was started");
		status = EX_CONFIG;
	} else if (status == 0) {
		status = install(c);
	}
	status = finish(c, status);
	free(c);
	return status;
}
