/*
 * NAME
 *	admin_dkim - mailinit dkim show|rotate|remove
 *
 * DESCRIPTION
 *	See admin.h. The keys are CONFIG_DIR/dkim/DOMAIN/SELECTOR.private with
 *	their DNS record beside them (dkim.h); rotate and remove ask the
 *	running server to reload.
 */
#include <errno.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/text.h"
#include "cli/admin_commands.h"
#include "mail/dkim.h"
#include "mail/validate.h"

static int dkim_show_domain(const struct admin *a, const char *domain)
{
	char selector[64], key[PATH_MAX + 512], txt[PATH_MAX + 512];
	char *record;

	dkim_active_selector(a->dkim_dir, domain, settings_get(a->settings, S_DKIM_SELECTOR),
			     selector, sizeof(selector));
	snprintf(key, sizeof(key), "%s/%s/%s.private", a->dkim_dir, domain, selector);
	snprintf(txt, sizeof(txt), "%s/%s/%s.txt", a->dkim_dir, domain, selector);
	if (access(key, F_OK) != 0) {
		log_error("dkim show: no key for %s yet (%s; keys are made when the server "
			  "starts or reloads)",
			  domain, key);
		return EX_UNAVAILABLE;
	}
	printf("; %s signs with selector %s (%s)\n", domain, selector, key);
	if ((record = file_read(txt, NULL)) != NULL) {
		fputs(record, stdout);
		free(record);
	}
	return 0;
}

/* A mail domain of this server; else the problem is logged. */
static bool is_ours(const struct admin *a, const char *what, const char *domain)
{
	if (mail_domains_has(admin_domains(a), domain))
		return true;
	log_error("%s: %s is not a mail domain of this server (\"mailinit domain list\" shows "
		  "them)",
		  what, domain);
	return false;
}

int dkim_show(struct admin *a, int argc, char **argv)
{
	const struct mail_domains *domains;
	int status = 0;

	if (argc > 1) {
		log_error("dkim show: give at most one domain");
		return EX_USAGE;
	}
	if (argc == 1) {
		text_lowercase(argv[0]);
		if (!is_ours(a, "dkim show", argv[0]))
			return EX_DATAERR;
		return dkim_show_domain(a, argv[0]);
	}
	domains = admin_domains(a);
	for (size_t i = 0; i < domains->count; i++) {
		int s = dkim_show_domain(a, domains->name[i]);

		if (status == 0)
			status = s;
	}
	return status;
}

/* "s" and today's date, with a letter added when that selector exists. */
static void new_selector(const struct admin *a, const char *domain, char *selector, size_t size)
{
	char date[16], key[PATH_MAX + 512];
	time_t now = time(NULL);
	struct tm tm;

	gmtime_r(&now, &tm);
	strftime(date, sizeof(date), "%Y%m%d", &tm);
	snprintf(selector, size, "s%s", date);
	for (int suffix = 'a'; suffix <= 'z'; suffix++) {
		snprintf(key, sizeof(key), "%s/%s/%s.private", a->dkim_dir, domain, selector);
		if (access(key, F_OK) != 0)
			return;
		snprintf(selector, size, "s%s%c", date, (char)suffix);
	}
}

int dkim_rotate(struct admin *a, int argc, char **argv)
{
	char selector[64], key[PATH_MAX + 512], old[64];
	struct passwd *pw = geteuid() == 0 ? getpwnam("opendkim") : NULL;
	const char *why;

	if (argc != 1) {
		log_error("dkim rotate: give one domain (mailinit dkim rotate example.com)");
		return EX_USAGE;
	}
	text_lowercase(argv[0]);
	if (!valid_domain(argv[0], &why)) {
		log_error("dkim rotate: \"%s\" %s", argv[0], why);
		return EX_DATAERR;
	}
	if (!is_ours(a, "dkim rotate", argv[0]))
		return EX_DATAERR;
	if (admin_lock(a) != 0)
		return EX_OSERR;
	dkim_active_selector(a->dkim_dir, argv[0], settings_get(a->settings, S_DKIM_SELECTOR), old,
			     sizeof(old));
	new_selector(a, argv[0], selector, sizeof(selector));
	if (dkim_ensure_key(a->dkim_dir, argv[0], selector, pw ? pw->pw_uid : (uid_t)-1,
			    pw ? pw->pw_gid : (gid_t)-1, key, sizeof(key)) != 0 ||
	    dkim_set_selector(a->dkim_dir, argv[0], selector) != 0)
		return EX_CANTCREAT;
	printf("%s now signs with selector %s; publish its record:\n", argv[0], selector);
	dkim_show_domain(a, argv[0]);
	printf("; the old key (selector %s) stays published and on disk: remove it with\n"
	       "; \"mailinit dkim remove %s %s\" once mail signed with it is delivered (a "
	       "week)\n",
	       old, argv[0], old);
	admin_ask_for_reload();
	return 0;
}

int dkim_remove(struct admin *a, int argc, char **argv)
{
	char active[64], path[PATH_MAX + 512];

	if (argc != 2 || !dkim_valid_selector(argv[1])) {
		log_error("dkim remove: give a domain and a selector (mailinit dkim remove "
			  "example.com s20260101)");
		return EX_USAGE;
	}
	text_lowercase(argv[0]);
	if (admin_lock(a) != 0)
		return EX_OSERR;
	dkim_active_selector(a->dkim_dir, argv[0], settings_get(a->settings, S_DKIM_SELECTOR),
			     active, sizeof(active));
	if (strcmp(active, argv[1]) == 0) {
		log_error("dkim remove: %s signs with %s now (rotate first: mailinit dkim rotate "
			  "%s)",
			  argv[0], argv[1], argv[0]);
		return EX_DATAERR;
	}
	snprintf(path, sizeof(path), "%s/%s/%s.private", a->dkim_dir, argv[0], argv[1]);
	if (unlink(path) != 0) {
		log_error_sys("dkim remove: %s", path);
		return errno == ENOENT ? EX_NOUSER : EX_CANTCREAT;
	}
	snprintf(path, sizeof(path), "%s/%s/%s.txt", a->dkim_dir, argv[0], argv[1]);
	unlink(path);
	printf("removed the key %s of %s; delete %s._domainkey.%s from DNS\n", argv[1], argv[0],
	       argv[1], argv[0]);
	return 0;
}
