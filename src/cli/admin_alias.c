/*
 * NAME
 *	admin_alias - mailinit alias add|del|list
 *
 * DESCRIPTION
 *	See admin.h. The aliases file is edited as its lines (accounts_edit.h).
 */
#include <errno.h>
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

/*
 * Every target an address, and each in a mail domain of this server leading
 * somewhere (an account, an alias, the domain's catch-all, postmaster@ or
 * abuse@): else mail to the alias would be accepted, then bounced. What loads
 * of the files counts, so a malformed line elsewhere does not turn the check
 * off; an unreadable file does (the check after the write says so).
 * 0 or the exit status.
 */
static int check_targets(const struct admin *a, const char *source, int argc, char **argv)
{
	const struct mail_domains *domains = admin_domains(a);
	struct accounts known = {0};
	struct problems quiet = {.quiet = true};
	char target[ADDRESS_MAX];
	const char *why;
	int status = 0;

	for (int i = 0; i < argc; i++) {
		if (!valid_address(argv[i], &why)) {
			log_error("alias add: target \"%s\" %s", argv[i], why);
			return EX_DATAERR;
		}
	}
	if ((access(a->accounts_path, R_OK) != 0 && errno != ENOENT) ||
	    (access(a->aliases_path, R_OK) != 0 && errno != ENOENT))
		return 0;
	accounts_load(&known, a->accounts_path, true, &quiet);
	aliases_load(&known, a->aliases_path, &quiet);
	for (int i = 0; i < argc && status == 0; i++) {
		snprintf(target, sizeof(target), "%s", argv[i]);
		text_lowercase(target);
		if (mail_domains_has(domains, strrchr(target, '@') + 1) &&
		    !accounts_has_recipient(&known, target)) {
			log_error("alias add: %s is in a mail domain of this server but is no "
				  "account or alias: mail to %s would bounce (add the account "
				  "first: mailinit user add %s)",
				  target, source, target);
			status = EX_NOUSER;
		}
	}
	accounts_free(&known);
	return status;
}

int alias_add(struct admin *a, int argc, char **argv)
{
	char source[ADDRESS_MAX], target[ADDRESS_MAX];
	struct buffer line = {0};
	struct lines l;
	long at;
	int status;

	if (argc < 2) {
		log_error("alias add: give a source and its targets (mailinit alias add "
			  "sales@example.com anna@example.com)");
		return EX_USAGE;
	}
	snprintf(source, sizeof(source), "%s", argv[0]);
	text_lowercase(source);
	if (!admin_check_address(a, "alias add", source, true))
		return EX_DATAERR;
	if (admin_lock(a) != 0)
		return EX_OSERR;
	if ((status = check_targets(a, source, argc - 1, argv + 1)) != 0)
		return status;
	if (lines_read(a->aliases_path, &l) != 0)
		return EX_OSERR;
	at = lines_find(&l, ENTRY_ALIAS, source);
	buffer_puts(&line, at >= 0 && l.line ? l.line[at] : source);
	for (int i = 1; i < argc; i++) {
		snprintf(target, sizeof(target), "%s", argv[i]);
		text_lowercase(target);
		alias_line_add_target(&line, target);
	}
	lines_set(&l, at, line.data);
	if (lines_write(a->aliases_path, &l, 0644) != 0)
		status = EX_CANTCREAT;
	else
		printf("%s\n", line.data);
	buffer_free(&line);
	lines_free(&l);
	return status;
}

int alias_del(struct admin *a, int argc, char **argv)
{
	char source[ADDRESS_MAX];
	struct buffer line = {0};
	struct lines l;
	long at, kept = 0;
	int status = 0;

	if (argc < 1 || argc > 2) {
		log_error("alias del: give the source, and a target to remove only that one");
		return EX_USAGE;
	}
	snprintf(source, sizeof(source), "%s", argv[0]);
	text_lowercase(source);
	if (admin_lock(a) != 0 || lines_read(a->aliases_path, &l) != 0)
		return EX_OSERR;
	if ((at = lines_find(&l, ENTRY_ALIAS, source)) < 0) {
		log_error("alias del: there is no alias %s in %s", source, a->aliases_path);
		lines_free(&l);
		return EX_NOUSER;
	}
	if (argc == 2 && (kept = alias_line_remove_target(l.line[at], argv[1], &line)) < 0) {
		log_error("alias del: %s is not a target of %s", argv[1], source);
		status = EX_NOUSER;
	} else if (kept == 0) {
		lines_remove(&l, (size_t)at); /* the alias, or its last target */
	} else {
		lines_set(&l, at, line.data);
	}
	buffer_free(&line);
	if (status == 0 && lines_write(a->aliases_path, &l, 0644) != 0)
		status = EX_CANTCREAT;
	else if (status == 0)
		printf("removed %s%s%s\n", argc == 2 ? argv[1] : source, argc == 2 ? " from " : "",
		       argc == 2 ? source : "");
	lines_free(&l);
	return status;
}

int alias_list(struct admin *a, int argc, char **argv)
{
	struct accounts aliases = {0};
	struct problems problems = {0};

	(void)argv;
	if (argc != 0)
		return -1;
	aliases_load(&aliases, a->aliases_path, &problems);
	for (size_t i = 0; i < aliases.alias_count; i++)
		printf("%s\t%s\n", aliases.alias[i].source, aliases.alias[i].targets);
	accounts_free(&aliases);
	return problems.count ? EX_DATAERR : 0;
}
