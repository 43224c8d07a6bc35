/* What the metrics count and serve: log lines to events (mail/mail_events.h), the
   scoreboard shared between PID 1 and a reader (base/scoreboard.h), the queue count and
   the OpenMetrics text (mail/metrics.h), and METRICS_LISTEN (mail/networks.h). */
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "unit.h"
#include "base/scoreboard.h"
#include "mail/mail_events.h"
#include "mail/metrics.h"
#include "mail/networks.h"

/* The counter LINE moves, or -1; its amount in *AMOUNT. */
static int counter_of(const char *line, unsigned *amount)
{
	struct mail_event e;

	if (!mail_event_parse(line, strlen(line), &e))
		return -1;
	*amount = e.amount;
	return (int)e.counter;
}

static void postfix_and_dovecot_lines_move_the_right_counter(void **state)
{
	static const struct {
		const char *line;
		int counter;
		unsigned amount;
	} cases[] = {
	    {"postfix/cleanup[311]: 4QxY2k1a: message-id=<a@b.example>", MAIL_RECEIVED, 1},
	    {"postfix/lmtp[320]: 4QxY2k1a: to=<alice@example.test>, relay=mail.example.test"
	     "[private/dovecot-lmtp], delay=0.05, delays=0.01/0/0.01/0.03, dsn=2.0.0, "
	     "status=sent (250 2.0.0 <alice@example.test> kX Saved)",
	     MAIL_DELIVERED + MAIL_VIA_LMTP, 1},
	    {"postfix/smtp[321]: 4QxY2k1b: to=<x@elsewhere.example>, relay=none, delay=30, "
	     "delays=0/0/30/0, dsn=4.4.1, status=deferred (connect to mx.elsewhere.example"
	     "[192.0.2.9]:25: Connection timed out)",
	     MAIL_DEFERRED + MAIL_VIA_SMTP, 1},
	    {"postfix/error[322]: 4QxY2k1c: to=<x@elsewhere.example>, relay=none, delay=0.1, "
	     "delays=0/0/0/0.1, dsn=5.0.0, status=bounced (host said: gone)",
	     MAIL_BOUNCED + MAIL_VIA_OTHER, 1},
	    {"postfix/smtpd[330]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 550 5.1.1 "
	     "<nobody@example.test>: Recipient address rejected: User unknown in virtual mailbox "
	     "table; from=<x@y.example> to=<nobody@example.test> proto=ESMTP helo=<h>",
	     MAIL_REJECTED + MAIL_REASON_UNKNOWN_USER, 1},
	    /* What the client wrote (its envelope sender) does not choose the reason. */
	    {"postfix/smtpd[330]: NOQUEUE: reject: RCPT from unknown[192.0.2.7]: 554 5.7.1 "
	     "<a@example.test>: Relay access denied; from=<User unknown in @x.example> "
	     "to=<a@elsewhere.example> proto=ESMTP helo=<h>",
	     MAIL_REJECTED + MAIL_REASON_OTHER, 1},
	    {"postfix/postscreen[331]: NOQUEUE: reject: RCPT from [192.0.2.7]:4711: 550 5.7.1 "
	     "Service unavailable; client [192.0.2.7] blocked using zen.example; "
	     "from=<a@b.example>, to=<c@example.test>, proto=ESMTP, helo=<h>",
	     MAIL_REJECTED + MAIL_REASON_RBL, 1},
	    {"postfix/smtpd[330]: NOQUEUE: reject: RCPT from x[192.0.2.7]: 552 5.2.2 "
	     "<full@example.test>: Recipient address rejected: Mailbox is full; from=<a@b> "
	     "to=<full@example.test> proto=ESMTP helo=<h>",
	     MAIL_REJECTED + MAIL_REASON_QUOTA, 1},
	    {"postfix/smtpd[330]: NOQUEUE: reject: CONNECT from x[192.0.2.7]: 554 5.7.1 "
	     "<x[192.0.2.7]>: Client host rejected: too many failed logins from 192.0.2.7: "
	     "banned until 2026-12-05 10:00:00 UTC; proto=SMTP",
	     MAIL_REJECTED + MAIL_REASON_BANNED, 1},
	    {"postfix/smtpd[330]: warning: Connection rate limit exceeded: 61 from x[192.0.2.7] "
	     "for service smtp",
	     MAIL_REJECTED + MAIL_REASON_RATE_LIMIT, 1},
	    {"postfix/cleanup[311]: 4QxY2k1d: milter-reject: END-OF-MESSAGE from x[192.0.2.7]: "
	     "5.7.1 Spam message rejected; from=<a@b> to=<c@example.test> proto=ESMTP helo=<h>",
	     MAIL_REJECTED + MAIL_REASON_SPAM, 1},
	    {"postfix/cleanup[311]: 4QxY2k1e: milter-reject: END-OF-MESSAGE from x[192.0.2.7]: "
	     "5.7.1 Rejected due to DMARC policy; from=<a@b> to=<c@example.test> proto=ESMTP",
	     MAIL_REJECTED + MAIL_REASON_DMARC, 1},
	    {"dovecot: imap-login: Login: user=<alice@example.test>, method=PLAIN, "
	     "rip=192.0.2.7, lip=10.0.0.2, mpid=40, TLS, session=<abc>",
	     MAIL_LOGIN_OK + MAIL_PROTOCOL_IMAP, 1},
	    {"dovecot: pop3-login: Login: user=<alice@example.test>, method=PLAIN, "
	     "rip=192.0.2.7, lip=10.0.0.2, mpid=41, TLS, session=<abd>",
	     MAIL_LOGIN_OK + MAIL_PROTOCOL_POP3, 1},
	    {"dovecot: imap-login: Disconnected: Connection closed (auth failed, 3 attempts in "
	     "9 secs): user=<alice@example.test>, method=PLAIN, rip=192.0.2.7, lip=10.0.0.2, "
	     "TLS, session=<abe>",
	     MAIL_LOGIN_FAILED + MAIL_PROTOCOL_IMAP, 3},
	    /* A message after a login, not a login (one per message): not counted. */
	    {"postfix/submission/smtpd[332]: 4QxY2k1f: client=unknown[192.0.2.7], "
	     "sasl_method=PLAIN, sasl_username=alice@example.test",
	     -1, 0},
	    {"postfix/submission/smtpd[332]: warning: unknown[192.0.2.7]: SASL PLAIN "
	     "authentication failed: (reason unavailable), sasl_username=alice@example.test",
	     MAIL_LOGIN_FAILED + MAIL_PROTOCOL_SMTP, 1},
	    {"postfix/smtpd[51]: NOQUEUE: reject: RCPT from localhost[127.0.0.1]: 550 5.1.1 "
	     "<postmaster@example.test>: Recipient address rejected: User unknown in virtual "
	     "mailbox table; from=<> to=<postmaster@example.test> proto=ESMTP "
	     "helo=<health.mailinit>",
	     -1, 0},
	    {"postfix/smtpd[51]: NOQUEUE: reject: RCPT from x[192.0.2.7]: 550 5.1.1 "
	     "<postmaster@example.test>: Recipient address rejected: User unknown in virtual "
	     "mailbox table; from=<> to=<postmaster@example.test> proto=ESMTP "
	     "helo=<health.mailinit>",
	     MAIL_REJECTED + MAIL_REASON_UNKNOWN_USER, 1},
	    /* What a client chose cannot pick the counter: a rate-limit phrase in a command
	       smtpd logs, a DMARC host name, a "status=" in an address, a "]: " in a probe's
	       address, its HELO name from elsewhere. */
	    {"postfix/smtpd[330]: warning: non-SMTP command from x[192.0.2.7]: GET /: "
	     "Connection rate limit exceeded: 1",
	     -1, 0},
	    {"postfix/cleanup[311]: 4QxY2k1j: milter-reject: END-OF-MESSAGE from "
	     "dmarc.example[192.0.2.7]: 5.7.1 Spam message rejected; from=<a@b> to=<c@d>",
	     MAIL_REJECTED + MAIL_REASON_SPAM, 1},
	    {"postfix/smtp[321]: 4QxY2k1k: to=<\"a, dsn=2.0.0, status=sent \"@elsewhere.example>, "
	     "relay=mx[192.0.2.9]:25, delay=1, delays=0/0/0/1, dsn=5.1.1, status=bounced (gone)",
	     MAIL_BOUNCED + MAIL_VIA_SMTP, 1},
	    {"postfix/smtpd[51]: NOQUEUE: reject: RCPT from x[192.0.2.7]: 550 5.1.1 "
	     "<\"[127.0.0.1]: \"@example.test>: Recipient address rejected: User unknown in "
	     "virtual mailbox table; from=<> to=<a@example.test> proto=ESMTP "
	     "helo=<health.mailinit>",
	     MAIL_REJECTED + MAIL_REASON_UNKNOWN_USER, 1},
	    {"postfix/smtpd[51]: 4QxY2k1m: reject: RCPT from x[192.0.2.7]: 552 5.2.2 "
	     "<full@example.test>: Recipient address rejected: Mailbox is full; from=<a@b> "
	     "to=<full@example.test> proto=ESMTP helo=<h>",
	     MAIL_REJECTED + MAIL_REASON_QUOTA, 1},
	    {"postfix/smtp[321]: 4QxY2k1n: to=<b@elsewhere.example>, relay=mx[192.0.2.9]:25, "
	     "delay=1, delays=0/0/0/1, dsn=2.0.0, status=sent (250 Ok, dsn=5.1.1, "
	     "status=bounced )",
	     MAIL_DELIVERED + MAIL_VIA_SMTP, 1},
	    {"postfix/smtp[321]: 4QxY2k1o: to=<\"x>, dsn=2.0.0, status=sent \"@e.example>, "
	     "orig_to=<o@example.test>, relay=mx[192.0.2.9]:25, delay=1, dsn=4.4.1, "
	     "status=deferred (451 try later)",
	     MAIL_DEFERRED + MAIL_VIA_SMTP, 1},
	    {"rspamd[194]: <121b3e>; proxy; rspamd_task_write_log: action: no action, id: "
	     "<x@example.net>, qid: <6C31813898E>, ip: 192.0.2.7, (default: F (no action): "
	     "[1.90/15.00] [MISSING_SUBJECT(2.00){}])",
	     MAIL_SCANNED + MAIL_SCAN_NO_ACTION, 1},
	    {"rspamd[194]: <121b3f>; proxy; rspamd_task_write_log: action: add header, id: <y>",
	     MAIL_SCANNED + MAIL_SCAN_ADD_HEADER, 1},
	    {"rspamd[194]: <121b40>; proxy; rspamd_task_write_log: action: reject, id: <z>",
	     MAIL_SCANNED + MAIL_SCAN_REJECT, 1},
	    /* A Message-ID cannot pose as rspamd's words: only its own come before them. */
	    {"rspamd[194]: <121b41>; proxy; lua; x: id: <a; rspamd_task_write_log: action: "
	     "reject, >",
	     -1, 0},
	    /* Not events: mailinit health's probe, a client without a login, a cleanup line of
	       another kind, other programs, a user name that looks like a login line. */
	    {"postfix/smtpd[330]: 4QxY2k1g: client=unknown[192.0.2.7]", -1, 0},
	    {"postfix/cleanup[311]: 4QxY2k1h: warning: header Subject: x", -1, 0},
	    {"opendkim[50]: 4QxY2k1i: DKIM-Signature field added (s=mail, d=example.test)", -1, 0},
	    {"dovecot: imap(alice@example.test)<40><abc>: Logged out in=10 out=400", -1, 0},
	    {"dovecot: imap-login: Disconnected: Inactivity (no auth attempts in 180 secs): "
	     "user=<dovecot: imap-login: Login: >, rip=192.0.2.7",
	     -1, 0},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		unsigned amount = 0;
		int counter = counter_of(cases[i].line, &amount);

		if (counter != cases[i].counter)
			fail_msg("%s\n  counter %d, wanted %d", cases[i].line, counter,
				 cases[i].counter);
		if (counter >= 0)
			assert_int_equal(amount, cases[i].amount);
	}
}

