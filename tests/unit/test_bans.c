#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "capture.h"
#include "unit.h"
#include "mail/auth_failures.h"
#include "mail/ban_count.h"
#include "mail/ban_list.h"
#include "mail/guard.h"

static bool parse(const char *line, struct auth_failure *f)
{
	return auth_failure_parse(line, strlen(line), f);
}

static void failed_logins_are_read_from_dovecot_and_postfix_lines(void **state)
{
	struct auth_failure f;

	(void)state;
	assert_true(parse("dovecot: imap-login: Disconnected: Connection closed (auth failed, 3 "
			  "attempts in 9 secs): user=<alice@example.test>, method=PLAIN, "
			  "rip=192.0.2.7, lip=10.0.0.2, TLS, session=<kInft>\n",
			  &f));
	assert_string_equal(f.address, "192.0.2.7");
	assert_int_equal(f.attempts, 3);
	assert_string_equal(f.service, "imap");
	assert_true(parse("dovecot: pop3-login: Aborted login (auth failed, 1 attempts in 2 secs): "
			  "user=<a@b>, method=PLAIN, rip=2001:db8::7, lip=::1, session=<x>",
			  &f));
	assert_string_equal(f.address, "2001:db8::7");
	assert_string_equal(f.service, "pop3");
	assert_true(parse("dovecot: managesieve-login: Disconnected (auth failed, 1 attempts in 2 "
			  "secs): user=<a@b>, method=PLAIN, rip=198.51.100.1, lip=10.0.0.2",
			  &f));
	assert_string_equal(f.service, "managesieve");
	assert_true(parse("postfix/submission/smtpd[41]: warning: unknown[203.0.113.9]: SASL "
			  "PLAIN authentication failed: (reason unavailable), "
			  "sasl_username=alice@example.test",
			  &f));
	assert_string_equal(f.address, "203.0.113.9");
	assert_int_equal(f.attempts, 1);
	assert_string_equal(f.service, "smtp");
	assert_true(parse("postfix/smtpd[9]: warning: mx.example.net[2001:db8::1]: SASL LOGIN "
			  "authentication failed: UGFzc3dvcmQ6",
			  &f));
	assert_string_equal(f.address, "2001:db8::1");
}

/* The user name is the client's: what it says must not choose the address. */
static void a_user_name_cannot_frame_another_address(void **state)
{
	struct auth_failure f;

	(void)state;
	assert_true(parse("dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 "
			  "attempts in 2 secs): user=<x, rip=198.51.100.99, y>, method=PLAIN, "
			  "rip=192.0.2.7, lip=10.0.0.2, session=<z>",
			  &f));
	assert_string_equal(f.address, "192.0.2.7");
	/* "(auth failed" only after the user name: a successful login's line, not a failure. */
	assert_false(parse("dovecot: imap-login: Login: user=<(auth failed, 9 attempts>, "
			   "method=PLAIN, rip=192.0.2.7, lip=10.0.0.2",
			   &f));
}

static void other_lines_are_no_failures(void **state)
{
	struct auth_failure f;

	(void)state;
	assert_false(
	    parse("dovecot: imap-login: Login: user=<a@b>, method=PLAIN, rip=192.0.2.7", &f));
	assert_false(parse("dovecot: imap(a@b)<1><x>: Disconnected: Logged out in=0 out=1", &f));
	/* Dovecot's auth was not there: not the client's fault. */
	assert_false(
	    parse("postfix/submission/smtpd[41]: warning: unknown[203.0.113.9]: SASL PLAIN "
		  "authentication failed: Connection lost to authentication server",
		  &f));
	assert_false(parse("postfix/postscreen[3]: warning: unknown[203.0.113.9]: SASL PLAIN "
			   "authentication failed: x",
			   &f));
	assert_false(parse("opendkim[5]: warning: unknown[203.0.113.9]: SASL PLAIN "
			   "authentication failed: x",
			   &f));
	assert_false(parse("dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
			   "user=<a>, method=PLAIN, rip=not-an-address, lip=1",
			   &f));
	assert_false(parse("", &f));
}

