/*
 * NAME
 *	admin - the operator's commands: accounts, aliases, domains, DKIM keys
 *
 * SYNOPSIS
 *	mailinit user add ADDRESS [--password-stdin] [--quota SIZE]
 *	mailinit user passwd ADDRESS [--password-stdin]
 *	mailinit user del ADDRESS
 *	mailinit user list
 *	mailinit alias add SOURCE TARGET...
 *	mailinit alias del SOURCE [TARGET]
 *	mailinit alias list
 *	mailinit domain list
 *	mailinit dkim show [DOMAIN]
 *	mailinit dkim rotate DOMAIN
 *	mailinit dkim remove DOMAIN SELECTOR
 *	mailinit import DIR
 *
 * DESCRIPTION
 *	Each command reads and changes CONFIG_DIR/accounts, CONFIG_DIR/aliases
 *	or CONFIG_DIR/dkim while holding an exclusive lock on CONFIG_DIR/.lock,
 *	so two commands at once never lose a change; a file is replaced whole
 *	(file_write), keeping its mode and owner, and lines the command does
 *	not touch (comments too) are kept as they are. The running server sees
 *	the new accounts and aliases files itself (inotify); the DKIM commands
 *	ask it to reload (SIGHUP to PID 1, when PID 1 is mailinit). "import"
 *	adds docker-mailserver's accounts, aliases and quotas (import.c).
 *
 *	A password is read from standard input (--password-stdin; without echo
 *	on a terminal), or generated and printed once. It is never an argument,
 *	so it shows neither in ps nor in a shell's history, and it is stored
 *	only as a yescrypt hash ({CRYPT}$y$).
 *
 * DIAGNOSTICS
 *	One line naming the command, the address or file, and what to do.
 *	Exit status: 0; 64 usage; 65 a malformed address, an unknown domain or
 *	a duplicate; 67 no such account or alias; 73 a file could not be
 *	written; 71 the system.
 */
#ifndef MAILINIT_ADMIN_H
#define MAILINIT_ADMIN_H

#include "mail/settings.h"

/* COMMAND is "user", "alias", "domain", "dkim" or "import"; argv holds what follows it. */
int admin_main(const char *command, int argc, char **argv, const char *config_dir,
	       const struct settings *settings);
/* Whether PID 1 is a running mailinit (this is "podman exec" in its container). */
bool admin_server_runs(void);
/* SIGHUP to PID 1 if that is mailinit: true when it was sent. */
bool admin_signal_server(void);

#endif
