/*
 * NAME
 *	admin_user - mailinit user add|passwd|del|list
 *
 * DESCRIPTION
 *	See admin.h. The accounts file is edited as its lines (accounts_edit.h).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buffer.h"
#include "base/log.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "cli/admin_commands.h"
#include "mail/accounts.h"
#include "mail/accounts_edit.h"
#include "mail/password.h"

#define PASSWORD_MAX 1024

struct user_request {
	const char *what; /* "user add" or "user passwd" */
	bool add, from_stdin;
	char address[ADDRESS_MAX];
	const char *quota_text;
	unsigned long long quota;
};

/* SECRET from stdin, or a new one; and its hash. */
static int new_password(const char *what, bool from_stdin, char *secret, size_t secret_size,
			char *hash, size_t hash_size)
{
	int status = from_stdin ? password_read_stdin(what, secret, secret_size)
				: password_generate(secret, secret_size);

	return status == 0 ? password_hash(secret, hash, hash_size) : status;
}

/* The arguments of user add|passwd into *r; 0 or the exit status. */
static int user_arguments(struct user_request *r, int argc, char **argv)
{
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0)
			r->from_stdin = true;
		else if (r->add && strcmp(argv[i], "--quota") == 0 && i + 1 < argc)
			r->quota_text = argv[++i];
		else if (argv[i][0] != '-' && r->address[0] == '\0')
			snprintf(r->address, sizeof(r->address), "%s", argv[i]);
		else {
			log_error("%s: unexpected \"%s\" (passwords are read with "
				  "--password-stdin, never taken as an argument)",
				  r->what, argv[i]);
			return EX_USAGE;
		}
	}
	if (r->address[0] == '\0') {
		log_error("%s: which address? (mailinit %s user@example.com)", r->what, r->what);
		return EX_USAGE;
	}
	text_lowercase(r->address);
	if (r->quota_text && (!accounts_parse_size(r->quota_text, &r->quota) || r->quota == 0)) {
		log_error("%s: --quota \"%s\" is not a size (e.g. 500M, 2G)", r->what,
			  r->quota_text);
		return EX_USAGE;
	}
	return 0;
}

/* The account's line with HASH: a new one, or line AT with its extras (quota=...) kept. */
static void account_line(const struct user_request *r, const struct lines *l, long at,
			 const char *hash, struct buffer *line)
{
	if (r->add) {
		buffer_printf(line, "%s:%s", r->address, hash);
		if (r->quota)
			buffer_printf(line, ":quota=%s", r->quota_text);
		return;
	}
	const char *old = l->line[at], *colon = strchr(old, ':');
	const char *extra = colon ? strchr(colon + 1, ':') : NULL;

	buffer_printf(line, "%s:%s%s", r->address, hash, extra ? extra : "");
}

/* Under the lock: the accounts file with the new line; 0 or the exit status. */
static int write_account(struct admin *a, const struct user_request *r, const char *hash)
{
	struct buffer line = {0};
	struct lines l;
	long at;
	int status = 0;

	if (admin_lock(a) != 0 || lines_read(a->accounts_path, &l) != 0)
		return EX_OSERR;
	at = lines_find(&l, ENTRY_ACCOUNT, r->address);
	if (r->add && at >= 0) {
		log_error("%s: %s already exists (change its password with \"mailinit user "
			  "passwd %s\")",
			  r->what, r->address, r->address);
		status = EX_DATAERR;
	} else if (!r->add && at < 0) {
		log_error("%s: there is no account %s in %s (\"mailinit user list\" shows them)",
			  r->what, r->address, a->accounts_path);
		status = EX_NOUSER;
	} else {
		account_line(r, &l, at, hash, &line);
		lines_set(&l, at, line.data);
		if (lines_write(a->accounts_path, &l, 0600) != 0)
			status = EX_CANTCREAT;
		else
			printf("%s %s\n", r->add ? "added" : "changed the password of", r->address);
		buffer_free(&line);
	}
	lines_free(&l);
	return status;
}

int user_add_or_passwd(struct admin *a, bool add, int argc, char **argv)
{
	struct user_request r = {.what = add ? "user add" : "user passwd", .add = add};
	char hash[PASSWORD_HASH_MAX], secret[PASSWORD_MAX];
	int status = user_arguments(&r, argc, argv);

	if (status != 0)
		return status;
	if (add && !admin_check_address(a, r.what, r.address, false))
		return EX_DATAERR;
	/* The password first: the lock is never held while a person types. */
	status = new_password(r.what, r.from_stdin, secret, sizeof(secret), hash, sizeof(hash));
	explicit_bzero(secret, r.from_stdin ? sizeof(secret) : 0);
	if (status != 0)
		return EX_DATAERR;
	status = write_account(a, &r, hash);
	if (status == 0 && !r.from_stdin)
		printf("password for %s: %s\n(shown once: it is stored only as a hash)\n",
		       r.address, secret);
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(hash, sizeof(hash));
	return status;
}

int user_del(struct admin *a, int argc, char **argv)
{
	char address[ADDRESS_MAX];
	struct lines l;
	long at;
	int status = 0;

	if (argc != 1) {
		log_error("user del: give one address (mailinit user del user@example.com)");
		return EX_USAGE;
	}
	snprintf(address, sizeof(address), "%s", argv[0]);
	text_lowercase(address);
	if (admin_lock(a) != 0 || lines_read(a->accounts_path, &l) != 0)
		return EX_OSERR;
	if ((at = lines_find(&l, ENTRY_ACCOUNT, address)) < 0) {
		log_error("user del: there is no account %s in %s", address, a->accounts_path);
		status = EX_NOUSER;
	} else {
		lines_remove(&l, (size_t)at);
		if (lines_write(a->accounts_path, &l, 0600) != 0)
			status = EX_CANTCREAT;
		else
			printf("removed %s; its mail stays in its Maildir under /var/mail/vhosts "
			       "until you delete it\n",
			       address);
	}
	lines_free(&l);
	return status;
}

int user_list(struct admin *a, int argc, char **argv)
{
	struct accounts accounts = {0};
	struct problems problems = {0};

	(void)argv;
	if (argc != 0)
		return -1;
	accounts_load(&accounts, a->accounts_path, true, &problems);
	for (size_t i = 0; i < accounts.account_count; i++) {
		const struct account *acc = &accounts.account[i];

		printf("%s", acc->address);
		if (acc->quota)
			printf("\tquota %llu MiB", acc->quota >> 20);
		if (acc->host[0])
			printf("\thost %s", acc->host);
		printf("\n");
	}
	accounts_free(&accounts);
	return problems.count ? EX_DATAERR : 0;
}
