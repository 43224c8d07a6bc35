/*
 * NAME
 *	perms - mailboxes exist and belong to vmail
 *
 * SYNOPSIS
 *	mail_dirs_prepare("/var/mail", accounts, count, 5000, 5000)
 *
 * DESCRIPTION
 *	Creates MAIL_DIR/vhosts/DOMAIN/USER/{cur,new,tmp} for every account
 *	that lacks them (mode 0700), then walks MAIL_DIR/vhosts and changes
 *	the owner of only the entries that are not uid:gid. No blind
 *	"chown -R": a correct tree of 100,000 files costs one fstatat each.
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
/* The walk alone; returns how many entries were changed, or -1. */
long mail_owner_fix(const char *dir, uid_t uid, gid_t gid);

#endif
