#include <stdbool.h>
#include <string.h>

#include "base/buffer.h"
#include "base/json.h"
#include "base/text.h"
#include "unit.h"

static void controls_become_visible(void **state)
{
	char out[128];

	(void)state;
	/* An OSC title sequence and a CSI from a hostile import line. */
	assert_int_equal(text_escape(out, sizeof(out), "a\033]0;x\007b\033[2J", 12), 21);
	assert_string_equal(out, "a\\x1b]0;x\\x07b\\x1b[2J");
	/* DEL, a C1 CSI written as UTF-8, a lone byte that is not UTF-8 */
	text_escape(out, sizeof(out), "\x7f|\xc2\x9b|\x9b|", 7);
	assert_string_equal(out, "\\x7f|\\xc2\\x9b|\\x9b|");
	/* UTF-8 text stays as it is. */
	text_escape(out, sizeof(out), "J\xc3\xbcrgen \xe2\x82\xac", 11);
	assert_string_equal(out, "J\xc3\xbcrgen \xe2\x82\xac");
}

static void escape_cuts_at_a_character(void **state)
{
	char out[6];

	(void)state;
	/* "ab" and one escape (4) do not fit in 5 + NUL: the escape is left out whole. */
	assert_int_equal(text_escape(out, sizeof(out), "ab\033cd", 5), 2);
	assert_string_equal(out, "ab");
	assert_int_equal(text_escape(out, sizeof(out), "abcdefgh", 8), 5);
	assert_string_equal(out, "abcde");
}

static void fixed_buffer_never_grows(void **state)
{
	char storage[8];
	struct buffer b;

	(void)state;
	buffer_over(&b, storage, sizeof(storage));
	buffer_puts(&b, "abc");
	buffer_printf(&b, "%d", 1234);
	assert_false(b.cut);
	assert_string_equal(b.data, "abc1234");
	buffer_puts(&b, "x");
	assert_true(b.cut);
	assert_ptr_equal(b.data, storage);
	assert_string_equal(storage, "abc1234");
	buffer_free(&b); /* nothing to free: storage is the caller's */
	assert_ptr_equal(b.data, storage);
}

static void json_escapes_c1_controls(void **state)
{
	struct buffer b = {0};

	(void)state;
	json_string(&b,
		    "a\xc2\x9b"
		    "b\033",
		    5);
	assert_string_equal(b.data, "\"a\\u009bb\\u001b\"");
	buffer_free(&b);
}

int run_text_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(controls_become_visible),
	    cmocka_unit_test(escape_cuts_at_a_character),
	    cmocka_unit_test(fixed_buffer_never_grows),
	    cmocka_unit_test(json_escapes_c1_controls),
	};
	return cmocka_run_group_tests_name("text", tests, NULL, NULL);
}
