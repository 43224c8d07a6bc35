/*
 * NAME
 *	admin - the operator's commands: accounts, aliases, domains, DKIM keys
 *
 * DESCRIPTION
 *	See admin.h. A file is handled as its lines: a command finds the line
 *	whose key (the address before ':' in accounts, the first word in
 *	aliases) it changes, and writes every line back.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sysexits.h>
#include <termios.h>
#include <time.h>
#include <unistd.h>

#include "mail/accounts.h"
#include "cli/admin.h"
#include "base/buffer.h"
#include "mail/dkim.h"
#include "base/log.h"
#include "mail/password.h"
#include "base/file.h"
#include "mail/validate.h"
#include "base/text.h"
#include "base/xalloc.h"

#define PASSWORD_MAX 1024

struct lines {
	char **line;
	size_t count;
};

struct admin {
	const char *config_dir;
	const struct settings *settings;
	char accounts_path[PATH_MAX], aliases_path[PATH_MAX], dkim_dir[PATH_MAX];
	int lock_fd;
};

/* ---- files as lines ---- */

static void lines_add(struct lines *l, const char *text, size_t len)
{
	l->line = xrealloc(l->line, (l->count + 1) * sizeof(*l->line));
	l->line[l->count] = xrealloc(NULL, len + 1);
	memcpy(l->line[l->count], text, len);
	l->line[l->count++][len] = '\0';
}

static void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->line[i]);
	free(l->line);
	*l = (struct lines){0};
}

static void lines_remove(struct lines *l, size_t index)
{
	free(l->line[index]);
	memmove(l->line + index, l->line + index + 1, (l->count - index - 1) * sizeof(*l->line));
	l->count--;
}

/* A missing file is no lines. */
static int lines_read(const char *path, struct lines *l)
{
	char *text = file_read(path, NULL), *p;

	*l = (struct lines){0};
	if (text == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error_sys("cannot read %s", path);
		return -1;
	}
	for (p = text; *p;) {
		size_t len = strcspn(p, "\n");

		lines_add(l, p, len);
		p += len + (p[len] == '\n');
	}
	free(text);
	return 0;
}

/* Replace the file whole, keeping the mode and owner it had (new: DEFAULT_MODE, root). */
static int lines_write(const char *path, const struct lines *l, mode_t default_mode)
{
	struct buffer out = {0};
	struct stat st;
	mode_t mode = default_mode;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int status;

	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	}
	for (size_t i = 0; i < l->count; i++)
		buffer_printf(&out, "%s\n", l->line[i]);
	status = file_write(path, out.data ? out.data : "", out.len, mode, uid, gid);
	buffer_free(&out);
	return status;
}

/* The key of a line, into key: accounts "address:...", aliases "source targets". */
static bool line_key(const char *line, bool accounts, char *key, size_t size)
{
	size_t len;

	line += strspn(line, " \t");
	if (*line == '\0' || *line == '#')
		return false;
	len = accounts ? strcspn(line, ":") : strcspn(line, " \t");
	if (len >= size)
		len = size - 1;
	memcpy(key, line, len);
	key[len] = '\0';
	return true;
}

static long lines_find(const struct lines *l, bool accounts, const char *wanted)
{
	char key[ADDRESS_MAX];

	for (size_t i = 0; i < l->count; i++) {
		if (line_key(l->line[i], accounts, key, sizeof(key)) &&
		    strcasecmp(key, wanted) == 0)
			return (long)i;
	}
	return -1;
}

/* ---- the lock, the domains, passwords ---- */

static int lock_config(struct admin *a)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "%s/.lock", a->config_dir);
	if (file_mkdirs(a->config_dir, 0755, (uid_t)-1, (gid_t)-1) != 0)
		return -1;
	a->lock_fd = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0600);
	if (a->lock_fd < 0 || flock(a->lock_fd, LOCK_EX) != 0) {
		log_error_sys("cannot lock %s", path);
		return -1;
	}
	return 0;
}

static void lowercase(char *s)
{
	for (; *s; s++)
		*s = (char)tolower((unsigned char)*s);
}

