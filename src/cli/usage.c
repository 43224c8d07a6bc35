/*
 * NAME
 *	usage - the commands, one line each (mailinit help)
 *
 * DESCRIPTION
 *	See cli.h. Apart from main.c, which the unit tests do not link.
 */
#include <stdio.h>

#include "cli/cli.h"

void cli_usage(FILE *out)
{
	fputs(
	    "usage: mailinit [run] [--config FILE]   provision, then supervise the mail services\n"
	    "       mailinit check [--output DIR]    validate and render the configuration, start "
	    "nothing\n"
	    "       mailinit health [--json]         probe every listener: exit 0 healthy, 1 not\n"
	    "       mailinit dns DOMAIN              the DNS records to publish (MX, SPF, DKIM, "
	    "DMARC, MTA-STS, TLS-RPT)\n"
	    "       mailinit autoconfig DOMAIN [mozilla|microsoft]   what mail clients "
	    "configure themselves from\n"
	    "       mailinit reload                  check the configuration, then make the "
	    "server reload it\n"
	    "       mailinit user add ADDRESS [--password-stdin] [--quota SIZE]\n"
	    "       mailinit user passwd ADDRESS [--password-stdin]\n"
	    "       mailinit user del ADDRESS | user list\n"
	    "       mailinit alias add SOURCE TARGET... | alias del SOURCE [TARGET] | alias "
	    "list\n"
	    "       mailinit domain list\n"
	    "       mailinit dkim show [DOMAIN] | dkim rotate DOMAIN | dkim remove DOMAIN "
	    "SELECTOR\n"
	    "       mailinit ban list | ban add ADDRESS[/PREFIX] [SECONDS] | ban del "
	    "ADDRESS[/PREFIX]\n"
	    "       mailinit import DIR              accounts and aliases from "
	    "docker-mailserver's files\n"
	    "       mailinit help [settings [--markdown]]   this text, or every setting\n"
	    "       mailinit version\n",
	    out);
}
