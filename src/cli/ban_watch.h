/*
 * NAME
 *	ban_watch - PID 1 counts failed logins in the log lines, and asks for bans
 *
 * SYNOPSIS
 *	ban_watch_start(&settings);     with ENABLE_BANS: observe the syslog sink
 *
 * DESCRIPTION
 *	Each line the syslog sink receives from root (Dovecot's log process) or
 *	from Postfix's uid is read for a failed login (auth_failures.h); other
 *	uids can write to /dev/log too, and are not believed. Loopback,
 *	TRUSTED_NETWORKS and BAN_IGNORE are never counted. The count is in
 *	fixed memory (ban_count.h); at BAN_AFTER within BAN_WINDOW, one
 *	datagram to the guard (guard.h), which bans and logs. Nothing here
 *	allocates, and a guard that is down costs a warning, not a wait.
 */
#ifndef MAILINIT_BAN_WATCH_H
#define MAILINIT_BAN_WATCH_H

#include <stdbool.h>
#include <sys/types.h>

#include "mail/settings.h"

void ban_watch_start(const struct settings *settings);
/* Whether a log line from UID is believed: root's (Dovecot's log process) or Postfix's
   (the owner of its queue's active/). /dev/log is open to every uid. */
bool log_sender_believed(uid_t uid);
/* The same for a test: GUARD_SOCKET instead of GUARD_BANS_SOCKET, any sender believed. */
void ban_watch_start_at(const struct settings *settings, const char *guard_socket);

#endif
