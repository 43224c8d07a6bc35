/*
 * NAME
 *	sessions - end the logged-in sessions of accounts a reload removed or changed
 *
 * SYNOPSIS
 *	sessions_end_changed("/etc/dovecot/users", old_users, &old_stat, vmail_uid, vmail_gid);
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
 *	Dovecot's auth notices a new passwd-file by its mtime and size, looked at
 *	once a second: the sessions are ended only once it can tell the new file
 *	(up to 1 s), so a client that logs in again at once meets the new
 *	password, not the old one.
 *
 *	anvil's list is filled by Dovecot's own processes, the pre-login ones
 *	(uid dovenull) among them: it names what it is told. So each process it
 *	names is checked before the signal: a Dovecot session process (imap,
 *	pop3, managesieve) of the mail uid whose parent is Dovecot's master,
 *	through a pidfd (a pid reused meanwhile is not signalled), and the
 *	signal is sent from a child that has become the mail uid (given 2 s:
 *	that uid may stop it). What could not be ended is logged, with
 *	"doveadm kick USER" as the way out.
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
#define DOVECOT_ANVIL      "/run/dovecot/anvil"
#define DOVECOT_MASTER_PID "/run/dovecot/master.pid"

struct buffer;
struct stat;

/* The account names (each allocated, in *NAMES, sorted) whose line in OLD_USERS is not in
   NEW_USERS. Returns how many; *NAMES is NULL when none. */
size_t sessions_changed_accounts(const char *old_users, const char *new_users, char ***names);
/* The processes anvil's CONNECT-DUMP (DUMP) lists for any of NAMES (sorted, COUNT), into PIDS
   (at most MAX). Returns how many; a malformed line is skipped. */
size_t sessions_pids(const char *dump, char *const *names, size_t count, pid_t *pids, size_t max);
/* anvil's CONNECT-DUMP into DUMP, within 2 s in all; 0, or -1 (logged unless there is no
   anvil: no Dovecot running). */
int sessions_read_dump(const char *anvil_path, struct buffer *dump);
/* After USERS_PATH was rendered again: the sessions of accounts whose line in OLD_USERS (the
   file as it was, OLD_STAT its stat) is gone or differs get SIGTERM. */
void sessions_end_changed(const char *users_path, const char *old_users,
			  const struct stat *old_stat, uid_t uid, gid_t gid);

#endif
