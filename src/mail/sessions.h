/*
 * NAME
 *	sessions - end the logged-in sessions of accounts a reload removed or changed
 *
 * SYNOPSIS
 *	sessions_end_changed(old_users, new_users, DOVECOT_ANVIL, vmail_uid, vmail_gid);
 *
 * DESCRIPTION
 *	Dovecot keeps its IMAP, POP3 and ManageSieve sessions across a reload
 *	(shutdown_clients = no: a renewed certificate or an account added cuts
 *	no one off), and reads the passwd-file only at login. So a session would
 *	outlive "user del" or a password changed after a leak. Each line of
 *	Dovecot's users file is one account with its password hash and quota:
 *	an account whose line is gone or differs after the reload has its
 *	sessions ended, as "doveadm kick" does it: anvil lists every session's
 *	process and the account it serves, each gets SIGTERM (it says BYE and
 *	closes its mailbox), and the client logs in again against the new file.
 *
 *	The list comes from anvil, which hears it from the session processes,
 *	which run as the mail uid. So the signals are sent from a child running
 *	as that uid: whatever the list names, it can signal only what the mail
 *	uid could signal anyway, never PID 1 or another daemon.
 *
 *	sessions_changed_accounts and sessions_pids are the parsing, apart for
 *	the tests.
 *
 * DIAGNOSTICS
 *	No anvil (Dovecot not running) is not an error: there is no session.
 *	Anything else is logged; the reload goes on either way.
 */
#ifndef MAILINIT_SESSIONS_H
#define MAILINIT_SESSIONS_H

#include <stddef.h>
#include <sys/types.h>

/* Dovecot's base_dir is /run/dovecot (templates/dovecot/dovecot.conf). */
#define DOVECOT_ANVIL "/run/dovecot/anvil"

/* The account names (each allocated, in *NAMES, sorted) whose line in OLD_USERS is not in
   NEW_USERS. Returns how many; *NAMES is NULL when none. */
size_t sessions_changed_accounts(const char *old_users, const char *new_users, char ***names);
/* The processes anvil's CONNECT-DUMP (DUMP) lists for any of NAMES (sorted, COUNT), into PIDS
   (at most MAX). Returns how many; a malformed line is skipped. */
size_t sessions_pids(const char *dump, char *const *names, size_t count, pid_t *pids, size_t max);
void sessions_end_changed(const char *old_users, const char *new_users, const char *anvil_path,
			  uid_t uid, gid_t gid);

#endif
