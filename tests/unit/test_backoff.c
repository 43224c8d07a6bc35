#include "init/backoff.h"
#include "unit.h"

static const struct restart_policy policy = RESTART_POLICY_DEFAULT;

/* Delays double from 1 s with each failure inside the window. */
static void delays_double_then_give_up(void **state)
{
	struct restart_history history = {0};
	unsigned delay = 0;
	const unsigned expected[] = {1, 2, 4, 8};
	int64_t t = 1000000;

	(void)state;
	for (unsigned i = 0; i < 4; i++) {
		assert_false(restart_record_failure(&history, &policy, t, &delay));
		assert_int_equal(delay, expected[i]);
		t += (int64_t)delay * 1000 + 100;
	}
	/* The fifth failure within 60 s: give up. */
	assert_true(restart_record_failure(&history, &policy, t, &delay));
}

/* Failures spread wider than the window never add up to the limit. */
static void occasional_failures_are_restarted_forever(void **state)
{
	struct restart_history history = {0};
	unsigned delay = 0;
	int64_t t = 0;

	(void)state;
	for (int i = 0; i < 100; i++) {
		t += 61 * 1000;
		assert_false(restart_record_failure(&history, &policy, t, &delay));
		assert_int_equal(delay, 1);
	}
}

/* The delay never exceeds the cap, however many failures there were. */
static void delay_is_capped(void **state)
{
	struct restart_policy tolerant = {.initial = 1, .max = 30, .limit = 32, .window = 3600};
	struct restart_history history = {0};
	unsigned delay = 0;

	(void)state;
	for (int i = 0; i < 31; i++) {
		assert_false(restart_record_failure(&history, &tolerant, i * 1000, &delay));
		assert_true(delay <= 30);
	}
	assert_int_equal(delay, 30);
}

/* Failures older than the window stop counting. */
static void window_slides(void **state)
{
	struct restart_history history = {0};
	unsigned delay = 0;

	(void)state;
	for (int i = 0; i < 4; i++)
		assert_false(restart_record_failure(&history, &policy, i * 1000, &delay));
	assert_int_equal(restart_recent_failures(&history, &policy, 3000), 4);
	assert_int_equal(restart_recent_failures(&history, &policy, 61500), 2);
	assert_false(restart_record_failure(&history, &policy, 62000, &delay));
	assert_int_equal(delay, 2); /* only the failures at 3 s and 62 s are recent */
}

/* A limit of 1 gives up at the first failure. */
static void limit_one_gives_up_at_once(void **state)
{
	struct restart_policy strict = {.initial = 1, .max = 30, .limit = 1, .window = 60};
	struct restart_history history = {0};
	unsigned delay = 0;

	(void)state;
	assert_true(restart_record_failure(&history, &strict, 5, &delay));
}

int run_backoff_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(delays_double_then_give_up),
	    cmocka_unit_test(occasional_failures_are_restarted_forever),
	    cmocka_unit_test(delay_is_capped),
	    cmocka_unit_test(window_slides),
	    cmocka_unit_test(limit_one_gives_up_at_once),
	};
	return cmocka_run_group_tests_name("backoff", tests, NULL, NULL);
}