static void every_counter_has_a_family_and_labels(void **state)
{
	(void)state;
	for (unsigned i = 0; i < MAIL_COUNTERS; i++) {
		if (i == MAIL_LOGIN_OK + MAIL_PROTOCOL_SMTP) { /* Postfix logs no AUTH success */
			assert_null(mail_counters[i].family);
			continue;
		}
		assert_non_null(mail_counters[i].family);
		assert_non_null(mail_counters[i].labels);
		assert_true(mail_event_from_rspamd(i) ==
			    (strncmp(mail_counters[i].family, "mailinit_spam_", 14) == 0));
	}
	assert_string_equal(mail_counters[MAIL_REJECTED + MAIL_REASON_QUOTA].labels,
			    "reason=\"quota\"");
}

static char *temporary_dir(void)
{
	static char dir[64];

	snprintf(dir, sizeof(dir), "/tmp/mailinit-metrics-XXXXXX");
	assert_non_null(mkdtemp(dir));
	return dir;
}

static void a_reader_sees_what_pid_1_counts_and_refuses_a_foreign_file(void **state)
{
	char path[128], other[128];
	const char *dir = temporary_dir();

	(void)state;
	snprintf(path, sizeof(path), "%s/scoreboard", dir);
	struct scoreboard *board = scoreboard_create(path);
	assert_non_null(board);
	const struct scoreboard *reader = scoreboard_open(path);
	assert_non_null(reader);
	scoreboard_service_started(2, "postfix", 1700000000);
	scoreboard_count(MAIL_RECEIVED, 1);
	scoreboard_count(MAIL_LOGIN_FAILED + MAIL_PROTOCOL_IMAP, 3);
	static struct scoreboard copy;
	memcpy(&copy, reader, sizeof(copy));
	scoreboard_count(SCOREBOARD_COUNTERS, 1); /* out of range: nothing moves */
	assert_memory_equal(&copy, reader, sizeof(copy));
	assert_string_equal(reader->services[2].name, "postfix");
	assert_int_equal(reader->services[2].up, 1);
	assert_int_equal(reader->counters[MAIL_RECEIVED], 1);
	assert_int_equal(reader->counters[MAIL_LOGIN_FAILED + MAIL_PROTOCOL_IMAP], 3);
	scoreboard_service_exited(2, 9); /* killed by SIGKILL */
	assert_int_equal(reader->services[2].up, 0);
	assert_int_equal(reader->services[2].last_exit, 9);
	struct stat st;
	assert_int_equal(stat(path, &st), 0);
	assert_int_equal(st.st_mode & 07777, 0644);

	snprintf(other, sizeof(other), "%s/other", dir);
	int fd = open(other, O_WRONLY | O_CREAT, 0644);
	assert_true(write(fd, "not a board", 11) == 11);
	close(fd);
	assert_null(scoreboard_open(other));
	unlink(other);
	unlink(path);
	rmdir(dir);
}

