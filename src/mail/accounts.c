/*
 * NAME
 *	accounts - the mail accounts and aliases files
 *
 * DESCRIPTION
 *	See accounts.h. Both files are read whole, then split into lines;
 *	every line is checked, so all problems are reported in one run.
 */
#include <ctype.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "mail/accounts.h"
#include "mail/validate.h"
#include "base/log.h"
#include "base/buffer.h"
#include "base/file.h"
#include "base/text.h"
#include "base/xalloc.h"

static const char *const schemes[] = {"SHA512-CRYPT", "SHA256-CRYPT", "BLF-CRYPT", "ARGON2I",
				      "ARGON2ID"};

bool accounts_parse_size(const char *text, unsigned long long *bytes)
{
	char *end;
	unsigned long long n;

	if (!isdigit((unsigned char)text[0]))
		return false;
	errno = 0;
	n = strtoull(text, &end, 10);
	if (errno)
		return false;
	const char *units = "KMGT",
		   *unit = *end ? strchr(units, toupper((unsigned char)*end)) : NULL;
	if (unit) {
		int shift = 10 * (int)(unit - units + 1);

		if (n > (ULLONG_MAX >> shift))
			return false; /* 16777216T would wrap to 0: no quota at all */
		n <<= shift;
		end++;
	}
	if (*end != '\0' && strcasecmp(end, "B") != 0)
		return false;
	*bytes = n;
	return true;
}

/* The whole file; NULL and *missing when it does not exist. */
static char *read_lines(const char *path, struct problems *problems, bool *missing)
{
	char *text = file_read(path, NULL);

	*missing = false;
	if (text == NULL) {
		if (errno == ENOENT)
			*missing = true;
		else
			problem(problems, "%s: cannot read: %s", path, strerror(errno));
	}
	return text;
}

static char *next_line(char **cursor, unsigned *number)
{
	char *line;

	while (**cursor) {
		line = *cursor;
		char *newline = strchr(line, '\n');
		if (newline) {
			*newline = '\0';
			*cursor = newline + 1;
		} else {
			*cursor += strlen(line);
		}
		(*number)++;
		size_t len = strlen(line);
		while (len > 0 && isspace((unsigned char)line[len - 1]))
			line[--len] = '\0';
		while (isspace((unsigned char)*line))
			line++;
		if (*line && *line != '#')
			return line;
	}
	return NULL;
}

static bool scheme_is_accepted(const char *password, bool allow_plaintext, char *scheme,
			       size_t size)
{
	const char *close = strchr(password, '}');
	size_t len;

	if (password[0] != '{' || close == NULL || (len = (size_t)(close - password - 1)) >= size)
		return false;
	memcpy(scheme, password + 1, len);
	scheme[len] = '\0';
	for (size_t i = 0; i < sizeof(schemes) / sizeof(schemes[0]); i++) {
		if (strcasecmp(scheme, schemes[i]) == 0)
			return close[1] != '\0';
	}
	/*
	 * {CRYPT} is crypt(3), whatever the hash says: yescrypt ($y$, what mailinit
	 * makes), SHA-512 ($6$), SHA-256 ($5$), bcrypt ($2b$ $2y$). Not the old
	 * DES and MD5 ones that crypt(3) would take too.
	 */
	if (strcasecmp(scheme, "CRYPT") == 0) {
		static const char *const modern[] = {"$y$", "$6$", "$5$", "$2b$", "$2y$"};

		for (size_t i = 0; i < sizeof(modern) / sizeof(modern[0]); i++) {
			if (strncmp(close + 1, modern[i], strlen(modern[i])) == 0)
				return true;
		}
		return false;
	}
	return allow_plaintext && strcasecmp(scheme, "PLAIN") == 0 && close[1] != '\0';
}

bool accounts_password_ok(const char *password, bool allow_plaintext)
{
	char scheme[32];

	return scheme_is_accepted(password, allow_plaintext, scheme, sizeof(scheme)) &&
	       find_control_character(password) < 0 && !strpbrk(password, " \t:");
}

/* Where the key of a line ends: ':' after an account's address, a blank after an alias. */
static size_t key_length(const char *line, enum entry_kind kind)
{
	return strcspn(line, kind == ENTRY_ACCOUNT ? ":" : " \t");
}

