#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/file.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "mail/perms.h"
#include "unit.h"

static void owner_of(const char *path, uid_t *uid, gid_t *gid)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	*uid = st.st_uid;
	*gid = st.st_gid;
}

/* Maildirs appear for every account; only entries with the wrong owner are changed. */
static void maildirs_are_made_and_only_wrong_owners_fixed(void **state)
{
	char base[] = "/tmp/mailinit-perms-XXXXXX", path[512], msg[1024];
	struct account accounts[2] = {
	    {.address = "alice@example.test", .local = "alice", .domain = "example.test"},
	    {.address = "bob@other.test", .local = "bob", .domain = "other.test"},
	};
	uid_t uid, want_uid = geteuid() == 0 ? 5000 : geteuid();
	gid_t gid, want_gid = geteuid() == 0 ? 5000 : getegid();

	(void)state;
	assert_non_null(mkdtemp(base));
	capture_begin();
	assert_int_equal(mail_dirs_prepare(base, accounts, 2, want_uid, want_gid), 0);
	capture_end(msg, sizeof(msg));
	snprintf(path, sizeof(path), "%s/vhosts/other.test/bob/new", base);
	owner_of(path, &uid, &gid);
	assert_int_equal(uid, want_uid);
	assert_int_equal(gid, want_gid);
	snprintf(path, sizeof(path), "%s/vhosts/example.test/alice/cur", base);
	assert_int_equal(access(path, F_OK), 0);

	/* A correct tree: nothing to change. */
	snprintf(path, sizeof(path), "%s/vhosts", base);
	capture_begin();
	long changed = mail_owner_fix(path, want_uid, want_gid);
	capture_end(msg, sizeof(msg));
	assert_int_equal(changed, 0);
	if (geteuid() == 0) {
		/* One stray file (say, restored from a backup as root) is the only change. */
		snprintf(path, sizeof(path), "%s/vhosts/example.test/alice/new/1.mail", base);
		int fd = open(path, O_CREAT | O_WRONLY, 0600);
		assert_true(fd >= 0);
		close(fd);
		assert_int_equal(chown(path, 0, 0), 0);
		snprintf(path, sizeof(path), "%s/vhosts", base);
		assert_int_equal(mail_owner_fix(path, want_uid, want_gid), 1);
		snprintf(path, sizeof(path), "%s/vhosts/example.test/alice/new/1.mail", base);
		owner_of(path, &uid, &gid);
		assert_int_equal(uid, want_uid);
	}
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	assert_int_equal(system(path), 0);
}

static void mode_and_owner(const char *path, mode_t *mode, uid_t *uid)
{
	struct stat st;

	assert_int_equal(lstat(path, &st), 0);
	*mode = st.st_mode & 07777;
	*uid = st.st_uid;
}

/*
 * vmail swapped a domain directory, a mailbox directory and a cur/ for symbolic
 * links to root's things outside the tree: provisioning (as root) leaves every
 * target as it was, says so, and still prepares the other mailboxes.
 */
