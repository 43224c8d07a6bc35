/*
 * NAME
 *	perms - mailboxes exist and belong to vmail
 *
 * SYNOPSIS
 *	mail_dirs_prepare("/var/mail", accounts, count, 5000, 5000)
 *	mail_owners_fix_beside("/run/mailinit/owner-walk.lock", "/var/mail", 5000, 5000)
 *
 * DESCRIPTION
 *	Creates MAIL_DIR/vhosts/DOMAIN/USER/{cur,new,tmp} for every account
 *	that lacks them (mode 0700), and its home under MAIL_DIR/home: one
 *	account's few directories each, whatever the mail stored.
 *
 *	mail_owners_fix walks MAIL_DIR/vhosts and MAIL_DIR/home and changes
 *	the owner of only the entries that are not uid:gid (a restore, a
 *	changed VMAIL_UID). No blind "chown -R": a correct tree of 100,000
 *	files costs one fstatat each. mail_owners_fix_beside does it in a
 *	child at idle CPU and I/O priority and returns at once, so the start
 *	does not wait for it; one such walk runs at a time (LOCK_PATH), and
 *	one more waits for it (LOCK_PATH.next), so a change is always seen by
 *	a walk that begins after it.
 *	vmail can swap anything in that tree for a symbolic link, so all of it
 *	is done through descriptors opened with O_NOFOLLOW from MAIL_DIR down,
 *	and owners change with fchownat(AT_SYMLINK_NOFOLLOW): a link is never
 *	followed. A link where a directory belongs is logged and left alone,
 *	and the other mailboxes are still prepared.
 */
#ifndef MAILINIT_PERMS_H
#define MAILINIT_PERMS_H

#include <stddef.h>
#include <sys/types.h>

#include "mail/accounts.h"

int mail_dirs_prepare(const char *mail_dir, const struct account *accounts, size_t count, uid_t uid,
		      gid_t gid);
int mail_owners_fix(const char *mail_dir, uid_t uid, gid_t gid);
void mail_owners_fix_beside(const char *lock_path, const char *mail_dir, uid_t uid, gid_t gid);
/* The walk of one tree; returns how many entries were changed, or -1. */
long mail_owner_fix(const char *dir, uid_t uid, gid_t gid);

#endif