bool accounts_line_key(const char *line, enum entry_kind kind, char *key, size_t size)
{
	size_t len;

	line += strspn(line, " \t");
	if (*line == '\0' || *line == '#')
		return false;
	len = key_length(line, kind);
	snprintf(key, size, "%.*s", (int)len, line);
	return true;
}

bool accounts_has_recipient(const struct accounts *a, const char *address)
{
	const char *at = strrchr(address, '@');
	size_t local = at ? (size_t)(at - address) : 0;
	const char *plus = memchr(address, '+', local);
	char base[ADDRESS_MAX];

	if (at == NULL)
		return false;
	snprintf(base, sizeof(base), "%.*s%s", (int)(plus ? (size_t)(plus - address) : local),
		 address, at);
	if (strncasecmp(base, "postmaster@", 11) == 0 || strncasecmp(base, "abuse@", 6) == 0)
		return true; /* made for every domain */
	for (size_t i = 0; i < a->account_count; i++) {
		if (strcasecmp(a->account[i].address, base) == 0)
			return true;
	}
	for (size_t i = 0; i < a->alias_count; i++) {
		const char *source = a->alias[i].source;

		if (strcasecmp(source, base) == 0 ||
		    (source[0] == '@' && same_domain(source + 1, at + 1)))
			return true;
	}
	return false;
}

/* After the hash: "quota=SIZE" and "host=NAME", blank- or colon-separated. */
static bool parse_extra_fields(char *extra, struct account *account, const char *path,
			       const char *address, struct problems *problems)
{
	while (extra && *extra) {
		char *field = extra;
		const char *why = NULL;

		extra += strcspn(extra, " \t:");
		if (*extra)
			*extra++ = '\0';
		if (*field == '\0')
			continue;
		if (strncmp(field, "quota=", 6) == 0 &&
		    accounts_parse_size(field + 6, &account->quota))
			continue;
		if (strncmp(field, "host=", 5) == 0 && strlen(field + 5) < sizeof(account->host) &&
		    valid_host(field + 5, &why)) {
			memcpy(account->host, field + 5, strlen(field + 5) + 1);
			continue;
		}
		problem(problems,
			"%s:%u: %s: %s extra field \"%s\" (known: quota=SIZE, e.g. quota=2G; "
			"host=NAME, a mailbox server's name or IPv4 address, e.g. host=mailbox-1)",
			path, account->line, address,
			strncmp(field, "quota=", 6) == 0 || strncmp(field, "host=", 5) == 0
			    ? "bad"
			    : "unknown",
			field);
		return false;
	}
	return true;
}

static void parse_account(struct accounts *a, char *line, unsigned number, bool allow_plaintext,
			  struct problems *problems)
{
	const char *path = a->accounts_path, *why = "is too long";
	size_t key = key_length(line, ENTRY_ACCOUNT);
	char *password = line[key] ? line + key : NULL;
	char *extra, scheme[32] = "";
	struct account account = {.line = number};

