/*
 * NAME
 *	mailinit - PID 1 of the mail container
 *
 * SYNOPSIS
 *	mailinit [run] [--config FILE]
 *	mailinit check [--output DIR]
 *	mailinit health [--json]
 *	mailinit dns DOMAIN
 *	mailinit autoconfig DOMAIN [mozilla|microsoft]
 *	mailinit reload
 *	mailinit user|alias|domain|dkim ...    (admin.h)
 *	mailinit import DIR
 *	mailinit help [settings [--markdown]]
 *	mailinit version
 *
 * DESCRIPTION
 *	"run" (the default) provisions the mail configuration from the
 *	settings and /etc/mailinit (unless the service file says
 *	provision = false), then supervises the services until SIGTERM or
 *	SIGINT (run.c). The service file (docs/supervisor.md) is --config
 *	FILE, else $MAILINIT_CONF, else /usr/share/mailinit/services.conf.
 *
 *	While it runs, a change in the configuration directory or in the
 *	certificate's directory, or SIGHUP, re-runs provisioning into a staging
 *	directory and, when that passes, reloads the services. "reload" checks
 *	the configuration as "check" does and then sends PID 1 SIGHUP.
 *
 *	"check" runs every provisioning step into a scratch directory (or
 *	--output DIR, kept), starts nothing, and exits 0 or 78. The other
 *	commands: commands.c and admin.h; the directories they use: cli.h.
 *
 * DIAGNOSTICS
 *	Exit status: docs/exit-codes.md.
 */
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/cli.h"
#include "mail/settings.h"

static int command_version(int argc, char **argv)
{
	(void)argc;
	(void)argv;
	printf("mailinit %s\n", MAILINIT_VERSION);
	return 0;
}

static int command_help(int argc, char **argv)
{
	if (argc > 0 && strcmp(argv[0], "settings") == 0) {
		settings_print_table(argc > 1 && strcmp(argv[1], "--markdown") == 0);
		return 0;
	}
	cli_usage(stdout);
	return 0;
}

/* "run": PID 1 is mailinit-init, beside this program (init_main.c says why). */
int command_run_init(int argc, char **argv)
{
	char program[PATH_MAX];
	char *init_argv[16];

	if (argc > 14) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	init_argv[0] = "mailinit";
	for (int i = 0; i < argc; i++)
		init_argv[i + 1] = argv[i];
	init_argv[argc + 1] = NULL;
	if (cli_sibling_path("mailinit-init", program, sizeof(program)) != 0)
		return EX_OSERR;
	fflush(stdout);
	execv(program, init_argv);
	log_error_sys("cannot run %s", program);
	return EX_OSERR;
}

/* The commands: each gets what follows its name, the admin ones their name too. */
static const struct {
	const char *name;
	int (*run)(int argc, char **argv);
	bool with_name;
} commands[] = {
    {"run", command_run_init, false},    {"provision", command_provision, false},
    {"check", command_check, false},     {"health", command_health, false},
    {"dns", command_dns, false},         {"autoconfig", command_autoconfig, false},
    {"reload", command_reload, false},   {"user", command_admin, true},
    {"alias", command_admin, true},      {"domain", command_admin, true},
    {"dkim", command_admin, true},       {"import", command_admin, true},
    {"ban", command_ban, false},         {"guard", command_guard, false},
    {"gate", command_gate, false},       {"metrics", command_metrics, false},
    {"version", command_version, false}, {"help", command_help, false},
};

/* "--help" or "-h" anywhere: the usage, on stdout, and nothing else is done. */
static bool help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : "run";

	if (strcmp(command, "--version") == 0)
		return command_version(0, NULL);
	if (help_asked(argc, argv)) {
		cli_usage(stdout);
		return 0;
	}
	if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
		return command_run_init(argc - 1, argv + 1); /* "mailinit --config FILE" */
	if (argc < 2)
		return command_run_init(0, argv + argc);
	for (size_t i = 0; i < sizeof(commands) / sizeof(commands[0]); i++) {
		if (strcmp(commands[i].name, command) == 0)
			return commands[i].with_name ? commands[i].run(argc - 1, argv + 1)
						     : commands[i].run(argc - 2, argv + 2);
	}
	log_error("unknown command \"%s\"", command);
	cli_usage(stderr);
	return EX_USAGE;
}
