#include <stdlib.h>
#include <string.h>
#include <sys/types.h>

#include "mail/sessions.h"
#include "unit.h"

static void free_names(char **names, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(names[i]);
	free(names);
}

static void removed_and_changed_accounts_are_named(void **state)
{
	const char *old =
	    "alice@example.test:{SHA512-CRYPT}$6$a::::::\n"
	    "bob@example.test:{SHA512-CRYPT}$6$b::::::\n"
	    "carol@example.test:{SHA512-CRYPT}$6$c::::::userdb_quota_rule=*:storage=1B\n"
	    "dave@example.test:{SHA512-CRYPT}$6$d::::::\n";
	/* bob's password changed, carol's quota, dave removed, erin added, alice as she was. */
	const char *new =
	    "erin@example.test:{SHA512-CRYPT}$6$e::::::\n"
	    "alice@example.test:{SHA512-CRYPT}$6$a::::::\n"
	    "bob@example.test:{SHA512-CRYPT}$6$B::::::\n"
	    "carol@example.test:{SHA512-CRYPT}$6$c::::::userdb_quota_rule=*:storage=2B\n";
	char **names;

	(void)state;
	assert_int_equal(sessions_changed_accounts(old, new, &names), 3);
	assert_string_equal(names[0], "bob@example.test");
	assert_string_equal(names[1], "carol@example.test");
	assert_string_equal(names[2], "dave@example.test");
	free_names(names, 3);

	/* Nothing changed (a renewed certificate): nothing named. */
	assert_int_equal(sessions_changed_accounts(old, old, &names), 0);
	assert_null(names);
	/* Every account removed. */
	assert_int_equal(sessions_changed_accounts(old, "", &names), 4);
	free_names(names, 4);
}

static void anvil_dump_gives_the_processes_of_named_accounts(void **state)
{
	char *names[] = {"bob@example.test", "dave@example.test"};
	pid_t pids[8];
	const char *dump =
	    "imap/192.0.2.7/bob@example.test\t4242\t1\n"
	    "imap/192.0.2.7/alice@example.test\t4243\t1\n"
	    "pop3/2001:db8::1/BOB@example.test\t4244\t1\n"
	    "managesieve/dave@example.test\t4245\t2\n"
	    /* never 0, 1 or a negative number: kill() would reach a group or PID 1 */
	    "imap/192.0.2.7/bob@example.test\t1\t1\n"
	    "imap/192.0.2.7/bob@example.test\t0\t1\n"
	    "imap/192.0.2.7/bob@example.test\t-1\t1\n"
	    "imap/192.0.2.7/bob@example.test\t12x\t1\n"
	    "imap/192.0.2.7/bob@example.test\t99999999999\t1\n"
	    "no separators bob@example.test 4246\n"
	    "imap/192.0.2.7/\t4247\t1\n"
	    "\n";

	(void)state;
	assert_int_equal(sessions_pids(dump, names, 2, pids, 8), 3);
	assert_int_equal(pids[0], 4242);
	assert_int_equal(pids[1], 4244);
	assert_int_equal(pids[2], 4245);
	/* At most MAX. */
	assert_int_equal(sessions_pids(dump, names, 2, pids, 1), 1);
	assert_int_equal(sessions_pids("", names, 2, pids, 8), 0);
}

int run_sessions_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(removed_and_changed_accounts_are_named),
	    cmocka_unit_test(anvil_dump_gives_the_processes_of_named_accounts),
	};
	return cmocka_run_group_tests_name("sessions", tests, NULL, NULL);
}
