/*
 * NAME
 *	admin - the operator's commands: dispatch, and what the groups share
 *
 * DESCRIPTION
 *	See admin.h. A command group per file (admin_commands.h); here the
 *	table from "COMMAND VERB" to its function, the lock, the mail domains
 *	and the address checks they all make, and the way to PID 1.
 */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/file.h"
#include "base/lock.h"
#include "base/log.h"
#include "cli/admin.h"
#include "cli/admin_commands.h"
#include "mail/accounts.h"
#include "mail/validate.h"

int admin_lock(struct admin *a)
{
	if (a->lock_fd < 0)
		a->lock_fd = lock_directory(a->config_dir);
	return a->lock_fd < 0 ? -1 : 0;
}

const struct mail_domains *admin_domains(const struct admin *a)
{
	static struct mail_domains domains; /* 64 KiB: not on the stack */
	struct accounts accounts = {0};
	struct problems quiet = {.quiet = true};

	mail_domains_from_settings(&domains, a->settings);
	accounts_load(&accounts, a->accounts_path, true, &quiet);
	for (size_t i = 0; i < accounts.account_count; i++)
		mail_domains_add(&domains, accounts.account[i].domain);
	accounts_free(&accounts);
	return &domains;
}

bool admin_check_address(const struct admin *a, const char *what, const char *address,
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
	if (!mail_domains_has(admin_domains(a), domain + 1)) {
		log_error("%s: %s is not a mail domain of this server (add it to MAIL_DOMAINS; "
			  "\"mailinit domain list\" shows them)",
			  what, domain + 1);
		return false;
	}
	return true;
}

int domain_list(struct admin *a, int argc, char **argv)
{
	struct accounts acc = {0};
	struct problems problems = {0};
	const struct mail_domains *domains = admin_domains(a);

	(void)argv;
	if (argc != 0)
		return -1;
	accounts_load(&acc, a->accounts_path, true, &problems);
	aliases_load(&acc, a->aliases_path, &problems);
	for (size_t d = 0; d < domains->count; d++) {
		size_t users = 0, aliases = 0;

		for (size_t i = 0; i < acc.account_count; i++)
			users += same_domain(acc.account[i].domain, domains->name[d]);
		for (size_t i = 0; i < acc.alias_count; i++)
			aliases +=
			    same_domain(strchr(acc.alias[i].source, '@') + 1, domains->name[d]);
		printf("%s\t%zu account%s, %zu alias%s\n", domains->name[d], users,
		       users == 1 ? "" : "s", aliases, aliases == 1 ? "" : "es");
	}
	accounts_free(&acc);
	return 0;
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

void admin_ask_for_reload(void)
{
	if (admin_signal_server())
		printf("the running server reloads now\n");
	else
		printf("no running mailinit found (PID 1): it takes effect at the next start\n");
}

static int user_add(struct admin *a, int argc, char **argv)
{
	return user_add_or_passwd(a, true, argc, argv);
}

static int user_passwd(struct admin *a, int argc, char **argv)
{
	return user_add_or_passwd(a, false, argc, argv);
}

static const struct {
	const char *command, *verb;
	int (*run)(struct admin *a, int argc, char **argv); /* -1: usage */
} commands[] = {
    {"user", "add", user_add},       {"user", "passwd", user_passwd}, {"user", "del", user_del},
    {"user", "list", user_list},     {"alias", "add", alias_add},     {"alias", "del", alias_del},
    {"alias", "list", alias_list},   {"domain", "list", domain_list}, {"dkim", "show", dkim_show},
    {"dkim", "rotate", dkim_rotate}, {"dkim", "remove", dkim_remove},
};

/* What COMMAND takes, for the usage line. */
static const char *verbs_of(const char *command)
{
	static const struct {
		const char *command, *verbs;
	} verbs[] = {{"user", "add, passwd, del or list"},
		     {"alias", "add, del or list"},
		     {"domain", "list"},
		     {"dkim", "show, rotate or remove"},
		     {"import", "the directory of docker-mailserver's files"}};

	for (size_t i = 0; i < sizeof(verbs) / sizeof(verbs[0]); i++) {
		if (strcmp(verbs[i].command, command) == 0)
			return verbs[i].verbs;
	}
	return "";
}

static int run_command(struct admin *a, const char *command, const char *verb, int argc,
		       char **argv)
{
	if (strcmp(command, "import") == 0)
		return argc == 0 && *verb ? import_docker_mailserver(a, verb) : -1;
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].command, command) == 0 &&
		    strcmp(commands[i].verb, verb) == 0)
			return commands[i].run(a, argc, argv);
	}
	return -1;
}

int admin_main(const char *command, int argc, char **argv, const char *config_dir,
	       const struct settings *settings)
{
	struct admin a = {.config_dir = config_dir, .settings = settings, .lock_fd = -1};
	const char *verb = argc > 0 ? argv[0] : "";
	int status;

	snprintf(a.accounts_path, sizeof(a.accounts_path), "%s/accounts", config_dir);
	snprintf(a.aliases_path, sizeof(a.aliases_path), "%s/aliases", config_dir);
	snprintf(a.dkim_dir, sizeof(a.dkim_dir), "%s/dkim", config_dir);
	status = run_command(&a, command, verb, argc > 0 ? argc - 1 : 0, argv + (argc > 0));
	if (a.lock_fd >= 0)
		close(a.lock_fd); /* the lock goes with it */
	if (status != -1)
		return status;
	if (*verb == '\0')
		log_error("mailinit %s: give %s (mailinit help)", command, verbs_of(command));
	else
		log_error("mailinit %s %s: unknown or incomplete: mailinit %s takes %s "
			  "(mailinit help)",
			  command, verb, command, verbs_of(command));
	return EX_USAGE;
}
