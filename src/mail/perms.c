/*
 * NAME
 *	perms - mailboxes exist and belong to vmail
 *
 * DESCRIPTION
 *	See perms.h. vmail owns everything below MAIL_DIR/vhosts and can swap
 *	any of it for a symbolic link at any moment (a Sieve script, a
 *	compromised delivery). Root therefore works only through descriptors
 *	opened with O_NOFOLLOW from MAIL_DIR down (safe_dir.h), and changes
 *	owners with fchownat(AT_SYMLINK_NOFOLLOW) relative to the directory it
 *	holds open: what a link points at is never created, chowned or chmodded.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/file.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "base/safe_dir.h"
#include "mail/perms.h"

/* Maildir++ is four levels deep (domain/user/.folder/cur); anything far deeper is not mail. */
#define WALK_DEPTH_MAX 32

/* ioprio_set(2): glibc has no wrapper nor constants. The idle class, level 0. */
#define IOPRIO_WHO_PROCESS 1
#define IOPRIO_IDLE        (3 << 13)

struct walk {
	uid_t uid;
	gid_t gid;
	dev_t dev;
	long changed;
	int failed;
};

/*
 * NAME (seen as ST) to uid:gid. The entry itself, through an O_PATH descriptor
 * of it: a symbolic link gets its own owner changed, never its target's. Not
 * a file with more than one name: vmail could have made it a hard link to a
 * file outside the tree (where fs.protected_hardlinks is off), and giving it
 * away would give that file. Nor an entry swapped since the fstatat.
 */
