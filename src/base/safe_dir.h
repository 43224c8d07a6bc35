/*
 * NAME
 *	safe_dir - directories below a trusted one, never through a symlink
 *
 * SYNOPSIS
 *	int fd = safe_dir_open(parent_fd, "example.com", "/var/mail/vhosts/example.com",
 *			       0700, uid, gid, SAFE_DIR_CREATE);
 *
 * DESCRIPTION
 *	Root provisions trees that other users can write: the mailboxes (vmail)
 *	and, in older volumes, the DKIM keys (opendkim). Such a user can swap a
 *	directory it owns for a symbolic link at any moment, so root never acts
 *	there by path: it opens NAME relative to PARENT_FD with O_NOFOLLOW and
 *	O_DIRECTORY, and sets owner and mode on the descriptor it got.
 *
 *	SAFE_DIR_CREATE makes NAME when it is missing (mode MODE, owner UID:GID
 *	set on the new directory); SAFE_DIR_OWN also gives an existing one MODE
 *	and UID:GID. uid/gid -1: leave them.
 *
 * DIAGNOSTICS
 *	-1 with errno. A symbolic link or a non-directory where a directory
 *	should be is logged as a warning naming PATH and left alone (errno
 *	ELOOP or ENOTDIR); other failures are logged as errors.
 */
#ifndef MAILINIT_SAFE_DIR_H
#define MAILINIT_SAFE_DIR_H

#include <sys/types.h>

enum { SAFE_DIR_CREATE = 1, SAFE_DIR_OWN = 2 };

int safe_dir_open(int parent_fd, const char *name, const char *path, mode_t mode, uid_t uid,
		  gid_t gid, int flags);
/* Whether an error from safe_dir_open was a link or non-directory in the way. */
int safe_dir_refused(int error);

#endif
