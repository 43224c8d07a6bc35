#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/types.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buffer.h"
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

static void many_accounts_cost_their_size(void **state)
{
	struct buffer old = {0}, new = {0};
	char **names;

	(void)state;
	/* 50,000 accounts (~4 MB): each line copied once (a copy of the rest of the file per
	   line would be 100 GB). Every second account's hash changed. */
	for (int i = 0; i < 50000; i++) {
		buffer_printf(&old, "user%d@example.test:{SHA512-CRYPT}$6$%040d::::::\n", i, i);
		buffer_printf(&new, "user%d@example.test:{SHA512-CRYPT}$6$%040d::::::\n", i,
			      i % 2 ? i : i + 1000000);
	}
	assert_int_equal(sessions_changed_accounts(old.data, new.data, &names), 25000);
	free_names(names, 25000);
	buffer_free(&old);
	buffer_free(&new);
}

/* A fake anvil at PATH: answers CHUNKS (NULL-terminated) one write each, or nothing. */
static pid_t fake_anvil(const char *path, const char *const *chunks)
{
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	int listener = socket(AF_UNIX, SOCK_STREAM, 0);
	pid_t pid;

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(listener, (struct sockaddr *)&address, sizeof(address)), 0);
	assert_int_equal(listen(listener, 1), 0);
	if ((pid = fork()) == 0) {
		int fd = accept(listener, NULL, NULL);
		char request[128];

		if (read(fd, request, sizeof(request)) <= 0 ||
		    strstr(request, "CONNECT-DUMP\n") == NULL)
			_exit(1);
		for (size_t i = 0; chunks && chunks[i]; i++) {
			if (write(fd, chunks[i], strlen(chunks[i])) < 0)
				_exit(1);
			usleep(20000);
		}
		sleep(chunks ? 0 : 5); /* no answer at all: the reader gives up first */
		_exit(0);
	}
	close(listener);
	return pid;
}

static void the_dump_is_read_to_its_empty_line_or_given_up(void **state)
{
	char path[] = "/tmp/mailinit-anvil-XXXXXX";
	char socket_path[64];
	const char *const chunks[] = {"imap/192.0.2.7/bob@exa", "mple.test\t4242\t1\n",
				      "pop3/bob@example.test\t4243\t1\n\n", NULL};
	struct buffer dump = {0};
	int status;
	pid_t anvil;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(socket_path, sizeof(socket_path), "%s/anvil", path);
	/* Split across writes: read whole, up to the empty line. */
	anvil = fake_anvil(socket_path, chunks);
	assert_int_equal(sessions_read_dump(socket_path, &dump), 0);
	assert_string_equal(dump.data, "imap/192.0.2.7/bob@example.test\t4242\t1\n"
				       "pop3/bob@example.test\t4243\t1\n\n");
	waitpid(anvil, &status, 0);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	buffer_free(&dump);

	/* An anvil that never answers: given up (the reload goes on), nothing read. */
	dump = (struct buffer){0};
	anvil = fake_anvil(socket_path, NULL);
	assert_int_equal(sessions_read_dump(socket_path, &dump), -1);
	kill(anvil, SIGKILL);
	waitpid(anvil, &status, 0);
	buffer_free(&dump);

	/* No anvil: no Dovecot, no session. */
	unlink(socket_path);
	assert_int_equal(sessions_read_dump(socket_path, &dump), -1);
	assert_int_equal(dump.len, 0);
	rmdir(path);
}

int run_sessions_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(removed_and_changed_accounts_are_named),
	    cmocka_unit_test(anvil_dump_gives_the_processes_of_named_accounts),
	    cmocka_unit_test(many_accounts_cost_their_size),
	    cmocka_unit_test(the_dump_is_read_to_its_empty_line_or_given_up),
	};
	return cmocka_run_group_tests_name("sessions", tests, NULL, NULL);
}
