/*
 * NAME
 *	gate_command - mailinit gate CONF, the service in front of Postfix's proxy ports
 *
 * DESCRIPTION
 *	See mail/gate.h. Started by PID 1 as _mailgate (services.conf) when
 *	PROXY_PROTOCOL_NETWORKS is set; CONF is what provisioning rendered
 *	from templates/mailinit/gate.conf. MAILINIT_GATE_POSTFIX_DIR points a
 *	test at its own pass sockets.
 */
#include <stdio.h>
#include <sysexits.h>

#include "cli/cli.h"
#include "mail/gate.h"

int command_gate(int argc, char **argv)
{
	static struct gate_config config;

	if (argc != 1) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	config.conf = argv[0];
	config.postfix_dir = cli_env_or("MAILINIT_GATE_POSTFIX_DIR", GATE_POSTFIX_PUBLIC);
	return gate_run(&config);
}