/* MAIL_DOMAIN, MAIL_DOMAINS, and the domains of the accounts. */
static bool is_mail_domain(const struct admin *a, const char *domain)
{
	char words[64][256], key[ADDRESS_MAX];
	const char *main_domain = settings_get(a->settings, S_MAIL_DOMAIN);
	size_t n = settings_split(settings_get(a->settings, S_MAIL_DOMAINS), words, 64);
	struct lines accounts;
	bool found = main_domain && same_domain(main_domain, domain);

	for (size_t i = 0; i < n && !found; i++)
		found = same_domain(words[i], domain);
	if (found || lines_read(a->accounts_path, &accounts) != 0)
		return found;
	for (size_t i = 0; i < accounts.count && !found; i++) {
		const char *at;

		if (line_key(accounts.line[i], true, key, sizeof(key)) &&
		    (at = strrchr(key, '@')) != NULL)
			found = same_domain(at + 1, domain);
	}
	lines_free(&accounts);
	return found;
}

/* An address an account or alias may have; its problem is reported here. */
static bool check_address(const struct admin *a, const char *what, const char *address,
			  bool catch_all)
{
	const char *why, *domain = strrchr(address, '@');
	const char *hostname = settings_get(a->settings, S_MAIL_HOSTNAME);

	if (catch_all && address[0] == '@' ? !valid_domain(address + 1, &why)
					   : !valid_address(address, &why)) {
		log_error("%s: \"%s\" %s%s", what, address, why,
			  catch_all ? " (or @domain for a catch-all)" : "");
		return false;
	}
	if (hostname && same_domain(domain + 1, hostname)) {
		log_error("%s: %s is in %s, the server's host name (MAIL_HOSTNAME); mail "
			  "addresses must be in a mail domain",
			  what, address, domain + 1);
		return false;
	}
	if (!is_mail_domain(a, domain + 1)) {
		log_error("%s: %s is not a mail domain of this server (add it to MAIL_DOMAINS; "
			  "\"mailinit domain list\" shows them)",
			  what, domain + 1);
		return false;
	}
	return true;
}

static int read_password(const char *what, char *out, size_t size)
{
	struct termios saved, quiet;
	bool terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	size_t len;

	if (terminal) {
		fputs("password: ", stderr);
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *got = fgets(out, (int)size, stdin);
	if (terminal) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputs("\n", stderr);
	}
	if (got == NULL) {
		log_error("%s: no password on standard input (pipe it in, or leave out "
			  "--password-stdin to have one generated)",
			  what);
		return -1;
	}
	len = strcspn(out, "\r\n");
	if (out[len] == '\0' && len == size - 1) {
		log_error("%s: the password is longer than %zu characters", what, size - 2);
		return -1;
	}
	out[len] = '\0';
	if (len == 0 || find_control_character(out) >= 0) {
		log_error("%s: the password is empty or has a control character", what);
		return -1;
	}
	return 0;
}

/* SECRET from stdin, or a new one; and its hash. */
static int new_password(const char *what, bool from_stdin, char *secret, size_t secret_size,
			char *hash, size_t hash_size)
{
	int status = from_stdin ? read_password(what, secret, secret_size)
				: password_generate(secret, secret_size);

	return status == 0 ? password_hash(secret, hash, hash_size) : status;
}

/* ---- user ---- */