static void symlinks_in_the_mail_tree_are_never_followed(void **state)
{
	char base[] = "/tmp/mailinit-perms-XXXXXX", path[512], target[512], msg[4096];
	struct account accounts[4] = {
	    {.address = "alice@example.test", .local = "alice", .domain = "example.test"},
	    {.address = "bob@other.test", .local = "bob", .domain = "other.test"},
	    {.address = "carl@third.test", .local = "carl", .domain = "third.test"},
	    {.address = "dave@fourth.test", .local = "dave", .domain = "fourth.test"},
	};
	mode_t mode;
	uid_t uid;
	int fd;

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_non_null(mkdtemp(base));
	snprintf(path, sizeof(path), "%s/outside", base);
	assert_int_equal(mkdir(path, 0755), 0);
	snprintf(path, sizeof(path), "%s/outside/secret", base);
	assert_true((fd = open(path, O_CREAT | O_WRONLY, 0644)) >= 0);
	close(fd);
	assert_int_equal(chmod(path, 0644), 0);
	snprintf(msg, sizeof(msg),
		 "mkdir -p %s/mail/vhosts/other.test %s/mail/vhosts/third.test/carl", base, base);
	assert_int_equal(system(msg), 0);
	snprintf(target, sizeof(target), "%s/outside", base);
	snprintf(path, sizeof(path), "%s/mail/vhosts/example.test", base);
	assert_int_equal(symlink(target, path), 0);
	snprintf(path, sizeof(path), "%s/mail/vhosts/other.test/bob", base);
	assert_int_equal(symlink(target, path), 0);
	snprintf(target, sizeof(target), "%s/outside/secret", base);
	snprintf(path, sizeof(path), "%s/mail/vhosts/third.test/carl/cur", base);
	assert_int_equal(symlink(target, path), 0);

	snprintf(path, sizeof(path), "%s/mail", base);
	capture_begin();
	assert_int_equal(mail_dirs_prepare(path, accounts, 4, 5000, 5000), 0);
	capture_end(msg, sizeof(msg));

	/* The targets: untouched. */
	snprintf(path, sizeof(path), "%s/outside", base);
	mode_and_owner(path, &mode, &uid);
	assert_int_equal(uid, 0);
	assert_int_equal(mode, 0755);
	snprintf(path, sizeof(path), "%s/outside/alice", base);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/outside/cur", base);
	assert_int_not_equal(access(path, F_OK), 0);
	snprintf(path, sizeof(path), "%s/outside/secret", base);
	mode_and_owner(path, &mode, &uid);
	assert_int_equal(uid, 0);
	assert_int_equal(mode, 0644);
	/* Each refusal named; the untouched mailbox made. */
	snprintf(path, sizeof(path), "%s/mail/vhosts/example.test is a symbolic link", base);
	assert_non_null(strstr(msg, path));
	snprintf(path, sizeof(path), "%s/mail/vhosts/other.test/bob is a symbolic link", base);
	assert_non_null(strstr(msg, path));
	snprintf(path, sizeof(path), "%s/mail/vhosts/third.test/carl/cur is a symbolic link", base);
	assert_non_null(strstr(msg, path));
	snprintf(path, sizeof(path), "%s/mail/vhosts/fourth.test/dave/new", base);
	mode_and_owner(path, &mode, &uid);
	assert_int_equal(uid, 5000);
	assert_int_equal(mode, 0700);

	/* The owner walk alone, again: the links get vmail's owner, their targets do not. */
	snprintf(path, sizeof(path), "%s/mail/vhosts", base);
	capture_begin();
	assert_true(mail_owner_fix(path, 6000, 6000) > 0);
	capture_end(msg, sizeof(msg));
	snprintf(path, sizeof(path), "%s/outside/secret", base);
	mode_and_owner(path, &mode, &uid);
	assert_int_equal(uid, 0);
	snprintf(path, sizeof(path), "%s/outside", base);
	mode_and_owner(path, &mode, &uid);
	assert_int_equal(uid, 0);
	snprintf(path, sizeof(path), "rm -rf '%s'", base);
	assert_int_equal(system(path), 0);
}

static void make_file(const char *dir, const char *name, const char *text)
{
	char path[600];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fputs(text, f);
	fclose(f);
}

/* A store of the old layout (home = Maildir): Dovecot's files move to the home, mail stays. */
static void dovecot_files_leave_the_maildir_for_the_home(void **state)
{
	char base[] = "/tmp/mailinit-home-XXXXXX", maildir[256], home[256], path[600],
	     link[64] = "", msg[2048];
	struct account alice = {
	    .address = "alice@example.test", .local = "alice", .domain = "example.test"};
	struct stat st;
	ssize_t n;

	(void)state;
	assert_non_null(mkdtemp(base));
	capture_begin();
	assert_int_equal(mail_dirs_prepare(base, &alice, 1, 5000, 5000), 0);
	snprintf(maildir, sizeof(maildir), "%s/vhosts/example.test/alice", base);
	snprintf(home, sizeof(home), "%s/home/example.test/alice", base);
	snprintf(path, sizeof(path), "%s/sieve", maildir);
	assert_int_equal(mkdir(path, 0700), 0);
	make_file(path, "rules.sieve", "keep;\n");
	snprintf(path, sizeof(path), "%s/.dovecot.sieve", maildir);
	assert_int_equal(symlink("sieve/rules.sieve", path), 0);
	make_file(maildir, ".dovecot.lda-dupes", "old");
	snprintf(path, sizeof(path), "%s/.dovecot.lda-dupes.locks", maildir);
	assert_int_equal(mkdir(path, 0700), 0);
	make_file(maildir, "dovecot-uidlist", "3 V1 N1\n"); /* the Maildir's own: stays */
	/* Twice: the second start finds nothing to move. */
	assert_int_equal(mail_dirs_prepare(base, &alice, 1, 5000, 5000), 0);
	assert_int_equal(mail_dirs_prepare(base, &alice, 1, 5000, 5000), 0);
	capture_end(msg, sizeof(msg));

	assert_non_null(strstr(msg, "alice@example.test: moved Dovecot's own files out of the "
				    "Maildir"));
	assert_null(strstr(strstr(msg, "moved Dovecot's") + 1, "moved Dovecot's"));
	for (size_t i = 0; i < 4; i++) {
		static const char *const gone[] = {".dovecot.sieve", "sieve", ".dovecot.lda-dupes",
						   ".dovecot.lda-dupes.locks"};

		snprintf(path, sizeof(path), "%s/%s", maildir, gone[i]);
		assert_int_not_equal(lstat(path, &st), 0);
		snprintf(path, sizeof(path), "%s/%s", home, gone[i]);
		assert_int_equal(lstat(path, &st), 0);
	}
	/* The active-script link still points at its script, relative to the home. */
	snprintf(path, sizeof(path), "%s/.dovecot.sieve", home);
	assert_true((n = readlink(path, link, sizeof(link) - 1)) > 0);
	assert_string_equal(link, "sieve/rules.sieve");
	snprintf(path, sizeof(path), "%s/sieve/rules.sieve", home);
	assert_int_equal(stat(path, &st), 0);
	snprintf(path, sizeof(path), "%s/dovecot-uidlist", maildir);
	assert_int_equal(stat(path, &st), 0);
	owner_of(home, &st.st_uid, &st.st_gid);
	assert_int_equal(st.st_uid, 5000);
}

