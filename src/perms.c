/*
 * NAME
 *	perms - mailboxes exist and belong to vmail
 *
 * DESCRIPTION
 *	See perms.h. nftw() carries no user pointer, so the walk's target
 *	owner and count live in one file-local struct for its duration.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "log.h"
#include "perms.h"
#include "render.h"

static struct {
	uid_t uid;
	gid_t gid;
	long changed;
	int failed;
} walk;

static int fix_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)type;
	(void)ftw;
	if (st->st_uid == walk.uid && st->st_gid == walk.gid)
		return 0;
	if (lchown(path, walk.uid, walk.gid) != 0) {
		log_error_sys("cannot give %s to %u:%u", path, (unsigned)walk.uid,
			      (unsigned)walk.gid);
		walk.failed = 1;
		return 0;
	}
	walk.changed++;
	return 0;
}

long mail_owner_fix(const char *dir, uid_t uid, gid_t gid)
{
	walk.uid = uid;
	walk.gid = gid;
	walk.changed = 0;
	walk.failed = 0;
	if (nftw(dir, fix_entry, 32, FTW_PHYS | FTW_MOUNT) != 0 && errno != ENOENT) {
		log_error_sys("cannot walk %s", dir);
		return -1;
	}
	return walk.failed ? -1 : walk.changed;
}

int mail_dirs_prepare(const char *mail_dir, const struct account *accounts, size_t count, uid_t uid,
		      gid_t gid)
{
	static const char *const sub[] = {"cur", "new", "tmp"};
	char path[PATH_MAX];
	long changed;

	snprintf(path, sizeof(path), "%s/vhosts", mail_dir);
	if (render_mkdirs(path, 0755, uid, gid) != 0)
		return -1;
	for (size_t i = 0; i < count; i++) {
		for (size_t j = 0; j < 3; j++) {
			snprintf(path, sizeof(path), "%s/vhosts/%s/%s/%s", mail_dir,
				 accounts[i].domain, accounts[i].local, sub[j]);
			if (access(path, F_OK) != 0 && render_mkdirs(path, 0700, uid, gid) != 0)
				return -1;
		}
	}
	snprintf(path, sizeof(path), "%s/vhosts", mail_dir);
	if ((changed = mail_owner_fix(path, uid, gid)) < 0)
		return -1;
	if (changed > 0)
		log_info("%s: gave %ld entries to %u:%u", path, changed, (unsigned)uid,
			 (unsigned)gid);
	return 0;
}
