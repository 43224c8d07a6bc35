#include <string.h>

#include "syslog_sink.h"
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

int run_syslog_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_line_per_datagram_without_priority_or_time),
	    cmocka_unit_test(long_datagrams_are_cut_not_overflowed),
	};
	return cmocka_run_group_tests_name("syslog", tests, NULL, NULL);
}
