#include "init/lifecycle.h"
#include "unit.h"

static void expect(enum svc_state from, enum svc_event event, enum svc_state to,
		   enum svc_action action)
{
	struct transition t = lifecycle_next(from, event);

	assert_string_equal(lifecycle_state_name(t.next), lifecycle_state_name(to));
	assert_int_equal(t.action, action);
}

static void start_spawns(void **state)
{
	(void)state;
	expect(SVC_DOWN, SVC_EV_START, SVC_RUNNING, SVC_ACT_SPAWN);
}

static void crash_backs_off_then_restarts(void **state)
{
	(void)state;
	expect(SVC_RUNNING, SVC_EV_EXITED, SVC_BACKOFF, SVC_ACT_SCHEDULE_RESTART);
	expect(SVC_BACKOFF, SVC_EV_RESTART_DUE, SVC_RUNNING, SVC_ACT_SPAWN);
}

static void repeated_crash_or_exec_failure_gives_up(void **state)
{
	(void)state;
	expect(SVC_RUNNING, SVC_EV_EXITED_TOO_OFTEN, SVC_FAILED, SVC_ACT_GIVE_UP);
	expect(SVC_RUNNING, SVC_EV_EXEC_FAILED, SVC_FAILED, SVC_ACT_GIVE_UP);
}

static void stop_of_a_running_service_drains_signals_and_waits(void **state)
{
	(void)state;
	expect(SVC_RUNNING, SVC_EV_STOP, SVC_DRAINING, SVC_ACT_DRAIN);
	expect(SVC_DRAINING, SVC_EV_DRAINED, SVC_STOPPING, SVC_ACT_SEND_STOP);
	expect(SVC_STOPPING, SVC_EV_GONE, SVC_STOPPED, SVC_ACT_NONE);
	expect(SVC_STOPPING, SVC_EV_GRACE_OVER, SVC_STOPPING, SVC_ACT_KILL);
}

/* The drain is bounded: the grace limit kills; a daemon gone meanwhile is stopped. */
static void a_drain_ends_at_the_grace_limit_or_with_the_daemon(void **state)
{
	(void)state;
	expect(SVC_DRAINING, SVC_EV_GRACE_OVER, SVC_STOPPING, SVC_ACT_KILL);
	expect(SVC_DRAINING, SVC_EV_GONE, SVC_STOPPED, SVC_ACT_NONE);
	expect(SVC_DRAINING, SVC_EV_EXITED, SVC_DRAINING, SVC_ACT_NONE);
	expect(SVC_DRAINING, SVC_EV_STOP, SVC_DRAINING, SVC_ACT_NONE);
	expect(SVC_STOPPED, SVC_EV_DRAINED, SVC_STOPPED, SVC_ACT_NONE);
}

static void stop_without_a_process_is_immediate(void **state)
{
	(void)state;
	expect(SVC_DOWN, SVC_EV_STOP, SVC_STOPPED, SVC_ACT_NONE);
	expect(SVC_BACKOFF, SVC_EV_STOP, SVC_STOPPED, SVC_ACT_NONE);
	expect(SVC_BACKOFF, SVC_EV_GRACE_OVER, SVC_STOPPED, SVC_ACT_NONE);
}

static void grace_over_kills_a_service_not_yet_asked_to_stop(void **state)
{
	(void)state;
	expect(SVC_RUNNING, SVC_EV_GRACE_OVER, SVC_STOPPING, SVC_ACT_KILL);
}

/* A restart timer that fires after the stop must not bring the service back. */
static void nothing_revives_a_stopped_or_failed_service(void **state)
{
	(void)state;
	for (int event = 0; event < SVC_EVENT_COUNT; event++) {
		expect(SVC_STOPPED, (enum svc_event)event, SVC_STOPPED, SVC_ACT_NONE);
		expect(SVC_FAILED, (enum svc_event)event, SVC_FAILED, SVC_ACT_NONE);
	}
	expect(SVC_STOPPING, SVC_EV_EXITED, SVC_STOPPING, SVC_ACT_NONE);
	expect(SVC_STOPPING, SVC_EV_RESTART_DUE, SVC_STOPPING, SVC_ACT_NONE);
	expect(SVC_STOPPING, SVC_EV_START, SVC_STOPPING, SVC_ACT_NONE);
}

static void active_states(void **state)
{
	(void)state;
	assert_true(lifecycle_is_active(SVC_RUNNING));
	assert_true(lifecycle_is_active(SVC_DRAINING));
	assert_true(lifecycle_is_active(SVC_STOPPING));
	assert_false(lifecycle_is_active(SVC_DOWN));
	assert_false(lifecycle_is_active(SVC_BACKOFF));
	assert_false(lifecycle_is_active(SVC_STOPPED));
	assert_false(lifecycle_is_active(SVC_FAILED));
}

static void out_of_range_input_stays(void **state)
{
	struct transition t = lifecycle_next(SVC_RUNNING, (enum svc_event)99);

	(void)state;
	assert_int_equal(t.next, SVC_RUNNING);
	assert_int_equal(t.action, SVC_ACT_NONE);
	assert_string_equal(lifecycle_state_name((enum svc_state)42), "unknown");
}

int run_lifecycle_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(start_spawns),
	    cmocka_unit_test(crash_backs_off_then_restarts),
	    cmocka_unit_test(repeated_crash_or_exec_failure_gives_up),
	    cmocka_unit_test(stop_of_a_running_service_drains_signals_and_waits),
	    cmocka_unit_test(a_drain_ends_at_the_grace_limit_or_with_the_daemon),
	    cmocka_unit_test(stop_without_a_process_is_immediate),
	    cmocka_unit_test(grace_over_kills_a_service_not_yet_asked_to_stop),
	    cmocka_unit_test(nothing_revives_a_stopped_or_failed_service),
	    cmocka_unit_test(active_states),
	    cmocka_unit_test(out_of_range_input_stays),
	};
	return cmocka_run_group_tests_name("lifecycle", tests, NULL, NULL);
}