static void addresses_are_hosts_or_prefixes(void **state)
{
	struct ban_address a, b;
	char text[BAN_TEXT_MAX];

	(void)state;
	assert_true(ban_address_parse("192.0.2.7", 64, &a));
	ban_address_format(&a, text, sizeof(text));
	assert_string_equal(text, "192.0.2.7");
	assert_true(ban_address_parse("2001:db8:1:2:3:4:5:6", 64, &a));
	ban_address_format(&a, text, sizeof(text));
	assert_string_equal(text, "2001:db8:1:2::/64");
	assert_true(ban_address_parse("2001:db8:1:2::ff", 64, &b));
	assert_true(ban_address_equal(&a, &b));
	assert_true(ban_address_parse("2001:db8:1:2:ffff::1", 128, &b));
	assert_true(ban_address_contains(&a, b.bytes));
	assert_true(ban_address_parse("2001:db8:1:3::1", 128, &b));
	assert_false(ban_address_contains(&a, b.bytes));
	assert_true(ban_address_parse("[2001:db8::]/32", 128, &a));
	ban_address_format(&a, text, sizeof(text));
	assert_string_equal(text, "2001:db8::/32");
	assert_true(ban_address_parse("198.51.100.77/24", 64, &a));
	ban_address_format(&a, text, sizeof(text));
	assert_string_equal(text, "198.51.100.0/24");
	assert_false(ban_address_parse("192.0.2.7/33", 64, &a));
	assert_false(ban_address_parse("example.com", 64, &a));
	assert_false(ban_address_parse("192.0.2.7/", 64, &a));
	assert_false(ban_address_parse("", 64, &a));
	assert_true(ban_address_parse("10.1.2.3", 128, &b));
	assert_true(
	    ban_networks_contain("127.0.0.0/8 ::1/128 10.0.0.0/8 [2001:db8::]/32", b.bytes));
	assert_true(ban_address_parse("11.1.2.3", 128, &b));
	assert_false(ban_networks_contain("127.0.0.0/8 ::1/128 10.0.0.0/8", b.bytes));
	/* An IPv6 network holds no IPv4 client (::ffff:11.1.2.3 is under ::/0 and ::/96 bit
	   for bit), as Postfix and Dovecot read those lists. */
	assert_false(ban_networks_contain("::/0 ::/96", b.bytes));
	assert_true(ban_networks_contain("::ffff:0:0/96", b.bytes));
	assert_true(ban_address_parse("2001:db8::7", 128, &b));
	assert_true(ban_networks_contain("::/0", b.bytes));
}

static void counts_ban_at_the_limit_within_the_window_in_fixed_memory(void **state)
{
	static struct ban_count counts;
	struct ban_address a, other;
	char text[32];

	(void)state;
	memset(&counts, 0, sizeof(counts));
	ban_address_parse("192.0.2.7", 64, &a);
	assert_false(ban_count_add(&counts, &a, 1, 1000, 3, 600));
	assert_false(ban_count_add(&counts, &a, 1, 1100, 3, 600));
	assert_true(ban_count_add(&counts, &a, 1, 1200, 3, 600));
	/* Banned: it starts over. Failures further apart than the window never add up. */
	assert_false(ban_count_add(&counts, &a, 2, 2000, 3, 600));
	assert_false(ban_count_add(&counts, &a, 2, 2700, 3, 600));
	assert_true(ban_count_add(&counts, &a, 1, 2800, 3, 600));
	/* One line may say several attempts. */
	assert_true(ban_count_add(&counts, &a, 5, 4000, 3, 600));
	/* A flood from 100,000 addresses, one failure each: none is banned, the table does
	   not grow (it is a fixed array), and an address counted after it is still counted. */
	for (unsigned i = 0; i < 100000; i++) {
		snprintf(text, sizeof(text), "10.%u.%u.%u", i >> 16, (i >> 8) & 255, i & 255);
		ban_address_parse(text, 64, &other);
		assert_false(ban_count_add(&counts, &other, 1, 5000, 3, 600));
	}
	assert_false(ban_count_add(&counts, &a, 1, 5001, 3, 600));
	assert_false(ban_count_add(&counts, &a, 1, 5002, 3, 600));
	assert_true(ban_count_add(&counts, &a, 1, 5003, 3, 600));
}

static void the_list_bans_longer_each_time_and_survives_its_file(void **state)
{
	struct ban_list *list = ban_list_new(), *again = ban_list_new();
	struct ban_address a, host;
	struct problems problems = {.quiet = true};
	const struct ban_entry *e;
	char path[] = "/tmp/mailinit-bans-XXXXXX";
	int fd = mkstemp(path);

	(void)state;
	assert_true(fd >= 0);
	close(fd);
	ban_address_parse("2001:db8:1:2::7", 64, &a);
	ban_address_parse("2001:db8:1:2:aaaa::1", 128, &host);
	assert_non_null(e = ban_list_add(list, &a, 1000, 3600));
	assert_int_equal(e->until, 4600);
	assert_null(ban_list_add(list, &a, 2000, 3600)); /* banned already */
	assert_non_null(ban_list_find(list, host.bytes, 4599));
	assert_null(ban_list_find(list, host.bytes, 4600));
	/* Again within a week of its end: twice as long; then four times. */
	assert_non_null(e = ban_list_add(list, &a, 5000, 3600));
	assert_int_equal(e->until, 5000 + 7200);
	assert_int_equal(e->bans, 2);
	assert_non_null(e = ban_list_add(list, &a, 20000, 3600));
	assert_int_equal(e->until, 20000 + 14400);
	/* After a week's rest it starts over. */
	assert_non_null(e = ban_list_add(list, &a, 20000 + 14400 + BAN_MEMORY + 1, 3600));
	assert_int_equal(e->bans, 1);
	assert_int_equal(ban_list_save(list, path), 0);
	ban_list_load(again, path, &problems);
	assert_int_equal(problems.count, 0);
	assert_int_equal(again->count, 1);
	assert_true(ban_address_equal(&again->entry[0].address, &a));
	assert_int_equal(again->entry[0].until, e->until);
	assert_true(ban_list_remove(again, &a));
	assert_false(ban_list_remove(again, &a));
	ban_list_prune(list, e->until + BAN_MEMORY);
	assert_int_equal(list->count, 0);
	/* A bad line is named and left out; the rest is kept. */
	FILE *f = fopen(path, "w");
	fputs("# comment\n192.0.2.7 99999999999 1\nnonsense\n198.51.100.1 100 2\n", f);
	fclose(f);
	ban_list_load(again, path, &problems);
	assert_int_equal(problems.count, 1);
	assert_int_equal(again->count, 2);
	unlink(path);
	ban_list_free(list);
	ban_list_free(again);
}

