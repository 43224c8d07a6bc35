#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/stat.h>
#include <unistd.h>

#include "unit.h"
#include "init/watch.h"

static void names_that_are_not_changes(void **state)
{
	(void)state;
	assert_true(watch_name_matters("accounts"));
	assert_true(watch_name_matters("..data")); /* Kubernetes' swap */
	assert_true(watch_name_matters("tls.crt"));
	assert_false(watch_name_matters(".lock"));
	assert_false(watch_name_matters(".accounts.swp"));
	assert_false(watch_name_matters("accounts~"));
	assert_false(watch_name_matters("4913.swx"));
}

static bool changed_after(int fd)
{
	struct pollfd p = {.fd = fd, .events = POLLIN};

	return poll(&p, 1, 1000) == 1 && watch_drain(fd);
}

static void a_rename_into_a_watched_directory_is_seen(void **state)
{
	char dir[] = "/tmp/mailinit-watch.XXXXXX", path[128], tmp[128];
	char *dirs[1];
	int fd;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	dirs[0] = dir;
	fd = watch_open(dirs, 1);
	assert_true(fd >= 0);
	/* A lock file alone: nothing that matters, and no event is left pending. */
	snprintf(path, sizeof(path), "%s/.lock", dir);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
	assert_false(changed_after(fd));
	/* file_write's way: a temporary file renamed into place. */
	snprintf(tmp, sizeof(tmp), "%s/.accounts.tmp", dir);
	snprintf(path, sizeof(path), "%s/accounts", dir);
	assert_non_null(f = fopen(tmp, "w"));
	fputs("x\n", f);
	fclose(f);
	assert_int_equal(rename(tmp, path), 0);
	assert_true(changed_after(fd));
	unlink(path);
	snprintf(path, sizeof(path), "%s/.lock", dir);
	unlink(path);
	rmdir(dir);
	close(fd);
}

static void touch(const char *dir, const char *name)
{
	char path[160];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	assert_non_null(f = fopen(path, "w"));
	fclose(f);
}

/* "DIR/+": changes in DIR's subdirectories are seen, in those made after the watch too,
   but not in one whose name starts with a dot (a Kubernetes secret's ..2026_... data). */
static void a_deep_watch_sees_subdirectories_old_and_new(void **state)
{
	char dir[] = "/tmp/mailinit-watch.XXXXXX", spec[64], old[96], new[96], hidden[96];
	char remove[96];
	char *dirs[1] = {spec};
	int fd;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(spec, sizeof(spec), "%s/+", dir);
	snprintf(old, sizeof(old), "%s/old.example", dir);
	snprintf(new, sizeof(new), "%s/new.example", dir);
	snprintf(hidden, sizeof(hidden), "%s/..data-dir", dir);
	assert_int_equal(mkdir(old, 0700), 0);
	assert_int_equal(mkdir(hidden, 0700), 0);
	fd = watch_open(dirs, 1);
	assert_true(fd >= 0);
	touch(old, "fullchain.pem");
	assert_true(changed_after(fd));
	touch(hidden, "tls.crt");
	assert_false(changed_after(fd));
	assert_int_equal(mkdir(new, 0700), 0);
	assert_true(changed_after(fd));
	touch(new, "privkey.pem");
	assert_true(changed_after(fd));
	close(fd);
	snprintf(remove, sizeof(remove), "rm -rf %s", dir);
	assert_int_equal(system(remove), 0);
}

int run_watch_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names_that_are_not_changes),
	    cmocka_unit_test(a_rename_into_a_watched_directory_is_seen),
	    cmocka_unit_test(a_deep_watch_sees_subdirectories_old_and_new),
	};
	return cmocka_run_group_tests_name("watch", tests, NULL, NULL);
}
