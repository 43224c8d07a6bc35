/*
 * NAME
 *	guard - the bans, served to Postfix and Dovecot
 *
 * SYNOPSIS
 *	mailinit guard                 a supervised service (services.conf), as root
 *	int status = guard_run(&config);
 *
 * DESCRIPTION
 *	The one process that decides whether a client address is banned, and
 *	the one that adds bans to the list. PID 1 counts failed logins in the
 *	daemons' log lines (ban_count.h) and, at BAN_AFTER, sends a datagram
 *	"ban ADDRESS FAILURES SERVICE" to GUARD_BANS_SOCKET (root only). The
 *	guard adds it to the list kept in CONFIG_DIR/state/bans (written whole
 *	and renamed, under the directory's lock, as `mailinit ban` does), and
 *	logs one line for each ban and each end of one. It answers:
 *	  - Postfix's policy protocol on GUARD_POLICY_SOCKET (group postfix):
 *	    smtpd_client_restrictions asks about every client, and a banned one
 *	    gets "554 5.7.1 ... banned ...";
 *	  - Dovecot's dict protocol on GUARD_DICT_SOCKET (group dovecot): the
 *	    first passdb looks up "shared/ban/<client address>", and a banned
 *	    address fails every login, on IMAP, POP3, ManageSieve and SMTP AUTH
 *	    (Postfix authenticates through Dovecot).
 *	Both daemons carry on without it if it does not answer (a ban is then
 *	not enforced until it is back: logins must not stop with it).
 *	A change to the file by `mailinit ban add|del` is seen by inotify.
 *	Once its sockets are made it drops every capability (it stays uid 0, to
 *	write root's own files) and is named "mailinit-guard" in ps.
 */
#ifndef MAILINIT_GUARD_H
#define MAILINIT_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>
#include <time.h>

#define GUARD_DIR           "/run/mailinit-guard"
#define GUARD_BANS_SOCKET   GUARD_DIR "/bans.sock"
#define GUARD_POLICY_SOCKET GUARD_DIR "/policy" /* listeners.c names it too (health) */
#define GUARD_DICT_SOCKET   GUARD_DIR "/dict"
/* The bans in force, "N\n", for the metrics (0644, written when it changes). */
#define GUARD_ACTIVE_FILE "bans-active"
/* Connections at once: Postfix's smtpds keep one each (100 on port 25 by default) and
   Dovecot's auth a few; when full, the one idle longest is closed for a new one. */
#define GUARD_CLIENTS_MAX 256
#define GUARD_LINE_MAX    4096 /* a longer line is skipped, its request answered all the same */

struct guard_config {
	const char *bans_file; /* CONFIG_DIR/state/bans */
	const char *never;     /* ban_never_networks */
	unsigned ban_time;     /* BAN_TIME */
	unsigned ipv6_prefix;  /* BAN_IPV6_PREFIX */
	gid_t postfix_gid, dovecot_gid;
	const char *directory; /* GUARD_DIR, or a test's */
};

int guard_run(const struct guard_config *config);

/* The protocols, for tests and fuzzing. A Postfix policy request is name=value lines, then
   an empty one; only client_address counts. NEVER: networks never banned (loopback, ...). */
struct ban_list;
struct guard_policy_request {
	char address[64];
};
void guard_policy_line(struct guard_policy_request *r, const char *line);
void guard_policy_reply(const struct ban_list *list, const char *never,
			const struct guard_policy_request *r, time_t now, char *answer,
			size_t size);
/* A whole request (lines without their empty last one): "action=...\n\n" into ANSWER. */
void guard_policy_answer(const struct ban_list *list, const char *never, const char *request,
			 time_t now, char *answer, size_t size);
/* One Dovecot dict line ("H...", "L<key>\t<user>"): the reply line, or "" for none. */
void guard_dict_answer(const struct ban_list *list, const char *never, const char *line, time_t now,
		       char *answer, size_t size);

#endif