#define NEVER "127.0.0.0/8 ::1/128 198.51.100.0/24"

static void the_guard_answers_postfix_and_dovecot(void **state)
{
	struct ban_list *list = ban_list_new();
	struct ban_address a;
	char answer[256];

	(void)state;
	ban_address_parse("192.0.2.7", 64, &a);
	ban_list_add(list, &a, 1000, 3600);
	guard_policy_answer(list, NEVER,
			    "request=smtpd_access_policy\nprotocol_state=RCPT\n"
			    "client_address=192.0.2.7\nclient_name=unknown",
			    2000, answer, sizeof(answer));
	assert_string_equal(answer, "action=REJECT too many failed logins from 192.0.2.7: banned "
				    "until 1970-01-01 01:16 UTC\n\n");
	guard_policy_answer(list, NEVER, "request=smtpd_access_policy\nclient_address=192.0.2.8",
			    2000, answer, sizeof(answer));
	assert_string_equal(answer, "action=DUNNO\n\n");
	/* Another attribute's value that looks like it is not it. */
	guard_policy_answer(list, NEVER,
			    "sasl_username=x client_address=192.0.2.7\nclient_address=192.0.2.9",
			    2000, answer, sizeof(answer));
	assert_string_equal(answer, "action=DUNNO\n\n");
	guard_policy_answer(list, NEVER, "client_address=192.0.2.7", 5000, answer, sizeof(answer));
	assert_string_equal(answer, "action=DUNNO\n\n"); /* ended */
	guard_dict_answer(list, NEVER, "H3\t2\t0\t\tproxy:/run/x:bans", 2000, answer,
			  sizeof(answer));
	assert_string_equal(answer, "");
	guard_dict_answer(list, NEVER, "Lshared/ban/192.0.2.7\talice@example.test", 2000, answer,
			  sizeof(answer));
	assert_string_equal(answer, "O{\"nopassword\":\"y\"}\n");
	guard_dict_answer(list, NEVER, "Lshared/ban/192.0.2.8\talice@example.test", 2000, answer,
			  sizeof(answer));
	assert_string_equal(answer, "N\n");
	guard_dict_answer(list, NEVER, "Lshared/ban/\t", 2000, answer, sizeof(answer));
	assert_string_equal(answer, "N\n");
	guard_dict_answer(list, NEVER, "Ishared/ban/", 2000, answer, sizeof(answer));
	assert_string_equal(answer, "F\n");
	/* A ban that holds a never-banned address (added by hand before BAN_IGNORE grew) is
	   not enforced on it. */
	ban_address_parse("198.51.100.0/23", 64, &a);
	ban_list_add(list, &a, 1000, 3600);
	guard_policy_answer(list, NEVER, "client_address=198.51.100.9", 2000, answer,
			    sizeof(answer));
	assert_string_equal(answer, "action=DUNNO\n\n");
	guard_policy_answer(list, NEVER, "client_address=198.51.101.9", 2000, answer,
			    sizeof(answer));
	assert_string_equal(strncmp(answer, "action=REJECT", 13) == 0 ? "x" : answer, "x");
	assert_true(ban_networks_overlap(NEVER, &a));
	ban_address_parse("0.0.0.0/0", 64, &a);
	assert_true(ban_networks_overlap(NEVER, &a)); /* holds loopback */
	ban_address_parse("198.51.100.7", 64, &a);
	assert_true(ban_networks_overlap(NEVER, &a));
	ban_address_parse("192.0.2.0/24", 64, &a);
	assert_false(ban_networks_overlap(NEVER, &a));
	ban_list_free(list);
}