static void the_text_is_openmetrics_with_every_family_once_and_an_eof(void **state)
{
	static struct scoreboard board;
	struct queue_counts queue = {.messages = {1, 2, 3, 4, 0}, .known = 1};
	struct buffer out = {0};

	(void)state;
	board.began = 1700000000;
	snprintf(board.services[0].name, SCOREBOARD_NAME_MAX, "dovecot");
	board.services[0].up = 1;
	board.services[0].starts = 3;
	board.services[0].started = 1700000100;
	board.services[0].last_exit = 9; /* SIGKILL: 128 + 9 */
	snprintf(board.services[1].name, SCOREBOARD_NAME_MAX, "bad\"name");
	board.services[2].last_exit = -1;
	board.counters[MAIL_DELIVERED + MAIL_VIA_LMTP] = 5;
	metrics_render(
	    &board, &queue,
	    "certificate mail.example.test 1767225600\ndkim example.test mail 1700000000\n",
	    "# TYPE dovecot_auth_success counter\ndovecot_auth_success_total 4\n# EOF\n", &out);
	assert_non_null(strstr(out.data, "mailinit_service_up{service=\"dovecot\"} 1\n"));
	assert_non_null(
	    strstr(out.data, "mailinit_service_restarts_total{service=\"dovecot\"} 2\n"));
	assert_non_null(
	    strstr(out.data, "mailinit_service_last_exit_status{service=\"dovecot\"} 137\n"));
	assert_null(strstr(out.data, "bad"));
	assert_non_null(
	    strstr(out.data, "mailinit_deliveries_total{transport=\"lmtp\",status=\"sent\"} 5\n"));
	assert_non_null(strstr(out.data, "mailinit_messages_received_total 0\n"));
	assert_non_null(strstr(out.data, "mailinit_queue_messages{queue=\"deferred\"} 3\n"));
	assert_non_null(strstr(out.data, "mailinit_tls_certificate_expiry_timestamp_seconds{name="
					 "\"mail.example.test\"} 1767225600\n"));
	assert_non_null(strstr(out.data, "mailinit_dkim_key_created_timestamp_seconds{domain="
					 "\"example.test\",selector=\"mail\"} 1700000000\n"));
	assert_non_null(strstr(out.data, "mailinit_dovecot_stats_up 1\n"
					 "# TYPE dovecot_auth_success counter\n"
					 "dovecot_auth_success_total 4\n# EOF\n"));
	/* Each family's TYPE once. */
	for (const char *type = out.data; (type = strstr(type, "# TYPE ")) != NULL; type++) {
		char line[160];
		size_t n = strcspn(type, "\n");

		assert_true(n < sizeof(line));
		memcpy(line, type, n);
		line[n] = '\0';
		const char *again = strstr(type + n, line);
		if (again != NULL && again[n] == '\n')
			fail_msg("twice: %s", line);
	}
	assert_true(out.len > 6 && strcmp(out.data + out.len - 6, "# EOF\n") == 0);
	buffer_free(&out);
}

