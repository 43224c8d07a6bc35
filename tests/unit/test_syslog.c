#include <string.h>

#include <stdio.h>
#include <stdlib.h>

#include "base/buffer.h"
#include "base/json.h"
#include "init/syslog_sink.h"
#include "unit.h"

static const char *format(const char *datagram)
{
	static char line[256];

	syslog_format(datagram, strlen(datagram), line, sizeof(line));
	return line;
}

static void one_line_per_datagram_without_priority_or_time(void **state)
{
	(void)state;
	assert_string_equal(format("<22>Nov 22 00:41:50 opendkim[12]: 4B1: DKIM-Signature added"),
			    "opendkim[12]: 4B1: DKIM-Signature added\n");
	assert_string_equal(format("<13>hello"), "hello\n");
	assert_string_equal(format("no priority at all\n"), "no priority at all\n");
	/* A datagram can never add a line of its own. */
	assert_string_equal(format("<13>a\nforged: line\rx\x1b[31m"), "a forged: line x [31m\n");
	assert_string_equal(format("<1234567>x"), "<1234567>x\n");
	assert_string_equal(format(""), "\n");
}

static void long_datagrams_are_cut_not_overflowed(void **state)
{
	char big[600], line[64];

	(void)state;
	memset(big, 'x', sizeof(big));
	assert_int_equal(syslog_format(big, sizeof(big), line, sizeof(line)), 63);
	assert_int_equal(line[62], '\n');
	assert_int_equal(line[63], '\0');
}

static char *as_json(const char *datagram)
{
	static char line[512];
	struct buffer b = {0};

	syslog_format_json(datagram, strlen(datagram), "2026-11-22T01:02:03.456Z", &b);
	snprintf(line, sizeof(line), "%s", b.data);
	buffer_free(&b);
	return line;
}

static void json_lines_carry_program_pid_level_and_facility(void **state)
{
	(void)state;
	assert_string_equal(
	    as_json("<22>Nov 22 00:41:50 opendkim[12]: 4B1: DKIM-Signature added"),
	    "{\"time\":\"2026-11-22T01:02:03.456Z\",\"program\":\"opendkim\",\"pid\":12,"
	    "\"level\":\"info\",\"facility\":\"mail\",\"message\":\"4B1: DKIM-Signature "
	    "added\"}\n");
	/* Dovecot names no pid; errors keep their severity. */
	assert_string_equal(as_json("<19>dovecot: auth: Error: x"),
			    "{\"time\":\"2026-11-22T01:02:03.456Z\",\"program\":\"dovecot\","
			    "\"level\":\"error\",\"facility\":\"mail\",\"message\":\"auth: Error: "
			    "x\"}\n");
	/* No tag: all of it is the message, with an empty program. */
	assert_string_equal(as_json("<13>just words here"),
			    "{\"time\":\"2026-11-22T01:02:03.456Z\",\"program\":\"\",\"level\":"
			    "\"notice\",\"facility\":\"user\",\"message\":\"just words here\"}\n");
}

static void json_strings_are_escaped_and_valid_utf8(void **state)
{
	struct buffer b = {0};
	const char text[] = "a\"b\\c\nd\x01 \xc3\xa9 \xff \xe2\x82 \xed\xa0\x80";

	(void)state;
	json_string(&b, text, sizeof(text) - 1);
	assert_string_equal(b.data, "\"a\\\"b\\\\c\\nd\\u0001 \xc3\xa9 \\ufffd \\ufffd\\ufffd "
				    "\\ufffd\\ufffd\\ufffd\"");
	buffer_free(&b);
}

int run_syslog_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(json_lines_carry_program_pid_level_and_facility),
	    cmocka_unit_test(json_strings_are_escaped_and_valid_utf8),
	    cmocka_unit_test(one_line_per_datagram_without_priority_or_time),
	    cmocka_unit_test(long_datagrams_are_cut_not_overflowed),
	};
	return cmocka_run_group_tests_name("syslog", tests, NULL, NULL);
}