/* A hard link vmail made to a file outside the tree: that file is never given away. */
static void a_hard_link_to_a_file_elsewhere_keeps_its_owner(void **state)
{
	char base[] = "/tmp/mailinit-hard-XXXXXX", victim[256], link_path[600], msg[2048];
	struct account alice = {
	    .address = "alice@example.test", .local = "alice", .domain = "example.test"};
	uid_t uid;
	gid_t gid;

	(void)state;
	if (geteuid() != 0)
		skip(); /* owners other than one's own need root */
	assert_non_null(mkdtemp(base));
	capture_begin();
	assert_int_equal(mail_dirs_prepare(base, &alice, 1, 5000, 5000), 0);
	snprintf(victim, sizeof(victim), "%s/shadow", base);
	make_file(base, "shadow", "root's\n");
	snprintf(link_path, sizeof(link_path), "%s/vhosts/example.test/alice/cur/1.mail", base);
	assert_int_equal(link(victim, link_path), 0);
	assert_int_equal(mail_owners_fix(base, 5000, 5000), 0);
	capture_end(msg, sizeof(msg));
	owner_of(victim, &uid, &gid);
	assert_int_equal(uid, 0);
	assert_non_null(strstr(msg, "1.mail: not 5000's and has 2 names (hard links): left alone"));
}

/*
 * A start prepares the mailboxes and leaves the owner walk to a child beside the
 * services: mail_dirs_prepare returns with a stray owner still in place, the child
 * fixes it. While a walk runs, the next one waits for it and a third walks nothing.
 */
static void the_owner_walk_runs_beside_one_at_a_time_one_waiting(void **state)
{
	char base[] = "/tmp/mailinit-beside-XXXXXX", lock[300], stray[600], msg[2048];
	struct account alice = {
	    .address = "alice@example.test", .local = "alice", .domain = "example.test"};
	uid_t uid;
	gid_t gid;
	int status, held;

	(void)state;
	if (geteuid() != 0)
		skip(); /* owners other than one's own need root */
	assert_non_null(mkdtemp(base));
	snprintf(lock, sizeof(lock), "%s/owner-walk.lock", base);
	snprintf(stray, sizeof(stray), "%s/vhosts/example.test/alice/cur/1.mail", base);
	capture_begin();
	assert_int_equal(mail_dirs_prepare(base, &alice, 1, 5000, 5000), 0);
	make_file(base, "vhosts/example.test/alice/cur/1.mail", "restored as root\n");
	assert_int_equal(mail_dirs_prepare(base, &alice, 1, 5000, 5000), 0);
	owner_of(stray, &uid, &gid);
	assert_int_equal(uid, 0); /* the start itself walks nothing */

	/* A walk under way (its lock held): one more waits for it, a third leaves. */
	assert_true((held = open(lock, O_WRONLY | O_CREAT, 0600)) >= 0);
	assert_int_equal(flock(held, LOCK_EX), 0);
	mail_owners_fix_beside(lock, base, 5000, 5000);
	mail_owners_fix_beside(lock, base, 5000, 5000);
	assert_true(wait(&status) > 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	owner_of(stray, &uid, &gid);
	assert_int_equal(uid, 0); /* the one that left walked nothing */
	close(held);              /* the walk under way ends: the waiting one walks */
	assert_true(wait(&status) > 0);
	capture_end(msg, sizeof(msg));
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	owner_of(stray, &uid, &gid);
	assert_int_equal(uid, 5000);
	assert_int_equal(gid, 5000);
	snprintf(stray, sizeof(stray), "%s/vhosts: gave 1 entries to 5000:5000", base);
	assert_non_null(strstr(msg, stray));
	snprintf(stray, sizeof(stray), "rm -rf '%s'", base);
	assert_int_equal(system(stray), 0);
}

int run_perms_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(maildirs_are_made_and_only_wrong_owners_fixed),
	    cmocka_unit_test(symlinks_in_the_mail_tree_are_never_followed),
	    cmocka_unit_test(dovecot_files_leave_the_maildir_for_the_home),
	    cmocka_unit_test(a_hard_link_to_a_file_elsewhere_keeps_its_owner),
	    cmocka_unit_test(the_owner_walk_runs_beside_one_at_a_time_one_waiting),
	};
	return cmocka_run_group_tests_name("perms", tests, NULL, NULL);
}