static bool give(struct walk *w, int dir_fd, const char *name, const char *path,
		 const struct stat *st)
{
	int fd = openat(dir_fd, name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
	struct stat now;
	bool given = false;

	if (fd < 0)
		return false; /* gone meanwhile: a delivery moved it */
	if (fstat(fd, &now) != 0 || now.st_ino != st->st_ino || now.st_dev != st->st_dev) {
		close(fd);
		return false;
	}
	/* Both counts: vmail may remove its name between the two, leaving the outside one. */
	if (!S_ISDIR(now.st_mode) && (st->st_nlink > 1 || now.st_nlink > 1)) {
		log_warn("%s: not %u's and has %lu names (hard links): left alone; give it to "
			 "%u:%u by hand if it is mail",
			 path, (unsigned)w->uid, (unsigned long)now.st_nlink, (unsigned)w->uid,
			 (unsigned)w->gid);
	} else if (fchownat(fd, "", w->uid, w->gid, AT_EMPTY_PATH) == 0) {
		given = true;
	} else {
		log_error_sys("cannot give %s to %u:%u", path, (unsigned)w->uid, (unsigned)w->gid);
		w->failed = 1;
	}
	close(fd);
	return given;
}

/* DIR_FD is PATH, opened without following links; it is closed here. */
static void fix_tree(struct walk *w, int dir_fd, const char *path, int depth)
{
	DIR *dir = fdopendir(dir_fd);
	struct dirent *entry;
	char child[PATH_MAX];

	if (dir == NULL) {
		log_error_sys("cannot read %s", path);
		close(dir_fd);
		w->failed = 1;
		return;
	}
	while ((errno = 0, entry = readdir(dir)) != NULL) {
		struct stat st;
		const char *name = entry->d_name;

		if (strcmp(name, ".") == 0 || strcmp(name, "..") == 0)
			continue;
		snprintf(child, sizeof(child), "%s/%s", path, name);
		if (fstatat(dirfd(dir), name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
			if (errno != ENOENT) /* gone meanwhile: a delivery moved it */
				log_error_sys("cannot stat %s", child);
			continue;
		}
		if (st.st_dev != w->dev)
			continue; /* another file system mounted here: not ours to walk */
		if ((st.st_uid != w->uid || st.st_gid != w->gid) &&
		    give(w, dirfd(dir), name, child, &st))
			w->changed++;
		if (!S_ISDIR(st.st_mode))
			continue;
		if (depth >= WALK_DEPTH_MAX) {
			log_warn("%s: deeper than %d levels, not walked", child, WALK_DEPTH_MAX);
			continue;
		}
		int fd = openat(dirfd(dir), name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
		if (fd >= 0)
			fix_tree(w, fd, child, depth + 1);
		else if (errno != ENOENT && !safe_dir_refused(errno))
			log_error_sys("cannot open %s", child);
	}
	if (errno != 0) {
		log_error_sys("cannot read %s", path);
		w->failed = 1;
	}
	closedir(dir);
}

long mail_owner_fix(const char *dir, uid_t uid, gid_t gid)
{
	struct walk w = {.uid = uid, .gid = gid};
	struct stat st;
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

	if (fd < 0) {
		if (errno == ENOENT)
			return 0;
		log_error_sys("cannot open %s", dir);
		return -1;
	}
	if (fstat(fd, &st) != 0) {
		log_error_sys("cannot stat %s", dir);
		close(fd);
		return -1;
	}
	w.dev = st.st_dev;
	if ((st.st_uid != uid || st.st_gid != gid) && fchown(fd, uid, gid) == 0)
		w.changed++;
	fix_tree(&w, fd, dir, 0);
	return w.failed ? -1 : w.changed;
}

/* DOMAIN/LOCAL/{cur,new,tmp} below VHOSTS_FD, made where missing, never through a link.
   0: there; 1: refused (a link in the way, logged); -1: an error. */
static int mailbox_prepare(int vhosts_fd, const char *vhosts, const struct account *a, uid_t uid,
			   gid_t gid)
{
	static const char *const sub[] = {"cur", "new", "tmp"};
	const char *names[2] = {a->domain, a->local};
	char path[PATH_MAX];
	int fd = vhosts_fd, status = 0;

	snprintf(path, sizeof(path), "%s", vhosts);
	for (size_t i = 0; i < 2 && status == 0; i++) {
		size_t len = strlen(path);
		int next;

		snprintf(path + len, sizeof(path) - len, "/%s", names[i]);
		next = safe_dir_open(fd, names[i], path, 0700, uid, gid, SAFE_DIR_CREATE);
		if (fd != vhosts_fd)
			close(fd);
		if (next < 0)
			return safe_dir_refused(errno) ? 1 : -1;
		fd = next;
	}
	for (size_t j = 0; j < 3 && status == 0; j++) {
		char sub_path[PATH_MAX + 8];
		int s;

		snprintf(sub_path, sizeof(sub_path), "%s/%s", path, sub[j]);
		if ((s = safe_dir_open(fd, sub[j], sub_path, 0700, uid, gid, SAFE_DIR_CREATE)) >= 0)
			close(s);
		else
			status = safe_dir_refused(errno) ? 1 : -1;
	}
	close(fd);
	return status;
}

/* DIR_FD's DOMAIN/LOCAL, never through a link; made (0700, uid:gid) with CREATE. -1 if not. */
static int account_dir_open(int dir_fd, const char *dir, const struct account *a, uid_t uid,
			    gid_t gid, int flags)
{
	char path[PATH_MAX];
	int domain_fd, fd;

	snprintf(path, sizeof(path), "%s/%s", dir, a->domain);
	if ((domain_fd = safe_dir_open(dir_fd, a->domain, path, 0700, uid, gid, flags)) < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s/%s", dir, a->domain, a->local);
	fd = safe_dir_open(domain_fd, a->local, path, 0700, uid, gid, flags);
	close(domain_fd);
	return fd;
}

/*
 * Until November 2026 the home was the Maildir itself, so what Dovecot and
 * Pigeonhole keep in a home showed to clients as folders
 * (".dovecot.lda-dupes.locks" as dovecot/lda-dupes/locks, ".dovecot.sieve"
 * as a dovecot/sieve that cannot be opened). They move to the home once,
 * by renameat between descriptors: nothing followed, nothing copied. A
 * cache already in the home wins over the old one; a Sieve script in both
 * places stays where it is, with a warning.
 */
static const char *const home_files[] = {".dovecot.sieve",     ".dovecot.svbin",
					 ".dovecot.sieve.log", "sieve",
					 ".dovecot.lda-dupes", ".dovecot.lda-dupes.locks"};
#define HOME_FILES (sizeof(home_files) / sizeof(home_files[0]))

static bool has_home_files(int vhosts_fd, const struct account *a)
{
	char probe[PATH_MAX];

	for (size_t i = 0; i < HOME_FILES; i++) {
		snprintf(probe, sizeof(probe), "%s/%s/%s", a->domain, a->local, home_files[i]);
		if (faccessat(vhosts_fd, probe, F_OK, AT_SYMLINK_NOFOLLOW) == 0)
			return true;
	}
	return false;
}

static void move_home_files(int vhosts_fd, const char *vhosts, int home_fd, const char *home,
			    const struct account *a, uid_t uid, gid_t gid)
{
	int from = account_dir_open(vhosts_fd, vhosts, a, (uid_t)-1, (gid_t)-1, 0);
	int to = from < 0 ? -1 : account_dir_open(home_fd, home, a, uid, gid, SAFE_DIR_CREATE);
	unsigned moved = 0;

	for (size_t i = 0; to >= 0 && i < HOME_FILES; i++) {
		const char *name = home_files[i];
		bool cache = strncmp(name, ".dovecot.lda-dupes", 18) == 0;

		if (renameat2(from, name, to, name, RENAME_NOREPLACE) == 0) {
			moved++;
		} else if (errno == EEXIST && cache) {
			/* Dovecot made a new one in the home meanwhile: the old one is dead. */
			if (unlinkat(from, name, 0) != 0 && errno == EISDIR)
				unlinkat(from, name, AT_REMOVEDIR);
		} else if (errno == EEXIST) {
			log_warn("%s: %s/%s/%s/%s and the one in its home both exist: the first is "
				 "left where it is (merge them by hand)",
				 a->address, vhosts, a->domain, a->local, name);
		} else if (errno != ENOENT) {
			log_error_sys("%s: cannot move %s out of its Maildir", a->address, name);
		}
	}
	if (moved)
		log_info("%s: moved Dovecot's own files out of the Maildir, into %s/%s/%s "
			 "(they showed as folders)",
			 a->address, home, a->domain, a->local);
	if (from >= 0)
		close(from);
	if (to >= 0)
		close(to);
}

/* The Maildir is there whole (tmp, cur, new): the common case, nothing to make. */
static bool maildir_complete(int vhosts_fd, const struct account *acc)
{
	static const char *const parts[] = {"tmp", "cur", "new"};
	char probe[PATH_MAX];

	for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
		snprintf(probe, sizeof(probe), "%s/%s/%s", acc->domain, acc->local, parts[i]);
		if (faccessat(vhosts_fd, probe, F_OK, AT_SYMLINK_NOFOLLOW) != 0)
			return false;
	}
	return true;
}

/* One account: its home (moved out of an older store), then its Maildir. 0 or -1. */
static int account_prepare(int vhosts_fd, const char *vhosts, int home_fd, const char *home,
			   const struct account *acc, uid_t uid, gid_t gid)
{
	char probe[PATH_MAX];

	if (has_home_files(vhosts_fd, acc))
		move_home_files(vhosts_fd, vhosts, home_fd, home, acc, uid, gid);
	/* Homes: Sieve scripts and Dovecot's own files, apart from the mail. */
	snprintf(probe, sizeof(probe), "%s/%s", acc->domain, acc->local);
	if (faccessat(home_fd, probe, F_OK, AT_SYMLINK_NOFOLLOW) != 0) {
		int fd = account_dir_open(home_fd, home, acc, uid, gid, SAFE_DIR_CREATE);

		if (fd >= 0)
			close(fd);
		else if (!safe_dir_refused(errno))
			return -1;
	}
	if (maildir_complete(vhosts_fd, acc))
		return 0;
	int prepared = mailbox_prepare(vhosts_fd, vhosts, acc, uid, gid);
	if (prepared == 1)
		log_warn("%s: its mailbox was not prepared (see above); the other mailboxes were",
			 acc->address);
	return prepared < 0 ? -1 : 0;
}

int mail_dirs_prepare(const char *mail_dir, const struct account *accounts, size_t count, uid_t uid,
		      gid_t gid)
{
	char vhosts[PATH_MAX], home[PATH_MAX];
	int root_fd, vhosts_fd, home_fd, status = 0;

	/* MAIL_DIR itself is root's (a volume's mount point): made as root if missing. */
	if (file_mkdirs(mail_dir, 0755, (uid_t)-1, (gid_t)-1) != 0)
		return -1;
	if ((root_fd = open(mail_dir, O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error_sys("cannot open %s", mail_dir);
		return -1;
	}
	snprintf(vhosts, sizeof(vhosts), "%s/vhosts", mail_dir);
	snprintf(home, sizeof(home), "%s/home", mail_dir);
	vhosts_fd = safe_dir_open(root_fd, "vhosts", vhosts, 0755, uid, gid, SAFE_DIR_CREATE);
	home_fd = safe_dir_open(root_fd, "home", home, 0755, uid, gid, SAFE_DIR_CREATE);
	close(root_fd);
	if (vhosts_fd < 0 || home_fd < 0) {
		if (vhosts_fd >= 0)
			close(vhosts_fd);
		if (home_fd >= 0)
			close(home_fd);
		return -1;
	}
	for (size_t i = 0; i < count && status == 0; i++)
		status = account_prepare(vhosts_fd, vhosts, home_fd, home, &accounts[i], uid, gid);
	close(vhosts_fd);
	close(home_fd);
	return status;
}

int mail_owners_fix(const char *mail_dir, uid_t uid, gid_t gid)
{
	int64_t began = clock_ms();
	long changed, total = 0;
	char tree[PATH_MAX];

	for (int i = 0; i < 2; i++) {
		snprintf(tree, sizeof(tree), "%s/%s", mail_dir, i == 0 ? "vhosts" : "home");
		if ((changed = mail_owner_fix(tree, uid, gid)) < 0)
			return -1;
		if (changed > 0)
			log_info("%s: gave %ld entries to %u:%u", tree, changed, (unsigned)uid,
				 (unsigned)gid);
		total += changed;
	}
	log_debug("%s: owners checked in %lld ms, %ld changed", mail_dir,
		  (long long)(clock_ms() - began), total);
	return 0;
}

/*
 * The walk reads every entry under MAIL_DIR: linear in the mail stored (150 ms
 * per 100,000 files, far more from a cold cache), so it runs beside the
 * services instead of before them. It is safe beside them: it works through
 * descriptors only (above), and deliveries meanwhile are vmail's already.
 */
void mail_owners_fix_beside(const char *lock_path, const char *mail_dir, uid_t uid, gid_t gid)
{
	char queue_path[PATH_MAX];
	int lock_fd, queue_fd;
	pid_t pid;

	fflush(NULL); /* nothing buffered is written twice */
	if ((pid = fork()) < 0) {
		log_warn("cannot fork for the owner walk (%s): walking now", strerror(errno));
		mail_owners_fix(mail_dir, uid, gid);
		return;
	}
	if (pid > 0)
		return; /* the child outlives provisioning; PID 1 reaps it */
	/* Forked from a reload, it would hold the supervisor's pipes and sockets (the
	   services' output: their end never came) for as long as it walks. */
	log_standard_fds();
	close_range(3, ~0U, 0);
	/* Last in line for the CPU and the disk: the services come first. */
	if (setpriority(PRIO_PROCESS, 0, 19) != 0 ||
	    syscall(SYS_ioprio_set, IOPRIO_WHO_PROCESS, 0, IOPRIO_IDLE) != 0)
		log_debug("owner walk: lower priority refused: %s", strerror(errno));
	/*
	 * One walk at a time, and every change seen by a walk that begins after it was
	 * asked for: a walk under way may have passed a mailbox restored meanwhile, so the
	 * next one waits for it (LOCK_PATH) instead of leaving; one waiting is enough
	 * (LOCK_PATH.next). The locks are root's, in root's directory: no daemon can
	 * hold them to stop the walk.
	 */
	snprintf(queue_path, sizeof(queue_path), "%s.next", lock_path);
	lock_fd = open(lock_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	queue_fd = open(queue_path, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
	if (lock_fd < 0 || queue_fd < 0) {
		log_error_sys("cannot open %s: owners under %s not checked", lock_path, mail_dir);
		_exit(1);
	}
	if (flock(queue_fd, LOCK_EX | LOCK_NB) != 0)
		_exit(0); /* one is waiting already: it begins after this was asked for */
	if (flock(lock_fd, LOCK_EX) != 0) {
		log_error_sys("cannot lock %s: owners under %s not checked", lock_path, mail_dir);
		_exit(1);
	}
	close(queue_fd); /* walking now: the next request queues behind this walk */
	_exit(mail_owners_fix(mail_dir, uid, gid) == 0 ? 0 : 1);
}