static int user_add_or_passwd(struct admin *a, bool add, int argc, char **argv)
{
	const char *what = add ? "user add" : "user passwd";
	unsigned long long quota = 0;
	const char *quota_text = NULL;
	bool from_stdin = false;
	char address[ADDRESS_MAX] = "", hash[PASSWORD_HASH_MAX], secret[PASSWORD_MAX];
	struct lines l;
	long at;
	int status = 0;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--password-stdin") == 0)
			from_stdin = true;
		else if (add && strcmp(argv[i], "--quota") == 0 && i + 1 < argc)
			quota_text = argv[++i];
		else if (argv[i][0] != '-' && address[0] == '\0')
			snprintf(address, sizeof(address), "%s", argv[i]);
		else {
			log_error("%s: unexpected \"%s\" (passwords are read with "
				  "--password-stdin, never taken as an argument)",
				  what, argv[i]);
			return EX_USAGE;
		}
	}
	if (address[0] == '\0') {
		log_error("%s: which address? (mailinit %s user@example.com)", what, what);
		return EX_USAGE;
	}
	lowercase(address);
	if (quota_text && (!accounts_parse_size(quota_text, &quota) || quota == 0)) {
		log_error("%s: --quota \"%s\" is not a size (e.g. 500M, 2G)", what, quota_text);
		return EX_USAGE;
	}
	if (add && !check_address(a, what, address, false))
		return EX_DATAERR;
	/* The password first: the lock is never held while a person types. */
	status = new_password(what, from_stdin, secret, sizeof(secret), hash, sizeof(hash));
	explicit_bzero(secret, from_stdin ? sizeof(secret) : 0);
	if (status != 0)
		return EX_DATAERR;
	if (lock_config(a) != 0 || lines_read(a->accounts_path, &l) != 0)
		return EX_OSERR;
	at = lines_find(&l, true, address);
	if (add && at >= 0) {
		log_error("%s: %s already exists (change its password with \"mailinit user "
			  "passwd %s\")",
			  what, address, address);
		status = EX_DATAERR;
	} else if (!add && at < 0) {
		log_error("%s: there is no account %s in %s (\"mailinit user list\" shows them)",
			  what, address, a->accounts_path);
		status = EX_NOUSER;
	} else {
		struct buffer line = {0};

		if (add) {
			buffer_printf(&line, "%s:%s", address, hash);
			if (quota)
				buffer_printf(&line, ":quota=%s", quota_text);
			lines_add(&l, line.data, line.len);
		} else {
			/* Keep what follows the hash (quota=...); a line without one gets one. */
			const char *old = l.line[at], *colon = strchr(old, ':');
			const char *extra = colon ? strchr(colon + 1, ':') : NULL;

			buffer_printf(&line, "%s:%s%s", address, hash, extra ? extra : "");
			free(l.line[at]);
			l.line[at] = xstrdup(line.data);
		}
		buffer_free(&line);
		if (lines_write(a->accounts_path, &l, 0600) != 0)
			status = EX_CANTCREAT;
		else
			printf("%s %s\n", add ? "added" : "changed the password of", address);
		if (status == 0 && !from_stdin)
			printf("password for %s: %s\n(shown once: it is stored only as a hash)\n",
			       address, secret);
	}
	explicit_bzero(secret, sizeof(secret));
	explicit_bzero(hash, sizeof(hash));
	lines_free(&l);
	return status;
}