/* The guard itself, over its sockets, in a child: a ban from the datagram socket, a policy
   request split over writes with a line longer than the guard's buffer, a dict lookup,
   more connections than it has slots (the oldest give way: the newest is answered). */
static int connect_to(const char *dir, const char *name)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/%s", dir, name);
	for (int i = 0; i < 200; i++) {
		if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)) == 0)
			return fd;
		usleep(10000);
	}
	return -1;
}

static void ask(int fd, const char *request, char *answer, size_t size)
{
	size_t got = 0;

	assert_int_equal(write(fd, request, strlen(request)), (ssize_t)strlen(request));
	while (got < size - 1) {
		ssize_t n = read(fd, answer + got, size - 1 - got);

		assert_true(n > 0);
		got += (size_t)n;
		answer[got] = '\0';
		if (strchr(answer, '\n') && (answer[0] != 'a' || strstr(answer, "\n\n")))
			break;
	}
}

static void the_guard_serves_over_its_sockets(void **state)
{
	char dir[] = "/tmp/mailinit-guard-XXXXXX", file[128], path[160], answer[512], cmd[64];
	static char long_line[10000];
	struct guard_config config = {.bans_file = file,
				      .never = NEVER,
				      .ban_time = 3600,
				      .ipv6_prefix = 64,
				      .directory = dir};
	int fds[GUARD_CLIENTS_MAX + 4];
	pid_t pid;

	(void)state;
	assert_non_null(mkdtemp(dir));
	snprintf(file, sizeof(file), "%s/state/bans", dir);
	if ((pid = fork()) == 0) {
		capture_begin();
		_exit(guard_run(&config));
	}
	int policy = connect_to(dir, "policy");
	assert_true(policy >= 0);
	/* The ban, as PID 1 sends it; then asked until the guard has taken it. */
	int dgram = socket(AF_UNIX, SOCK_DGRAM, 0);
	struct sockaddr_un to = {.sun_family = AF_UNIX};
	snprintf(to.sun_path, sizeof(to.sun_path), "%s/bans.sock", dir);
	assert_true(sendto(dgram, "ban 192.0.2.7 10 imap", 21, 0, (struct sockaddr *)&to,
			   sizeof(to)) == 21);
	close(dgram);
	memset(long_line, 'x', sizeof(long_line) - 1);
	memcpy(long_line, "helo_name=", 10);
	for (int tries = 0; tries < 100; tries++) {
		assert_int_equal(write(policy, "request=smtpd_access_policy\n", 28), 28);
		assert_int_equal(write(policy, long_line, strlen(long_line)),
				 (ssize_t)strlen(long_line));
		ask(policy, "\nclient_address=192.0.2.7\n\n", answer, sizeof(answer));
		if (strncmp(answer, "action=REJECT", 13) == 0)
			break;
		usleep(20000);
	}
	assert_non_null(strstr(answer, "action=REJECT too many failed logins from 192.0.2.7"));
	int dict = connect_to(dir, "dict");
	ask(dict, "H3\t2\t0\t\tproxy:x:bans\nLshared/ban/192.0.2.7\ta@b\n", answer, sizeof(answer));
	assert_string_equal(answer, "O{\"nopassword\":\"y\"}\n");
	/* More connections than slots: the idle ones give way, the newest is answered. */
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		assert_true((fds[i] = connect_to(dir, "policy")) >= 0);
	ask(fds[sizeof(fds) / sizeof(fds[0]) - 1], "client_address=192.0.2.8\n\n", answer,
	    sizeof(answer));
	assert_string_equal(answer, "action=DUNNO\n\n");
	for (size_t i = 0; i < sizeof(fds) / sizeof(fds[0]); i++)
		close(fds[i]);
	/* The list is on disk: a new guard starts with it. */
	snprintf(path, sizeof(path), "%s", file);
	FILE *f = fopen(path, "r");
	assert_non_null(f);
	fclose(f);
	kill(pid, SIGTERM);
	int status;
	assert_int_equal(waitpid(pid, &status, 0), pid);
	assert_true(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	close(policy);
	close(dict);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

int run_bans_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(failed_logins_are_read_from_dovecot_and_postfix_lines),
	    cmocka_unit_test(a_user_name_cannot_frame_another_address),
	    cmocka_unit_test(other_lines_are_no_failures),
	    cmocka_unit_test(addresses_are_hosts_or_prefixes),
	    cmocka_unit_test(counts_ban_at_the_limit_within_the_window_in_fixed_memory),
	    cmocka_unit_test(the_list_bans_longer_each_time_and_survives_its_file),
	    cmocka_unit_test(the_guard_answers_postfix_and_dovecot),
	    cmocka_unit_test(the_guard_serves_over_its_sockets),
	};
	return cmocka_run_group_tests_name("bans", tests, NULL, NULL);
}
