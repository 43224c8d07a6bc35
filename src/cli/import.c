/*
 * NAME
 *	import - mailinit import DIR: accounts and aliases from docker-mailserver
 *
 * DESCRIPTION
 *	DIR/postfix-accounts.cf ("user@domain|{SCHEME}hash"), DIR/postfix-virtual.cf
 *	("source target[,target]") and DIR/dovecot-quotas.cf ("user@domain:SIZE"),
 *	added to ours. Every line is checked first; one problem and nothing is
 *	written. An account already here is kept as it is; an alias already here
 *	gets the new targets.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/log.h"
#include "base/text.h"
#include "cli/admin_commands.h"
#include "mail/accounts.h"
#include "mail/accounts_edit.h"
#include "mail/validate.h"

struct import {
	const char *dir;
	struct lines dms_accounts, dms_virtual, dms_quotas, accounts, aliases;
	struct problems problems;
	unsigned added, skipped, merged;
};

/* Its dovecot-quotas.cf: "user@domain:SIZE"; the size of ADDRESS, or NULL. */
static const char *dms_quota(const struct import *im, const char *address)
{
	long at = lines_find(&im->dms_quotas, ENTRY_ACCOUNT, address);
	const char *colon = at < 0 ? NULL : strchr(im->dms_quotas.line[at], ':');

	if (at >= 0 && colon == NULL)
		log_warn("%s/dovecot-quotas.cf:%ld: expected user@domain:SIZE; %s is imported "
			 "without a quota",
			 im->dir, at + 1, address);
	return colon ? colon + 1 : NULL;
}

/* One line of postfix-accounts.cf, added to our accounts unless it is there. */
static void import_account(struct import *im, char *line, size_t number)
{
	char address[ADDRESS_MAX], *bar, *hash, *extra;
	const char *why, *quota;
	unsigned long long bytes;
	struct buffer entry = {0};

	line += strspn(line, " \t");
	if (*line == '\0' || *line == '#')
		return;
	if ((bar = strchr(line, '|')) == NULL) {
		problem(&im->problems,
			"%s/postfix-accounts.cf:%zu: expected user@domain|{SCHEME}hash", im->dir,
			number);
		return;
	}
	snprintf(address, sizeof(address), "%.*s", (int)(bar - line), line);
	text_lowercase(address);
	hash = bar + 1;
	if ((extra = strchr(hash, '|')) != NULL)
		*extra = '\0'; /* docker-mailserver's per-user attributes: not carried over */
	hash[strcspn(hash, "\r")] = '\0';
	if (!valid_address(address, &why)) {
		problem(&im->problems, "%s/postfix-accounts.cf:%zu: \"%s\" %s", im->dir, number,
			address, why);
		return;
	}
	if (!accounts_password_ok(hash, false)) {
		problem(&im->problems,
			"%s/postfix-accounts.cf:%zu: %s: the password is not a {SCHEME}hash "
			"mailinit accepts (a {PLAIN} one, say), so nothing is imported: hash it "
			"in that file (doveadm pw -s SHA512-CRYPT), or remove the line and add "
			"the account after the import (mailinit user add)",
			im->dir, number, address);
		return;
	}
	quota = dms_quota(im, address);
	if (quota && (!accounts_parse_size(quota, &bytes) || bytes == 0))
		quota = NULL; /* "0" and unparsable: no quota, as docker-mailserver does */
	if (lines_find(&im->accounts, ENTRY_ACCOUNT, address) >= 0) {
		im->skipped++;
		return;
	}
	buffer_printf(&entry, "%s:%s", address, hash);
	if (quota)
		buffer_printf(&entry, ":quota=%s", quota);
	lines_add(&im->accounts, entry.data, entry.len);
	buffer_free(&entry);
	im->added++;
}

/* One line of postfix-virtual.cf, merged into our aliases. */
static void import_alias(struct import *im, const char *line, size_t number)
{
	char source[ADDRESS_MAX], target[ADDRESS_MAX];
	struct buffer entry = {0};
	size_t targets = 0;
	const char *why;
	long at;

	/* The source ends at a blank, as in our aliases file; commas separate targets only. */
	if (!accounts_line_key(line, ENTRY_ALIAS, source, sizeof(source)))
		return;
	line += strspn(line, " \t");
	line += strcspn(line, " \t");
	text_lowercase(source);
	if (source[0] == '@' ? !valid_domain(source + 1, &why) : !valid_address(source, &why)) {
		problem(&im->problems, "%s/postfix-virtual.cf:%zu: \"%s\" %s", im->dir, number,
			source, why);
		return;
	}
	at = lines_find(&im->aliases, ENTRY_ALIAS, source);
	buffer_puts(&entry, at >= 0 ? im->aliases.line[at] : source);
	while (text_next_word(&line, target, sizeof(target))) {
		text_lowercase(target);
		if (!valid_address(target, &why)) {
			problem(&im->problems, "%s/postfix-virtual.cf:%zu: target \"%s\" %s",
				im->dir, number, target, why);
			continue;
		}
		alias_line_add_target(&entry, target);
		targets++;
	}
	if (targets == 0)
		problem(&im->problems, "%s/postfix-virtual.cf:%zu: %s has no target", im->dir,
			number, source);
	else
		lines_set(&im->aliases, at, entry.data);
	buffer_free(&entry);
	im->merged++;
}

/* docker-mailserver's three files; 0, or the exit status. */
static int read_dms_files(struct import *im)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/postfix-accounts.cf", im->dir);
	if (access(path, R_OK) != 0) {
		log_error_sys("import: cannot read %s (give the directory that holds "
			      "docker-mailserver's postfix-accounts.cf)",
			      path);
		return EX_NOINPUT;
	}
	lines_read(path, &im->dms_accounts);
	snprintf(path, sizeof(path), "%s/postfix-virtual.cf", im->dir);
	lines_read(path, &im->dms_virtual);
	snprintf(path, sizeof(path), "%s/dovecot-quotas.cf", im->dir);
	lines_read(path, &im->dms_quotas);
	return 0;
}

static void import_free(struct import *im)
{
	lines_free(&im->dms_accounts);
	lines_free(&im->dms_virtual);
	lines_free(&im->dms_quotas);
	lines_free(&im->accounts);
	lines_free(&im->aliases);
}

int import_docker_mailserver(struct admin *a, const char *dir)
{
	struct import im = {.dir = dir};
	int status = read_dms_files(&im);

	if (status != 0)
		return status;
	if (admin_lock(a) != 0 || lines_read(a->accounts_path, &im.accounts) != 0 ||
	    lines_read(a->aliases_path, &im.aliases) != 0) {
		import_free(&im);
		return EX_OSERR;
	}
	for (size_t i = 0; i < im.dms_accounts.count; i++)
		import_account(&im, im.dms_accounts.line[i], i + 1);
	for (size_t i = 0; i < im.dms_virtual.count; i++)
		import_alias(&im, im.dms_virtual.line[i], i + 1);
	if (im.problems.count) {
		log_error("import: %u problem%s: nothing was imported", im.problems.count,
			  im.problems.count == 1 ? "" : "s");
		status = EX_DATAERR;
	} else if (lines_write(a->accounts_path, &im.accounts, 0600) != 0 ||
		   lines_write(a->aliases_path, &im.aliases, 0644) != 0) {
		status = EX_CANTCREAT;
	} else {
		printf("imported %u account%s (%u already here, kept as they were) and %u alias "
		       "line%s from %s\n",
		       im.added, im.added == 1 ? "" : "s", im.skipped, im.merged,
		       im.merged == 1 ? "" : "s", dir);
	}
	import_free(&im);
	return status;
}
