#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "init/caps.h"
#include "unit.h"

/* The daemons' set: CHOWN DAC_OVERRIDE FOWNER KILL SETGID SETUID NET_BIND_SERVICE SYS_CHROOT. */
#define NEEDED_MASK 0x00000000000404ebULL

static unsigned long long bounding_set(void)
{
	char line[256];
	unsigned long long mask = 0;
	FILE *f = fopen("/proc/self/status", "r");

	while (f && fgets(line, sizeof(line), f))
		if (sscanf(line, "CapBnd: %llx", &mask) == 1)
			break;
	if (f)
		fclose(f);
	return mask;
}

/* Run body in a child (dropping capabilities cannot be undone); its exit status.
   A child killed by a signal (an abort, a crash) fails the test: WEXITSTATUS of
   such a status reads 0, which looked like success. */
static int in_child(int (*body)(char *msg, size_t size), char *msg, size_t size)
{
	int pipefd[2], status = 0;
	pid_t pid;

	assert_int_equal(pipe(pipefd), 0);
	pid = fork();
	assert_true(pid >= 0);
	if (pid == 0) {
		char text[2048] = "";
		int code = body(text, sizeof(text));
		if (write(pipefd[1], text, strlen(text)) < 0)
			_exit(99);
		_exit(code);
	}
	close(pipefd[1]);
	ssize_t got = read(pipefd[0], msg, size - 1);
	msg[got > 0 ? got : 0] = '\0';
	close(pipefd[0]);
	assert_int_equal(waitpid(pid, &status, 0), pid);
	if (WIFSIGNALED(status))
		fail_msg("the child was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	assert_true(WIFEXITED(status));
	return WEXITSTATUS(status);
}

static int drop_as_root(char *msg, size_t size)
{
	capture_begin();
	int status = caps_check_and_drop();
	capture_end(msg, size);
	if (status != 0)
		return status;
	if (bounding_set() != NEEDED_MASK)
		return 100;
	/* mailinit's own sets too: nothing beyond the eight. */
	cap_t caps = cap_get_proc();
	cap_flag_value_t on;
	int extra = 0;
	for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++) {
		bool needed = (NEEDED_MASK >> cap) & 1;
		cap_get_flag(caps, cap, CAP_PERMITTED, &on);
		extra |= on == CAP_SET && !needed;
		cap_get_flag(caps, cap, CAP_EFFECTIVE, &on);
		extra |= (on == CAP_SET) != needed;
	}
	cap_free(caps);
	return extra ? 102 : 0;
}

static int without_net_bind(char *msg, size_t size)
{
	cap_t caps = cap_get_proc();
	cap_value_t drop = CAP_NET_BIND_SERVICE;

	cap_set_flag(caps, CAP_EFFECTIVE, 1, &drop, CAP_CLEAR);
	cap_set_flag(caps, CAP_PERMITTED, 1, &drop, CAP_CLEAR);
	if (cap_set_proc(caps) != 0)
		return 101;
	cap_free(caps);
	capture_begin();
	int status = caps_check_and_drop();
	capture_end(msg, size);
	return status;
}

static void only_the_needed_capabilities_stay_in_the_bounding_set(void **state)
{
	char msg[2048];

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(drop_as_root, msg, sizeof(msg)), 0);
}

static void a_missing_capability_is_named_with_the_flag_that_adds_it(void **state)
{
	char msg[2048];

	(void)state;
	if (geteuid() != 0)
		skip();
	assert_int_equal(in_child(without_net_bind, msg, sizeof(msg)), 78);
	assert_non_null(strstr(msg, "capability cap_net_bind_service is missing"));
	assert_non_null(strstr(msg, "--cap-add net_bind_service"));
}

int run_caps_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(only_the_needed_capabilities_stay_in_the_bounding_set),
	    cmocka_unit_test(a_missing_capability_is_named_with_the_flag_that_adds_it),
	};
	return cmocka_run_group_tests_name("caps", tests, NULL, NULL);
}
