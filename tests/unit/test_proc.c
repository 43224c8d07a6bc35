#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/proc.h"
#include "unit.h"

static char *write_temp(const char *content)
{
	static char path[64];
	FILE *f;

	snprintf(path, sizeof(path), "/tmp/mailinit-unit-XXXXXX");
	int fd = mkstemp(path);
	assert_true(fd >= 0);
	f = fdopen(fd, "w");
	fputs(content, f);
	fclose(f);
	return path;
}

static pid_t pidfile_of(const char *content)
{
	char *path = write_temp(content);
	pid_t pid = proc_read_pidfile(path);

	unlink(path);
	return pid;
}

static void pidfile_formats(void **state)
{
	(void)state;
	assert_int_equal(pidfile_of("1234\n"), 1234);
	assert_int_equal(pidfile_of("      4321\n"), 4321); /* Postfix: "%10d\n" */
	assert_int_equal(pidfile_of("77"), 77);
	assert_int_equal(pidfile_of(""), 0);
	assert_int_equal(pidfile_of("abc\n"), 0);
	assert_int_equal(pidfile_of("12 34\n"), 0);
	assert_int_equal(pidfile_of("1\n"), 0); /* never PID 1 */
	assert_int_equal(pidfile_of("-5\n"), 0);
	assert_int_equal(pidfile_of("99999999999999999999\n"), 0);
	assert_int_equal(proc_read_pidfile("/nonexistent/pid"), 0);
}

static void exec_failures_map_to_shell_codes(void **state)
{
	(void)state;
	assert_int_equal(proc_exec_failure_status(ENOENT), 127);
	assert_int_equal(proc_exec_failure_status(EACCES), 126);
	assert_int_equal(proc_exec_failure_status(ENOEXEC), 126);
	assert_int_equal(proc_exec_failure_status(EAGAIN), 0);
}

static void spawn_reports_missing_and_unexecutable(void **state)
{
	char *missing[] = {"/nonexistent/daemon", NULL};
	char *not_in_path[] = {"mailinit-no-such-command", NULL};
	char *path = write_temp("#!/bin/sh\n");
	char *not_executable[] = {path, NULL};

	(void)state;
	assert_int_equal(proc_spawn(missing), -ENOENT);
	assert_int_equal(proc_spawn(not_in_path), -ENOENT);
	assert_int_equal(proc_spawn(not_executable), -EACCES);
	unlink(path);
}

static void spawned_child_is_ours_and_its_status_is_described(void **state)
{
	char *argv[] = {"sh", "-c", "exit 3", NULL};
	char *sleeper[] = {"sleep", "10", NULL};
	char text[96];
	int status;
	pid_t pid;

	(void)state;
	pid = proc_spawn(sleeper);
	assert_true(pid > 0);
	assert_true(proc_is_descendant(pid, getpid()));
	assert_false(proc_is_descendant(getpid(), pid));
	assert_int_equal(getpgid(pid), pid); /* its own process group */
	kill(pid, SIGKILL);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	proc_describe_status(status, text, sizeof(text));
	assert_string_equal(text, "killed by signal 9 (SIGKILL)");

	pid = proc_spawn(argv);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	proc_describe_status(status, text, sizeof(text));
	assert_string_equal(text, "exited with status 3");
}

int run_proc_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(pidfile_formats),
	    cmocka_unit_test(exec_failures_map_to_shell_codes),
	    cmocka_unit_test(spawn_reports_missing_and_unexecutable),
	    cmocka_unit_test(spawned_child_is_ours_and_its_status_is_described),
	};
	return cmocka_run_group_tests_name("proc", tests, NULL, NULL);
}
