/*
 * NAME
 *	mailinit - PID 1 of the mail container
 *
 * SYNOPSIS
 *	mailinit [run] [--config FILE]
 *	mailinit version
 *	mailinit help
 *
 * DESCRIPTION
 *	"run" (the default) loads the service descriptions and supervises
 *	them until SIGTERM or SIGINT. The file is --config FILE, else
 *	$MAILINIT_CONF, else /usr/share/mailinit/mailinit.conf.
 *
 *	Environment: STOP_GRACE (seconds before SIGKILL at shutdown, overrides
 *	the file's supervisor.stop_grace), LOG_LEVEL (debug, info, warn, error).
 *
 * DIAGNOSTICS
 *	Exit status as in supervise.h, plus 64 for a usage error and 78 for a
 *	configuration error; docs/exit-codes.md has the table.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "log.h"
#include "services.h"
#include "supervise.h"

#ifndef MAILINIT_VERSION
#define MAILINIT_VERSION "unknown"
#endif
#ifndef MAILINIT_DEFAULT_CONF
#define MAILINIT_DEFAULT_CONF "/usr/share/mailinit/mailinit.conf"
#endif

static void usage(FILE *out)
{
	fputs("usage: mailinit [run] [--config FILE]   supervise the mail services (default)\n"
	      "       mailinit version                 print the version\n"
	      "       mailinit help                    print this text\n"
	      "environment: MAILINIT_CONF, STOP_GRACE (seconds), LOG_LEVEL "
	      "(debug|info|warn|error)\n",
	      out);
}

/* A whole number of seconds from 0 to 3600, or -1. */
static long parse_seconds(const char *text)
{
	char *end;
	long value;

	errno = 0;
	value = strtol(text, &end, 10);
	if (errno != 0 || end == text || *end != '\0' || value < 0 || value > 3600)
		return -1;
	return value;
}

/* Environment settings that apply to the supervisor; false after logging each problem. */
static bool apply_environment(struct supervisor_config *config)
{
	const char *grace = getenv("STOP_GRACE");
	const char *level = getenv("LOG_LEVEL");
	enum log_level parsed;
	bool ok = true;

	if (level != NULL) {
		if (log_level_parse(level, &parsed)) {
			log_set_level(parsed);
		} else {
			log_error("LOG_LEVEL: \"%s\" is not a level (use debug, info, warn or "
				  "error)",
				  level);
			ok = false;
		}
	}
	if (grace != NULL) {
		long seconds = parse_seconds(grace);

		if (seconds < 0) {
			log_error("STOP_GRACE: \"%s\" is not a number of seconds from 0 to 3600",
				  grace);
			ok = false;
		} else {
			config->stop_grace = (unsigned)seconds;
		}
	}
	return ok;
}

static int command_run(int argc, char **argv)
{
	const char *path = getenv("MAILINIT_CONF");
	struct supervisor_config config;
	int status;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else {
			log_error("run: unknown argument \"%s\"", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	if (path == NULL || path[0] == '\0')
		path = MAILINIT_DEFAULT_CONF;
	if (services_load(path, &config) != 0)
		return EX_CONFIG;
	if (!apply_environment(&config)) {
		services_free(&config);
		return EX_CONFIG;
	}
	log_info("mailinit %s: supervising %zu services from %s", MAILINIT_VERSION, config.count,
		 path);
	status = supervise_run(&config);
	services_free(&config);
	return status;
}

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : "run";

	if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
		return command_run(argc - 1, argv + 1); /* "mailinit --config FILE" */
	if (strcmp(command, "run") == 0)
		return command_run(argc > 1 ? argc - 2 : 0, argv + 2);
	if (strcmp(command, "version") == 0) {
		printf("mailinit %s\n", MAILINIT_VERSION);
		return 0;
	}
	if (strcmp(command, "help") == 0) {
		usage(stdout);
		return 0;
	}
	log_error("unknown command \"%s\"", command);
	usage(stderr);
	return EX_USAGE;
}