static void the_guard_s_count_is_shown_only_when_it_is_a_number(void **state)
{
	struct buffer out = {0};

	(void)state;
	metrics_render_bans("3\n", &out);
	assert_non_null(strstr(out.data, "mailinit_bans_active 3\n"));
	out.len = 0;
	out.data[0] = '\0';
	metrics_render_bans("", &out);
	metrics_render_bans("x\n", &out);
	metrics_render_bans(NULL, &out);
	assert_int_equal(out.len, 0);
	buffer_free(&out);
}

static void touch(const char *dir, const char *name)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	int fd = open(path, O_WRONLY | O_CREAT, 0600);
	assert_true(fd >= 0);
	close(fd);
}

static void the_queue_is_counted_by_its_names_the_hashed_ones_too(void **state)
{
	const char *dir = temporary_dir();
	char cmd[512];
	struct queue_counts counts;

	(void)state;
	snprintf(cmd, sizeof(cmd), "mkdir -p %s/incoming %s/deferred/A %s/deferred/B %s/hold", dir,
		 dir, dir, dir);
	assert_int_equal(system(cmd), 0);
	touch(dir, "incoming/4QxY1");
	touch(dir, "deferred/A/4QxA1");
	touch(dir, "deferred/A/4QxA2");
	touch(dir, "deferred/B/4QxB1");
	touch(dir, "hold/4QxH1");
	int fd = open(dir, O_RDONLY | O_DIRECTORY);
	assert_int_equal(queue_count(fd, &counts), 0); /* active/ and maildrop/ missing: 0 */
	close(fd);
	assert_int_equal(counts.messages[QUEUE_INCOMING], 1);
	assert_int_equal(counts.messages[QUEUE_ACTIVE], 0);
	assert_int_equal(counts.messages[QUEUE_DEFERRED], 3);
	assert_int_equal(counts.messages[QUEUE_HOLD], 1);
	snprintf(cmd, sizeof(cmd), "rm -rf %s", dir);
	assert_int_equal(system(cmd), 0);
}