static int user_del(struct admin *a, int argc, char **argv)
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
	lowercase(address);
	if (lock_config(a) != 0 || lines_read(a->accounts_path, &l) != 0)
		return EX_OSERR;
	if ((at = lines_find(&l, true, address)) < 0) {
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

static int user_list(struct admin *a)
{
	struct accounts accounts = {0};
	struct problems problems = {0};

	accounts_load(&accounts, a->accounts_path, true, &problems);
	for (size_t i = 0; i < accounts.account_count; i++) {
		const struct account *acc = &accounts.account[i];

		if (acc->quota)
			printf("%s\tquota %llu MiB\n", acc->address, acc->quota >> 20);
		else
			printf("%s\n", acc->address);
	}
	accounts_free(&accounts);
	return problems.count ? EX_DATAERR : 0;
}

/* ---- alias ---- */

/* Add TARGET to an alias line "source[ target, ...]" unless it is there already. */
static void append_target(struct buffer *line, const char *target)
{
	char *copy = xstrdup(line->data), *save = NULL;
	bool present = false, has_targets;

	strtok_r(copy, " \t,", &save);
	has_targets = save && *save;
	for (char *t = strtok_r(NULL, " \t,", &save); t && !present;
	     t = strtok_r(NULL, " \t,", &save))
		present = strcasecmp(t, target) == 0;
	free(copy);
	if (!present)
		buffer_printf(line, "%s%s", has_targets ? ", " : " ", target);
}

/*
 * Whether a target in a mail domain of this server leads somewhere: an
 * account, an alias, the domain's catch-all, or postmaster@/abuse@ (made for
 * every domain). Else mail to the alias would be accepted, then bounced.
 */
static bool local_target_exists(const struct admin *a, const struct lines *aliases,
				const char *target)
{
	const char *at = strrchr(target, '@');
	char base[ADDRESS_MAX], catch_all[ADDRESS_MAX];
	size_t local = (size_t)(at - target);
	struct lines accounts;
	bool found;

	if (!is_mail_domain(a, at + 1))
		return true; /* another server's */
	/* alice+tag@ is alice@ (recipient_delimiter = +) */
	if (memchr(target, '+', local))
		local = (size_t)((const char *)memchr(target, '+', local) - target);
	snprintf(base, sizeof(base), "%.*s%s", (int)local, target, at);
	snprintf(catch_all, sizeof(catch_all), "%s", at);
	if (strncmp(base, "postmaster@", 11) == 0 || strncmp(base, "abuse@", 6) == 0 ||
	    lines_find(aliases, false, base) >= 0 || lines_find(aliases, false, catch_all) >= 0)
		return true;
	if (lines_read(a->accounts_path, &accounts) != 0)
		return true; /* unreadable: the check after the write says so */
	found = lines_find(&accounts, true, base) >= 0;
	lines_free(&accounts);
	return found;
}

static int alias_add(struct admin *a, int argc, char **argv)
{
	char source[ADDRESS_MAX], target[ADDRESS_MAX];
	struct buffer line = {0};
	struct lines l;
	long at;
	int status = 0;

	if (argc < 2) {
		log_error("alias add: give a source and its targets (mailinit alias add "
			  "sales@example.com anna@example.com)");
		return EX_USAGE;
	}
	snprintf(source, sizeof(source), "%s", argv[0]);
	lowercase(source);
	if (!check_address(a, "alias add", source, true))
		return EX_DATAERR;
	for (int i = 1; i < argc; i++) {
		const char *why;

		if (!valid_address(argv[i], &why)) {
			log_error("alias add: target \"%s\" %s", argv[i], why);
			return EX_DATAERR;
		}
	}
	if (lock_config(a) != 0 || lines_read(a->aliases_path, &l) != 0)
		return EX_OSERR;
	for (int i = 1; i < argc; i++) {
		snprintf(target, sizeof(target), "%s", argv[i]);
		lowercase(target);
		if (!local_target_exists(a, &l, target)) {
			log_error("alias add: %s is in a mail domain of this server but is no "
				  "account or alias: mail to %s would bounce (add the account "
				  "first: mailinit user add %s)",
				  target, source, target);
			lines_free(&l);
			return EX_NOUSER;
		}
	}
	/* l.line is set whenever lines_find finds: said again for the analyzer. */
	if ((at = lines_find(&l, false, source)) >= 0 && l.line == NULL)
		at = -1;
	buffer_puts(&line, at >= 0 ? l.line[at] : source);
	for (int i = 1; i < argc; i++) {
		snprintf(target, sizeof(target), "%s", argv[i]);
		lowercase(target);
		append_target(&line, target);
	}
	if (at >= 0) {
		free(l.line[at]);
		l.line[at] = xstrdup(line.data);
	} else {
		lines_add(&l, line.data, line.len);
	}
	if (lines_write(a->aliases_path, &l, 0644) != 0)
		status = EX_CANTCREAT;
	else
		printf("%s\n", line.data);
	buffer_free(&line);
	lines_free(&l);
	return status;
}

static int alias_del(struct admin *a, int argc, char **argv)
{
	char source[ADDRESS_MAX];
	struct lines l;
	long at;
	int status = 0;

	if (argc < 1 || argc > 2) {
		log_error("alias del: give the source, and a target to remove only that one");
		return EX_USAGE;
	}
	snprintf(source, sizeof(source), "%s", argv[0]);
	lowercase(source);
	if (lock_config(a) != 0 || lines_read(a->aliases_path, &l) != 0)
		return EX_OSERR;
	if ((at = lines_find(&l, false, source)) < 0) {
		log_error("alias del: there is no alias %s in %s", source, a->aliases_path);
		lines_free(&l);
		return EX_NOUSER;
	}
	if (argc == 2) {
		struct buffer line = {0};
		char *save = NULL, *copy = xstrdup(l.line[at]);
		bool found = false;
		size_t kept = 0;

		buffer_puts(&line, strtok_r(copy, " \t,", &save));
		for (char *t = strtok_r(NULL, " \t,", &save); t;
		     t = strtok_r(NULL, " \t,", &save)) {
			if (strcasecmp(t, argv[1]) == 0) {
				found = true;
				continue;
			}
			buffer_printf(&line, "%s%s", kept++ ? ", " : " ", t);
		}
		free(copy);
		if (!found) {
			log_error("alias del: %s is not a target of %s", argv[1], source);
			status = EX_NOUSER;
		} else if (kept == 0) {
			lines_remove(&l, (size_t)at); /* its last target */
		} else {
			free(l.line[at]);
			l.line[at] = xstrdup(line.data);
		}
		buffer_free(&line);
	} else {
		lines_remove(&l, (size_t)at);
	}
	if (status == 0 && lines_write(a->aliases_path, &l, 0644) != 0)
		status = EX_CANTCREAT;
	else if (status == 0)
		printf("removed %s%s%s\n", argc == 2 ? argv[1] : source, argc == 2 ? " from " : "",
		       argc == 2 ? source : "");
	lines_free(&l);
	return status;
}

static int alias_list(struct admin *a)
{
	struct accounts aliases = {0};
	struct problems problems = {0};

	aliases_load(&aliases, a->aliases_path, &problems);
	for (size_t i = 0; i < aliases.alias_count; i++)
		printf("%s\t%s\n", aliases.alias[i].source, aliases.alias[i].targets);
	accounts_free(&aliases);
	return problems.count ? EX_DATAERR : 0;
}

/* ---- domain ---- */

static void add_unique(char (*list)[256], size_t *count, size_t max, const char *domain)
{
	for (size_t i = 0; i < *count; i++) {
		if (same_domain(list[i], domain))
			return;
	}
	if (*count < max)
		snprintf(list[(*count)++], 256, "%s", domain);
}

/* Every mail domain: MAIL_DOMAIN, MAIL_DOMAINS, then those only accounts name. */
static size_t all_domains(const struct admin *a, const struct accounts *acc, char (*list)[256],
			  size_t max)
{
	char words[64][256];
	size_t count = 0, n = settings_split(settings_get(a->settings, S_MAIL_DOMAINS), words, 64);

	if (settings_get(a->settings, S_MAIL_DOMAIN))
		add_unique(list, &count, max, settings_get(a->settings, S_MAIL_DOMAIN));
	for (size_t i = 0; i < n; i++)
		add_unique(list, &count, max, words[i]);
	for (size_t i = 0; i < acc->account_count; i++)
		add_unique(list, &count, max, acc->account[i].domain);
	return count;
}

static int domain_list(struct admin *a)
{
	struct accounts acc = {0};
	struct problems problems = {0};
	char domains[256][256];
	size_t count;

	accounts_load(&acc, a->accounts_path, true, &problems);
	aliases_load(&acc, a->aliases_path, &problems);
	count = all_domains(a, &acc, domains, 256);
	for (size_t d = 0; d < count; d++) {
		size_t users = 0, aliases = 0;

		for (size_t i = 0; i < acc.account_count; i++)
			users += same_domain(acc.account[i].domain, domains[d]);
		for (size_t i = 0; i < acc.alias_count; i++)
			aliases += same_domain(strchr(acc.alias[i].source, '@') + 1, domains[d]);
		printf("%s\t%zu account%s, %zu alias%s\n", domains[d], users, users == 1 ? "" : "s",
		       aliases, aliases == 1 ? "" : "es");
	}
	accounts_free(&acc);
	return 0;
}

/* ---- dkim ---- */

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

static int dkim_show(struct admin *a, int argc, char **argv)
{
	struct accounts acc = {0};
	struct problems problems = {0};
	char domains[256][256];
	size_t count;
	int status = 0;

	if (argc > 1) {
		log_error("dkim show: give at most one domain");
		return EX_USAGE;
	}
	if (argc == 1) {
		lowercase(argv[0]);
		if (!is_mail_domain(a, argv[0])) {
			log_error("dkim show: %s is not a mail domain of this server (\"mailinit "
				  "domain list\" shows them)",
				  argv[0]);
			return EX_DATAERR;
		}
		return dkim_show_domain(a, argv[0]);
	}
	accounts_load(&acc, a->accounts_path, true, &problems);
	count = all_domains(a, &acc, domains, 256);
	for (size_t i = 0; i < count; i++) {
		int s = dkim_show_domain(a, domains[i]);

		if (status == 0)
			status = s;
	}
	accounts_free(&acc);
	return status;
}

bool admin_server_runs(void)
{
	char *comm = file_read("/proc/1/comm", NULL);
	bool ours = comm && strcmp(comm, "mailinit\n") == 0 && getpid() != 1;

	free(comm);
	return ours;
}

bool admin_signal_server(void)
{
	return admin_server_runs() && kill(1, SIGHUP) == 0;
}

static void ask_for_reload(void)
{
	if (admin_signal_server())
		printf("the running server reloads now\n");
	else
		printf("no running mailinit found (PID 1): it takes effect at the next start\n");
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

static int dkim_rotate(struct admin *a, int argc, char **argv)
{
	char selector[64], key[PATH_MAX + 512], old[64];
	struct passwd *pw = geteuid() == 0 ? getpwnam("opendkim") : NULL;
	const char *why;

	if (argc != 1) {
		log_error("dkim rotate: give one domain (mailinit dkim rotate example.com)");
		return EX_USAGE;
	}
	lowercase(argv[0]);
	if (!valid_domain(argv[0], &why)) {
		log_error("dkim rotate: \"%s\" %s", argv[0], why);
		return EX_DATAERR;
	}
	if (!is_mail_domain(a, argv[0])) {
		log_error("dkim rotate: %s is not a mail domain of this server (\"mailinit domain "
			  "list\" shows them)",
			  argv[0]);
		return EX_DATAERR;
	}
	if (lock_config(a) != 0)
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
	ask_for_reload();
	return 0;
}

static int dkim_remove(struct admin *a, int argc, char **argv)
{
	char active[64], path[PATH_MAX + 512];

	if (argc != 2 || !dkim_valid_selector(argv[1])) {
		log_error("dkim remove: give a domain and a selector (mailinit dkim remove "
			  "example.com s20260101)");
		return EX_USAGE;
	}
	lowercase(argv[0]);
	if (lock_config(a) != 0)
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

/* ---- import from docker-mailserver ---- */

/* Its dovecot-quotas.cf: "user@domain:SIZE"; the size of ADDRESS, or NULL. */
static const char *dms_quota(const struct lines *quotas, const char *dir, const char *address)
{
	long at = lines_find(quotas, true, address);
	const char *colon = at < 0 ? NULL : strchr(quotas->line[at], ':');

	if (at >= 0 && colon == NULL)
		log_warn("%s/dovecot-quotas.cf:%ld: expected user@domain:SIZE; %s is imported "
			 "without a quota",
			 dir, at + 1, address);
	return colon ? colon + 1 : NULL;
}

/*
 * DIR/postfix-accounts.cf ("user@domain|{SCHEME}hash"), DIR/postfix-virtual.cf
 * ("source target[,target]") and DIR/dovecot-quotas.cf, added to ours. Every
 * line is checked first; one problem and nothing is written.
 */
static int import_docker_mailserver(struct admin *a, const char *dir)
{
	char path[PATH_MAX], address[ADDRESS_MAX];
	struct lines dms_accounts, dms_virtual, dms_quotas, accounts, aliases;
	struct problems problems = {0};
	unsigned added = 0, skipped = 0, merged = 0;
	int status = 0;

	snprintf(path, sizeof(path), "%s/postfix-accounts.cf", dir);
	if (access(path, R_OK) != 0) {
		log_error_sys("import: cannot read %s (give the directory that holds "
			      "docker-mailserver's postfix-accounts.cf)",
			      path);
		return EX_NOINPUT;
	}
	lines_read(path, &dms_accounts);
	snprintf(path, sizeof(path), "%s/postfix-virtual.cf", dir);
	lines_read(path, &dms_virtual);
	snprintf(path, sizeof(path), "%s/dovecot-quotas.cf", dir);
	lines_read(path, &dms_quotas);
	if (lock_config(a) != 0 || lines_read(a->accounts_path, &accounts) != 0 ||
	    lines_read(a->aliases_path, &aliases) != 0)
		return EX_OSERR;

	for (size_t i = 0; i < dms_accounts.count; i++) {
		char *line = dms_accounts.line[i], *bar, *hash, *extra;
		const char *why, *quota;
		unsigned long long bytes;

		line += strspn(line, " \t");
		if (*line == '\0' || *line == '#')
			continue;
		if ((bar = strchr(line, '|')) == NULL) {
			problem(&problems,
				"%s/postfix-accounts.cf:%zu: expected user@domain|{SCHEME}hash",
				dir, i + 1);
			continue;
		}
		snprintf(address, sizeof(address), "%.*s", (int)(bar - line), line);
		lowercase(address);
		hash = bar + 1;
		if ((extra = strchr(hash, '|')) != NULL)
			*extra =
			    '\0'; /* docker-mailserver's per-user attributes: not carried over */
		hash[strcspn(hash, "\r")] = '\0';
		if (!valid_address(address, &why)) {
			problem(&problems, "%s/postfix-accounts.cf:%zu: \"%s\" %s", dir, i + 1,
				address, why);
			continue;
		}
		if (!accounts_password_ok(hash, false)) {
			problem(
			    &problems,
			    "%s/postfix-accounts.cf:%zu: %s: the password is not a {SCHEME}hash "
			    "mailinit accepts (a {PLAIN} one, say), so nothing is imported: hash "
			    "it "
			    "in that file (doveadm pw -s SHA512-CRYPT), or remove the line and add "
			    "the account after the import (mailinit user add)",
			    dir, i + 1, address);
			continue;
		}
		quota = dms_quota(&dms_quotas, dir, address);
		if (quota && (!accounts_parse_size(quota, &bytes) || bytes == 0))
			quota = NULL; /* "0" and unparsable: no quota, as docker-mailserver does */
		if (lines_find(&accounts, true, address) >= 0) {
			skipped++;
			continue;
		}
		struct buffer entry = {0};
		buffer_printf(&entry, "%s:%s", address, hash);
		if (quota)
			buffer_printf(&entry, ":quota=%s", quota);
		lines_add(&accounts, entry.data, entry.len);
		buffer_free(&entry);
		added++;
	}
	for (size_t i = 0; i < dms_virtual.count; i++) {
		char *line = dms_virtual.line[i] + strspn(dms_virtual.line[i], " \t"), *save = NULL;
		const char *why;

		if (*line == '\0' || *line == '#')
			continue;
		char *source = strtok_r(line, " \t", &save);
		lowercase(source);
		if (source[0] == '@' ? !valid_domain(source + 1, &why)
				     : !valid_address(source, &why)) {
			problem(&problems, "%s/postfix-virtual.cf:%zu: \"%s\" %s", dir, i + 1,
				source, why);
			continue;
		}
		long at = lines_find(&aliases, false, source);
		struct buffer entry = {0};
		buffer_puts(&entry, at >= 0 ? aliases.line[at] : source);
		size_t targets = 0;
		for (char *t = strtok_r(NULL, " \t,", &save); t;
		     t = strtok_r(NULL, " \t,", &save)) {
			lowercase(t);
			if (!valid_address(t, &why)) {
				problem(&problems, "%s/postfix-virtual.cf:%zu: target \"%s\" %s",
					dir, i + 1, t, why);
				continue;
			}
			append_target(&entry, t);
			targets++;
		}
		if (targets == 0)
			problem(&problems, "%s/postfix-virtual.cf:%zu: %s has no target", dir,
				i + 1, source);
		else if (at >= 0) {
			free(aliases.line[at]);
			aliases.line[at] = xstrdup(entry.data);
		} else {
			lines_add(&aliases, entry.data, entry.len);
		}
		buffer_free(&entry);
		merged++;
	}
	if (problems.count) {
		log_error("import: %u problem%s: nothing was imported", problems.count,
			  problems.count == 1 ? "" : "s");
		status = EX_DATAERR;
	} else if (lines_write(a->accounts_path, &accounts, 0600) != 0 ||
		   lines_write(a->aliases_path, &aliases, 0644) != 0) {
		status = EX_CANTCREAT;
	} else {
		printf("imported %u account%s (%u already here, kept as they were) and %u alias "
		       "line%s from %s\n",
		       added, added == 1 ? "" : "s", skipped, merged, merged == 1 ? "" : "s", dir);
	}
	lines_free(&dms_accounts);
	lines_free(&dms_virtual);
	lines_free(&dms_quotas);
	lines_free(&accounts);
	lines_free(&aliases);
	return status;
}

/* ---- dispatch ---- */

int admin_main(const char *command, int argc, char **argv, const char *config_dir,
	       const struct settings *settings)
{
	struct admin a = {.config_dir = config_dir, .settings = settings, .lock_fd = -1};
	const char *verb = argc > 0 ? argv[0] : "";
	int status = -1;

	snprintf(a.accounts_path, sizeof(a.accounts_path), "%s/accounts", config_dir);
	snprintf(a.aliases_path, sizeof(a.aliases_path), "%s/aliases", config_dir);
	snprintf(a.dkim_dir, sizeof(a.dkim_dir), "%s/dkim", config_dir);
	argc--;
	argv++;
	if (strcmp(command, "user") == 0) {
		if (strcmp(verb, "add") == 0 || strcmp(verb, "passwd") == 0)
			status = user_add_or_passwd(&a, verb[0] == 'a', argc, argv);
		else if (strcmp(verb, "del") == 0)
			status = user_del(&a, argc, argv);
		else if (strcmp(verb, "list") == 0 && argc == 0)
			status = user_list(&a);
	} else if (strcmp(command, "alias") == 0) {
		if (strcmp(verb, "add") == 0)
			status = alias_add(&a, argc, argv);
		else if (strcmp(verb, "del") == 0)
			status = alias_del(&a, argc, argv);
		else if (strcmp(verb, "list") == 0 && argc == 0)
			status = alias_list(&a);
	} else if (strcmp(command, "domain") == 0) {
		if (strcmp(verb, "list") == 0 && argc == 0)
			status = domain_list(&a);
	} else if (strcmp(command, "import") == 0) {
		if (argc == 0)
			status = import_docker_mailserver(&a, verb);
	} else if (strcmp(command, "dkim") == 0) {
		if (strcmp(verb, "show") == 0)
			status = dkim_show(&a, argc, argv);
		else if (strcmp(verb, "rotate") == 0)
			status = dkim_rotate(&a, argc, argv);
		else if (strcmp(verb, "remove") == 0)
			status = dkim_remove(&a, argc, argv);
	}
	if (a.lock_fd >= 0)
		close(a.lock_fd); /* the lock goes with it */
	if (status == -1) {
		static const struct {
			const char *command, *verbs;
		} verbs[] = {{"user", "add, passwd, del or list"},
			     {"alias", "add, del or list"},
			     {"domain", "list"},
			     {"dkim", "show, rotate or remove"},
			     {"import", "the directory of docker-mailserver's files"}};
		const char *expected = "";

		for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
			if (strcmp(verbs[i].command, command) == 0)
				expected = verbs[i].verbs;
		}
		if (*verb == '\0')
			log_error("mailinit %s: give %s (mailinit help)", command, expected);
		else
			log_error("mailinit %s %s: unknown or incomplete: mailinit %s takes %s "
				  "(mailinit help)",
				  command, verb, command, expected);
		return EX_USAGE;
	}
	return status;
}
