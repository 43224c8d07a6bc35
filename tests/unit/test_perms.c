#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "perms.h"
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

int run_perms_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(maildirs_are_made_and_only_wrong_owners_fixed),
	};
	return cmocka_run_group_tests_name("perms", tests, NULL, NULL);
}
