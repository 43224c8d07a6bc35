/*
 * NAME
 *	admin_commands - what the admin command groups share (cli/admin_*.c)
 *
 * SYNOPSIS
 *	struct admin a;      paths under CONFIG_DIR, the settings, the lock
 *	if (admin_lock(&a) != 0) return EX_OSERR;
 *	if (!admin_check_address(&a, "user add", address, false)) return EX_DATAERR;
 *	const struct mail_domains *d = admin_domains(&a);
 *
 * DESCRIPTION
 *	admin.c dispatches "mailinit COMMAND VERB" to the functions below, one
 *	file per group: admin_user.c, admin_alias.c, admin_dkim.c, import.c.
 *	admin_domains is mail/domains.h's set with the accounts' domains added,
 *	as provisioning makes it.
 */
#ifndef MAILINIT_ADMIN_COMMANDS_H
#define MAILINIT_ADMIN_COMMANDS_H

#include <limits.h>
#include <stdbool.h>

#include "mail/domains.h"
#include "mail/settings.h"

struct admin {
	const char *config_dir;
	const struct settings *settings;
	char accounts_path[PATH_MAX], aliases_path[PATH_MAX], dkim_dir[PATH_MAX];
	int lock_fd;
};

int admin_lock(struct admin *a);
const struct mail_domains *admin_domains(const struct admin *a);
/* An address an account or alias may have (@domain when CATCH_ALL); else the problem is logged. */
bool admin_check_address(const struct admin *a, const char *what, const char *address,
			 bool catch_all);
void admin_ask_for_reload(void);

int user_add_or_passwd(struct admin *a, bool add, int argc, char **argv);
int user_del(struct admin *a, int argc, char **argv);
int user_list(struct admin *a, int argc, char **argv); /* -1: usage */
int alias_add(struct admin *a, int argc, char **argv);
int alias_del(struct admin *a, int argc, char **argv);
int alias_list(struct admin *a, int argc, char **argv);
int domain_list(struct admin *a, int argc, char **argv);
int dkim_show(struct admin *a, int argc, char **argv);
int dkim_rotate(struct admin *a, int argc, char **argv);
int dkim_remove(struct admin *a, int argc, char **argv);
int import_docker_mailserver(struct admin *a, const char *dir);

/* password_input.c: a password from standard input, without echo on a terminal. */
int password_read_stdin(const char *what, char *out, size_t size);

#endif
