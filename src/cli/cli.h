/*
 * NAME
 *	cli - what mailinit's commands share, and the commands main() dispatches to
 *
 * SYNOPSIS
 *	struct provision_options o = cli_options();     the directories, from the environment
 *	cli_log_format(false);                          LOG_LEVEL now; JSON only for run
 *	unsigned problems = cli_load_settings(&o, &settings, quiet);
 *	int status = cli_check_configuration(NULL, &settings);   provisioning in check mode
 *
 * DESCRIPTION
 *	Each command is a function (int argc, char **argv) given what follows
 *	its name: run.c (run, with the live reload), commands.c (check, reload,
 *	health, dns, autoconfig, and the admin commands' check afterwards).
 *
 *	The directories: MAILINIT_CONFIG_DIR (default /etc/mailinit),
 *	MAILINIT_TEMPLATES (default /usr/share/mailinit/templates),
 *	MAILINIT_MAIL_DIR (default /var/mail), MAILINIT_ROOT (where the daemons'
 *	configuration is rendered, default "": /etc itself; the image sets
 *	/run/mailinit and links /etc to it).
 */
#ifndef MAILINIT_CLI_H
#define MAILINIT_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdio.h>

#include "mail/provision.h"
#include "mail/settings.h"

#ifndef MAILINIT_VERSION
#define MAILINIT_VERSION "unknown"
#endif
#ifndef MAILINIT_SHAREDIR
#define MAILINIT_SHAREDIR "/usr/share/mailinit"
#endif

extern char **environ;

const char *cli_env_or(const char *name, const char *fallback);
struct provision_options cli_options(void);
/* LOG_LEVEL and LOG_FORMAT before anything logs (JSON only for the server's log). */
void cli_log_format(bool server_log);
/* The settings the running server started with: file, then environment; the problems. */
unsigned cli_load_settings(const struct provision_options *options, struct settings *settings,
			   bool quiet);
/* Where the last live reload's outcome is kept for "mailinit health". */
void cli_reload_status_path(const struct provision_options *options, char *path, size_t size);
/* "ok TIME" or "refused TIME" for mailinit health, replaced whole. */
void cli_record_reload(const struct provision_options *options, int status);
/* PATH of program NAME in the directory this program is in. 0, or -1 (logged). */
int cli_sibling_path(const char *name, char *path, size_t size);
/* "check": provisioning in check mode into OUTPUT, or a scratch directory removed after. */
int cli_check_configuration(const char *output, struct settings *settings);
/* rm -r of a scratch directory of ours. */
void cli_remove_tree(const char *path);
void cli_usage(FILE *out);

/* mailinit-init: PID 1 (init_main.c, run.c). */
int command_run(int argc, char **argv);
/* mailinit: the provisioning step mailinit-init runs in a child; "run" execs mailinit-init. */
int command_provision(int argc, char **argv);
int command_run_init(int argc, char **argv);
int command_check(int argc, char **argv);
int command_health(int argc, char **argv);
int command_ban(int argc, char **argv);     /* ban_command.c */
int command_guard(int argc, char **argv);   /* ban_command.c */
int command_gate(int argc, char **argv);    /* gate_command.c */
int command_metrics(int argc, char **argv); /* metrics_command.c */
int command_reload(int argc, char **argv);
int command_dns(int argc, char **argv);
int command_autoconfig(int argc, char **argv);
/* user, alias, domain, dkim, import: argv[0] is the command's name. */
int command_admin(int argc, char **argv);

#endif
