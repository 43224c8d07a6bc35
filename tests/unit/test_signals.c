#include <signal.h>

#include "base/signals.h"
#include "unit.h"

static void names_round_trip(void **state)
{
	(void)state;
	assert_int_equal(signal_from_name("HUP"), SIGHUP);
	assert_int_equal(signal_from_name("sigterm"), SIGTERM);
	assert_int_equal(signal_from_name("SIGUSR1"), SIGUSR1);
	assert_int_equal(signal_from_name("9"), SIGKILL);
	assert_string_equal(signal_name(SIGWINCH), "WINCH");
	for (int sig = 1; sig < 32; sig++)
		assert_int_equal(signal_from_name(signal_name(sig)), sig);
}

static void unknown_names_are_zero(void **state)
{
	(void)state;
	assert_int_equal(signal_from_name("TERMINATE"), 0);
	assert_int_equal(signal_from_name(""), 0);
	assert_int_equal(signal_from_name("SIG"), 0);
	assert_int_equal(signal_from_name("0"), 0);
	assert_int_equal(signal_from_name("65"), 0);
	assert_int_equal(signal_from_name("1x"), 0);
}

/* Faults stay with the thread that caused them; PIPE is ignored, not read. */
static void handled_set_excludes_faults_and_pipe(void **state)
{
	sigset_t set;

	(void)state;
	signals_handled(&set);
	assert_true(sigismember(&set, SIGTERM));
	assert_true(sigismember(&set, SIGCHLD));
	assert_true(sigismember(&set, SIGHUP));
	assert_true(sigismember(&set, SIGUSR2));
	assert_true(sigismember(&set, SIGRTMIN));
	assert_false(sigismember(&set, SIGSEGV));
	assert_false(sigismember(&set, SIGBUS));
	assert_false(sigismember(&set, SIGFPE));
	assert_false(sigismember(&set, SIGILL));
	assert_false(sigismember(&set, SIGPIPE));
	assert_false(sigismember(&set, SIGKILL));
}

static void relayed_are_the_ones_without_meaning_to_mailinit(void **state)
{
	(void)state;
	assert_true(signal_is_relayed(SIGUSR1));
	assert_true(signal_is_relayed(SIGUSR2));
	assert_true(signal_is_relayed(SIGWINCH));
	assert_true(signal_is_relayed(SIGQUIT));
	assert_true(signal_is_relayed(SIGRTMIN + 1));
	assert_false(signal_is_relayed(SIGTERM)); /* stop: mailinit orders it */
	assert_false(signal_is_relayed(SIGINT));
	assert_false(signal_is_relayed(SIGHUP)); /* reload: each service's own action */
	assert_false(signal_is_relayed(SIGCHLD));
	assert_false(signal_is_relayed(SIGKILL));
	assert_false(signal_is_relayed(SIGSEGV));
}

int run_signals_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(names_round_trip),
	    cmocka_unit_test(unknown_names_are_zero),
	    cmocka_unit_test(handled_set_excludes_faults_and_pipe),
	    cmocka_unit_test(relayed_are_the_ones_without_meaning_to_mailinit),
	};
	return cmocka_run_group_tests_name("signals", tests, NULL, NULL);
}
