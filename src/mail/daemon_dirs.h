/*
 * NAME
 *	daemon_dirs - the directories the daemons expect before they start
 *
 * SYNOPSIS
 *	daemon_dirs_skip_postfix_check();     a complete queue: no "postfix check" at start
 *	if (daemon_dirs_make(root) != 0) fail;
 *	if (daemon_dirs_make_rspamd(vmail_gid) != 0) fail;      ENABLE_RSPAMD
 *	if (daemon_dirs_make_milters(dkim, rspamd) != 0) fail;
 *
 * DESCRIPTION
 *	Postfix's queue is /var/spool/postfix. daemon_dirs_make makes its
 *	private/ (Dovecot's sockets are there and it starts beside Postfix) and
 *	postscreen/ (postscreen's cache: Postfix writes only in its own directories), and
 *	the daemons' state directories under the render root (ROOT/var/lib/postfix,
 *	ROOT/var/lib/dovecot), which their packages made in /var/lib.
 *	daemon_dirs_skip_postfix_check writes the queue's quick-start file when
 *	every queue directory exists: "postfix start-fg" then skips its ~300 ms
 *	check of a configuration just verified.
 *
 *	daemon_dirs_make_rspamd makes rspamd's and Redis's run directories
 *	(their sockets) and hands them their data directories, the volumes
 *	/var/lib/rspamd and /var/lib/redis: only the directory itself is
 *	changed, by its descriptor, never what is in it. The controller's socket
 *	has a directory of its own, root's, that only VMAIL_GID may enter.
 *
 *	daemon_dirs_make_milters makes the directories of the milters' sockets,
 *	/run/opendkim (OpenDKIM's) and /run/rspamd-milter (root's), that only
 *	Postfix's group may enter besides the milter: the sockets in them are
 *	open to all.
 */
#ifndef MAILINIT_DAEMON_DIRS_H
#define MAILINIT_DAEMON_DIRS_H

#include <stdbool.h>
#include <sys/types.h>

void daemon_dirs_skip_postfix_check(void);
int daemon_dirs_make(const char *root);
int daemon_dirs_make_rspamd(gid_t vmail_gid);
int daemon_dirs_make_milters(bool dkim, bool rspamd);

#endif
