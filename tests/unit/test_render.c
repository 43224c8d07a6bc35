#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "capture.h"
#include "base/file.h"
#include "unit.h"

static void writes_whole_files_dated_into_the_past(void **state)
{
	char dir[] = "/tmp/mailinit-render-XXXXXX", path[128], command[160];
	struct stat first, again;
	size_t len;
	char *text;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(path, sizeof(path), "%s/a/b/main.cf", dir);
	snprintf(command, sizeof(command), "%s/a/b", dir);
	assert_int_equal(file_mkdirs(command, 0750, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(file_write(path, "x = 1\n", 6, 0640, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(stat(path, &first), 0);
	assert_int_equal(first.st_mode & 07777, 0640);
	/* Postfix sleeps while main.cf looks newer than now. */
	assert_true(first.st_mtime <= time(NULL) - 1);
	text = file_read(path, &len);
	assert_string_equal(text, "x = 1\n");
	free(text);

	/* The same content again: the file is left alone (same inode). */
	assert_int_equal(file_write(path, "x = 1\n", 6, 0640, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(stat(path, &again), 0);
	assert_int_equal(first.st_ino, again.st_ino);
	/* New content replaces it by rename, and no temporary file is left. */
	assert_int_equal(file_write(path, "x = 2\n", 6, 0640, (uid_t)-1, (gid_t)-1), 0);
	assert_int_equal(stat(path, &again), 0);
	assert_int_not_equal(first.st_ino, again.st_ino);
	snprintf(command, sizeof(command), "test $(ls -A '%s/a/b' | wc -l) -eq 1", dir);
	assert_int_equal(system(command), 0);
	snprintf(command, sizeof(command), "%s/a", dir);
	struct stat st;
	assert_int_equal(stat(command, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0750);
	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	assert_int_equal(system(command), 0);
}

static void a_write_that_cannot_happen_leaves_the_old_file(void **state)
{
	char msg[512];

	(void)state;
	capture_begin();
	assert_int_equal(file_write("/nonexistent/dir/main.cf", "x", 1, 0644, (uid_t)-1, (gid_t)-1),
			 -1);
	capture_end(msg, sizeof(msg));
	assert_non_null(strstr(msg, "cannot create a file next to /nonexistent/dir/main.cf"));
}

static void files_without_a_size_are_read_to_their_end(void **state)
{
	size_t len = 0;
	char *comm = file_read("/proc/self/comm", &len);

	(void)state;
	/* /proc reports st_size 0: a read by size would give "" (mailinit reload missed PID 1). */
	assert_non_null(comm);
	assert_true(len > 1);
	assert_int_equal(comm[len - 1], '\n');
	assert_int_equal(strlen(comm), len);
	free(comm);
}

int run_render_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(files_without_a_size_are_read_to_their_end),
	    cmocka_unit_test(writes_whole_files_dated_into_the_past),
	    cmocka_unit_test(a_write_that_cannot_happen_leaves_the_old_file),
	};
	return cmocka_run_group_tests_name("render", tests, NULL, NULL);
}