	if (password == NULL) {
		problem(problems, "%s:%u: expected user@domain:{SCHEME}hash", path, number);
		return;
	}
	*password++ = '\0';
	if ((extra = strchr(password, ':')) != NULL)
		*extra++ = '\0';
	text_lowercase(line);
	if (find_control_character(line) >= 0 || !valid_address(line, &why) ||
	    strlen(line) >= sizeof(account.address)) {
		problem(problems, "%s:%u: \"%s\" %s", path, number, line,
			find_control_character(line) >= 0 ? "has a control character" : why);
		return;
	}
	if (!scheme_is_accepted(password, allow_plaintext, scheme, sizeof(scheme)) ||
	    find_control_character(password) >= 0 || strpbrk(password, " \t")) {
		if (strcasecmp(scheme, "PLAIN") == 0 && password[0] == '{')
			problem(
			    problems,
			    "%s:%u: %s: a {PLAIN} password is refused (hash it with "
			    "\"mailinit user passwd\" or \"doveadm pw -s SHA512-CRYPT\", or set "
			    "ALLOW_PLAINTEXT_PASSWORDS=yes)",
			    path, number, line);
		else
			problem(
			    problems,
			    "%s:%u: %s: the password must be {SCHEME}hash with SCHEME one of "
			    "CRYPT (yescrypt, SHA-512, SHA-256 or bcrypt hashes; not DES or MD5), "
			    "SHA512-CRYPT, SHA256-CRYPT, BLF-CRYPT, ARGON2I, ARGON2ID (mailinit "
			    "user passwd makes one)",
			    path, number, line);
		return;
	}
	if (!parse_extra_fields(extra, &account, path, line, problems))
		return;
	for (size_t i = 0; i < a->account_count; i++) {
		if (strcmp(a->account[i].address, line) == 0) {
			problem(problems, "%s:%u: %s is already defined on line %u", path, number,
				line, a->account[i].line);
			return;
		}
	}
	snprintf(account.address, sizeof(account.address), "%s", line);
	char *at = strrchr(line, '@');
	*at = '\0';
	snprintf(account.local, sizeof(account.local), "%s", line);
	snprintf(account.domain, sizeof(account.domain), "%s", at + 1);
	account.password = xstrdup(password);
	a->account = xrealloc(a->account, (a->account_count + 1) * sizeof(*a->account));
	a->account[a->account_count++] = account;
}

typedef void (*line_parser)(struct accounts *a, char *line, unsigned number, bool flag,
			    struct problems *problems);

/* Feed every line that is not blank or a comment to parse; a missing file is empty. */
static int load_file(struct accounts *a, const char *path, line_parser parse, bool flag,
		     struct problems *problems)
{
	unsigned before = problems->count, number = 0;
	bool missing;
	char *text = read_lines(path, problems, &missing), *cursor = text, *line;

	if (text == NULL)
		return missing ? 0 : -1;
	while ((line = next_line(&cursor, &number)) != NULL)
		parse(a, line, number, flag, problems);
	free(text);
	return problems->count == before ? 0 : -1;
}

int accounts_load(struct accounts *a, const char *path, bool allow_plaintext,
		  struct problems *problems)
{
	a->accounts_path = path;
	return load_file(a, path, parse_account, allow_plaintext, problems);
}

static void parse_alias(struct accounts *a, char *line, unsigned number, bool unused,
			struct problems *problems)
{
	const char *path = a->aliases_path, *why;
	char *targets = line + key_length(line, ENTRY_ALIAS), target[ADDRESS_MAX];
	const char *cursor;
	struct buffer list = {0};
	struct alias alias = {.line = number};

	(void)unused;
	if (*targets == '\0') {
		problem(problems, "%s:%u: expected \"source target[, target ...]\"", path, number);
		return;
	}
	*targets++ = '\0';
	text_lowercase(line);
	if (find_control_character(line) >= 0 || find_control_character(targets) >= 0) {
		problem(problems, "%s:%u: has a control character", path, number);
		return;
	}
	if (line[0] == '@' ? !valid_domain(line + 1, &why) : !valid_address(line, &why)) {
		problem(problems, "%s:%u: \"%s\" %s (the source is an address or @domain)", path,
			number, line, why);
		return;
	}
	snprintf(alias.source, sizeof(alias.source), "%s", line);
	for (cursor = targets; text_next_word(&cursor, target, sizeof(target));) {
		text_lowercase(target);
		if (!valid_address(target, &why)) {
			problem(problems, "%s:%u: target \"%s\" %s", path, number, target, why);
			buffer_free(&list);
			return;
		}
		buffer_printf(&list, "%s%s", list.len ? ", " : "", target);
	}
	alias.targets = list.data;
	a->alias = xrealloc(a->alias, (a->alias_count + 1) * sizeof(*a->alias));
	a->alias[a->alias_count++] = alias;
}

int aliases_load(struct accounts *a, const char *path, struct problems *problems)
{
	a->aliases_path = path;
	return load_file(a, path, parse_alias, false, problems);
}

void accounts_free(struct accounts *a)
{
	for (size_t i = 0; i < a->account_count; i++)
		free(a->account[i].password);
	for (size_t i = 0; i < a->alias_count; i++)
		free(a->alias[i].targets);
	free(a->account);
	free(a->alias);
	memset(a, 0, sizeof(*a));
}
