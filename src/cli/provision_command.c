/*
 * NAME
 *	provision_command - mailinit provision: the step PID 1 runs in a child
 *
 * SYNOPSIS
 *	mailinit provision --log LEVEL json|text [--reload]
 *
 * DESCRIPTION
 *	PID 1 (mailinit-init, run.c) holds no OpenSSL: for the start's
 *	provisioning and for every live reload it forks and execs this, with
 *	its own log level and format. Without --reload: provision() into the
 *	live root (provision.h). With --reload: staged in a scratch directory
 *	and verified there first, the outcome recorded for mailinit health.
 *	Not an operator's command (mailinit check is theirs): not in the usage.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/clock.h"
#include "base/log.h"
#include "cli/cli.h"

int command_provision(int argc, char **argv)
{
	struct provision_options options = cli_options();
	char staging[] = "/tmp/mailinit-reload.XXXXXX";
	bool reload = argc == 4 && strcmp(argv[3], "--reload") == 0;
	enum log_level level;
	struct settings settings;
	int64_t began = clock_ms();
	int status;

	if ((argc != 3 && !reload) || strcmp(argv[0], "--log") != 0 ||
	    !log_level_parse(argv[1], &level)) {
		log_error("provision: mailinit-init runs this step itself; to check a "
			  "configuration, run mailinit check");
		return EX_USAGE;
	}
	log_set_level(level);
	log_set_json(strcmp(argv[2], "json") == 0);
	if (reload) {
		if (mkdtemp(staging) == NULL) {
			log_error_sys("reload: cannot make a staging directory in /tmp");
			return EX_OSERR;
		}
		options.staging = staging;
	}
	status = provision(&options, environ, &settings);
	settings_free(&settings);
	if (reload) {
		cli_remove_tree(staging);
		cli_record_reload(&options, status);
		if (status == 0)
			log_info("reload: configuration rendered and verified in %lld ms",
				 (long long)(clock_ms() - began));
	}
	fflush(stdout);
	return status;
}