static void metrics_listen_takes_an_ip_and_a_port_only(void **state)
{
	struct sockaddr_storage a;
	unsigned len;

	(void)state;
	assert_true(listen_address_parse("0.0.0.0:9154", &a, &len));
	assert_int_equal(a.ss_family, AF_INET);
	assert_int_equal(ntohs(((struct sockaddr_in *)&a)->sin_port), 9154);
	assert_true(listen_address_parse("[::]:9154", &a, &len));
	assert_int_equal(a.ss_family, AF_INET6);
	assert_false(listen_address_parse("localhost:9154", &a, &len));
	assert_false(listen_address_parse("::1:9154", &a, &len));
	assert_false(listen_address_parse("127.0.0.1:0", &a, &len));
	assert_false(listen_address_parse("127.0.0.1:65536", &a, &len));
	assert_false(listen_address_parse("127.0.0.1:", &a, &len));
	assert_false(listen_address_parse("127.0.0.1:91x", &a, &len));
	assert_false(listen_address_parse("9154", &a, &len));
}

int run_metrics_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(postfix_and_dovecot_lines_move_the_right_counter),
	    cmocka_unit_test(every_counter_has_a_family_and_labels),
	    cmocka_unit_test(a_reader_sees_what_pid_1_counts_and_refuses_a_foreign_file),
	    cmocka_unit_test(the_text_is_openmetrics_with_every_family_once_and_an_eof),
	    cmocka_unit_test(the_queue_is_counted_by_its_names_the_hashed_ones_too),
	    cmocka_unit_test(the_guard_s_count_is_shown_only_when_it_is_a_number),
	    cmocka_unit_test(metrics_listen_takes_an_ip_and_a_port_only),
	};
	return cmocka_run_group_tests_name("metrics", tests, NULL, NULL);
}
