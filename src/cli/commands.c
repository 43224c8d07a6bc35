/*
 * NAME
 *	commands - mailinit check, reload, health, dns, autoconfig, and the admin ones
 *
 * DESCRIPTION
 *	See main.c for what each does. The admin commands (admin.h) are run
 *	here, then followed by a check of the configuration as a whole.
 */
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/buffer.h"
#include "base/log.h"
#include "cli/admin.h"
#include "cli/cli.h"
#include "mail/autoconfig.h"
#include "mail/dns.h"
#include "mail/health.h"
#include "mail/listeners.h"

int cli_check_configuration(const char *output, struct settings *settings)
{
	struct provision_options options = cli_options();
	char scratch[] = "/tmp/mailinit-check.XXXXXX";
	int status;

	if ((options.root = output ? output : mkdtemp(scratch)) == NULL) {
		log_error_sys("cannot make a scratch directory in /tmp");
		settings_init(settings);
		return EX_OSERR;
	}
	options.check = true;
	status = provision(&options, environ, settings);
	if (output == NULL)
		cli_remove_tree(options.root);
	return status;
}

int command_check(int argc, char **argv)
{
	const char *output = NULL;
	struct settings settings;
	struct buffer summary = {0};
	int status;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
			output = argv[++i];
		} else {
			log_error("check: unknown argument \"%s\"", argv[i]);
			cli_usage(stderr);
			return EX_USAGE;
		}
	}
	cli_log_format(false);
	status = cli_check_configuration(output, &settings);
	if (status == 0) {
		printf("configuration OK: %s for %s", settings_get(&settings, S_MAIL_HOSTNAME),
		       settings_get(&settings, S_MAIL_DOMAIN));
		if (*settings_get(&settings, S_MAIL_DOMAINS))
			printf(" %s", settings_get(&settings, S_MAIL_DOMAINS));
		listeners_summary(&settings, &summary);
		printf("\nwould start: %s\n", summary.data);
		buffer_free(&summary);
		if (output)
			printf("rendered into %s\n", output);
	}
	settings_free(&settings);
	return status;
}

int command_health(int argc, char **argv)
{
	struct provision_options options = cli_options();
	struct settings settings;
	char path[PATH_MAX], sni_table[PATH_MAX];
	bool json = argc > 0 && strcmp(argv[0], "--json") == 0;
	int status;

	if (argc > (json ? 1 : 0)) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	cli_load_settings(&options, &settings, false);
	cli_reload_status_path(&options, path, sizeof(path));
	snprintf(sni_table, sizeof(sni_table), "%s/etc/postfix/sni", options.root);
	status = health_run(&settings, json, path, sni_table);
	settings_free(&settings);
	return status;
}

int command_reload(int argc, char **argv)
{
	int status;

	(void)argv;
	if (argc != 0) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	/* The same checks the server will make, with their messages here. */
	char *check_argv[] = {NULL};
	if ((status = command_check(0, check_argv)) != 0) {
		log_error("reload: not asked for: the configuration has problems (above); the "
			  "running server keeps its configuration");
		return status;
	}
	if (!admin_signal_server()) {
		log_error("reload: PID 1 is not mailinit (run this inside the mail container: "
			  "podman exec NAME mailinit reload)");
		return EX_UNAVAILABLE;
	}
	printf("reload asked for: the server re-renders its configuration and reloads (see its "
	       "log)\n");
	return 0;
}

static bool admin_changes_files(const char *command, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";

	return strcmp(command, "import") == 0 ||
	       (strcmp(command, "domain") != 0 && strcmp(verb, "list") != 0 &&
		strcmp(verb, "show") != 0);
}

/*
 * The change is valid on its own; the server takes the files as a whole. A
 * problem elsewhere (a hand edit, a setting) would refuse the reload and the
 * next start, so it is said here rather than success.
 */
static int check_after_change(const char *command, struct settings *settings)
{
	enum log_level level = log_get_level();
	int status;

	/* Its problems and warnings, not the scratch keys and certificate it makes. */
	if (level < LOG_LEVEL_WARN)
		log_set_level(LOG_LEVEL_WARN);
	status = cli_check_configuration(NULL, settings);
	log_set_level(level);
	if (status != 0)
		log_error("%s: written, but the configuration as a whole is refused (the problems "
			  "are above): the running server keeps its last good configuration, and "
			  "the next start fails until they are fixed",
			  command);
	return status;
}

int command_admin(int argc, char **argv)
{
	struct provision_options options = cli_options();
	const char *command = argv[0];
	struct settings settings;
	bool settings_complete;
	int status;

	cli_log_format(false);
	/* Quiet: the commands need only the domains; "import" runs without MAIL_DOMAIN. */
	settings_complete = cli_load_settings(&options, &settings, true) == 0;
	status = admin_main(command, argc - 1, argv + 1, options.config_dir, &settings);
	settings_free(&settings);
	/* Not when there is no server and no settings to judge by (the one-off "import"). */
	if (status != 0 || !admin_changes_files(command, argc - 1, argv + 1) ||
	    (!settings_complete && !admin_server_runs()))
		return status;
	status = check_after_change(command, &settings);
	settings_free(&settings);
	return status;
}

int command_dns(int argc, char **argv)
{
	struct provision_options options = cli_options();
	struct settings settings;
	char dkim_dir[PATH_MAX];
	int status;

	if (argc != 1) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	cli_load_settings(&options, &settings, false);
	snprintf(dkim_dir, sizeof(dkim_dir), "%s/dkim", options.config_dir);
	status = dns_print(&settings, dkim_dir, argv[0]);
	settings_free(&settings);
	return status;
}

int command_autoconfig(int argc, char **argv)
{
	struct provision_options options = cli_options();
	struct settings settings;
	int status;

	if (argc < 1 || argc > 2) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	cli_load_settings(&options, &settings, false);
	status = autoconfig_print(&settings, argv[0], argc == 2 ? argv[1] : NULL);
	settings_free(&settings);
	return status;
}
