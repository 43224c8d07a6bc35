/*
 * NAME
 *	daemon_dirs - the directories the daemons expect before they start
 *
 * SYNOPSIS
 *	daemon_dirs_skip_postfix_check();     a complete queue: no "postfix check" at start
 *	if (daemon_dirs_make(root) != 0) fail;
 *
 * DESCRIPTION
 *	Postfix's queue is /var/spool/postfix. daemon_dirs_make makes its
 *	private/ (Dovecot's sockets are there and it starts beside Postfix), and
 *	the daemons' state directories under the render root (ROOT/var/lib/postfix,
 *	ROOT/var/lib/dovecot), which their packages made in /var/lib.
 *	daemon_dirs_skip_postfix_check writes the queue's quick-start file when
 *	every queue directory exists: "postfix start-fg" then skips its ~300 ms
 *	check of a configuration just verified.
 */
#ifndef MAILINIT_DAEMON_DIRS_H
#define MAILINIT_DAEMON_DIRS_H

void daemon_dirs_skip_postfix_check(void);
int daemon_dirs_make(const char *root);

#endif
