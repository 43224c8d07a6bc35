/*
 * NAME
 *	accounts - the mail accounts and aliases files
 *
 * SYNOPSIS
 *	struct accounts a = {0};
 *	accounts_load(&a, "/etc/mailinit/accounts", allow_plaintext, &problems);
 *	aliases_load(&a, "/etc/mailinit/aliases", &problems);
 *	if (accounts_has_recipient(&a, "alice+news@example.com")) ...
 *	accounts_free(&a);
 *
 *	accounts_line_key("alice@example.com:{CRYPT}...", ENTRY_ACCOUNT, key, sizeof(key));
 *
 * DESCRIPTION
 *	accounts: one "user@domain:{SCHEME}hash[:quota=SIZE][:host=NAME]" per line; blank
 *	lines and lines starting with # are skipped. SCHEME is CRYPT, SHA512-CRYPT,
 *	SHA256-CRYPT, BLF-CRYPT, ARGON2I or ARGON2ID (what Dovecot 2.3 on
 *	Debian verifies); PLAIN only when allowed. SIZE is bytes, or a number
 *	with K, M, G or T. NAME is the account's mailbox server when the server
 *	is split (ROLE=proxy, docs/scaling.md): a host name or an IPv4 address.
 *
 *	aliases: Postfix's virtual format: "source target[, target ...]" where
 *	source is an address or "@domain" (catch-all) and each target an
 *	address.
 *
 *	A missing file is an empty list. Addresses are kept in lower case.
 *
 *	accounts_line_key gives the key of a line (the address before ':', the
 *	source before the first blank), false for a blank line or a comment:
 *	the same split the parsers make, for accounts_edit.h.
 *
 *	accounts_has_recipient: mail to ADDRESS is delivered somewhere here: an
 *	account or alias (alice+tag@ is alice@), its domain's catch-all, or
 *	postmaster@ and abuse@, which every domain has.
 *
 * DIAGNOSTICS
 *	"FILE:LINE: what is wrong", one per problem, counted.
 */
#ifndef MAILINIT_ACCOUNTS_H
#define MAILINIT_ACCOUNTS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/problems.h"

#define ADDRESS_MAX 320

enum entry_kind { ENTRY_ACCOUNT, ENTRY_ALIAS };

struct account {
	char address[ADDRESS_MAX];
	char local[65];
	char domain[254];
	char *password;           /* {SCHEME}hash */
	unsigned long long quota; /* bytes, 0: none */
	char host[254];           /* its mailbox server (ROLE=proxy), "": MAILBOX_HOST */
	unsigned line;
};

struct alias {
	char source[ADDRESS_MAX]; /* address, or @domain */
	char *targets;            /* "a@x, b@y" */
	unsigned line;
};

struct accounts {
	struct account *account;
	size_t account_count;
	struct alias *alias;
	size_t alias_count;
	const char *accounts_path, *aliases_path;
};

int accounts_load(struct accounts *a, const char *path, bool allow_plaintext,
		  struct problems *problems);
int aliases_load(struct accounts *a, const char *path, struct problems *problems);
void accounts_free(struct accounts *a);
/* "2G", "500M", "1024" (bytes); false when it is not a size. */
bool accounts_parse_size(const char *text, unsigned long long *bytes);
/* A "{SCHEME}hash" the accounts file accepts. */
bool accounts_password_ok(const char *password, bool allow_plaintext);
bool accounts_line_key(const char *line, enum entry_kind kind, char *key, size_t size);
bool accounts_has_recipient(const struct accounts *a, const char *address);

#endif
