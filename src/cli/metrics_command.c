/*
 * NAME
 *	metrics_command - mailinit metrics CONF, the OpenMetrics endpoint's service
 *
 * DESCRIPTION
 *	See mail/metrics.h. Started by PID 1 as root (services.conf) when
 *	METRICS=yes; it gives up root itself once listening. CONF is what
 *	provisioning rendered from templates/mailinit/metrics.conf.
 *	MAILINIT_METRICS_SPOOL points a test at its own queue directories.
 */
#include <stdio.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "mail/metrics.h"

int command_metrics(int argc, char **argv)
{
	static struct metrics_config config;

	if (argc != 1) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	config.conf = argv[0];
	config.spool = cli_env_or("MAILINIT_METRICS_SPOOL", METRICS_SPOOL);
	return metrics_run(&config);
}
