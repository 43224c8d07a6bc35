#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "base/template.h"
#include "unit.h"

static const char *values(const char *name, void *context)
{
	static const char *const table[][2] = {
	    {"HOST", "mail.example.test"},
	    {"ON", "yes"},
	    {"OFF", "no"},
	    {"EMPTY", ""},
	    {"EVIL", "a\nb"},
	    {"PORT", "25"},
	};
	(void)context;
	for (size_t i = 0; i < sizeof(table) / sizeof(table[0]); i++) {
		if (strcmp(table[i][0], name) == 0)
			return table[i][1];
	}
	return NULL;
}

static int render(const char *text, char *out, size_t size, char *messages, size_t msize)
{
	struct buffer b = {0};
	int status;

	capture_begin();
	status = template_render(text, "t.conf", values, NULL, &b);
	capture_end(messages, msize);
	snprintf(out, size, "%s", b.data ? b.data : "");
	buffer_free(&b);
	return status;
}

static void substitutes_and_keeps_the_rest(void **state)
{
	char out[256], msg[512];

	(void)state;
	assert_int_equal(
	    render("myhostname = {{HOST}}\nport {{ PORT }}\n", out, sizeof(out), msg, sizeof(msg)),
	    0);
	assert_string_equal(out, "myhostname = mail.example.test\nport 25\n");
	assert_int_equal(render("no newline at end {{HOST}}", out, sizeof(out), msg, sizeof(msg)),
			 0);
	assert_string_equal(out, "no newline at end mail.example.test");
	assert_int_equal(render("a {{! a comment }}b\n", out, sizeof(out), msg, sizeof(msg)), 0);
	assert_string_equal(out, "a b\n");
}

static void blocks_keep_or_drop_whole_lines(void **state)
{
	char out[256], msg[512];

	(void)state;
	assert_int_equal(render("a\n{{#if ON}}\nb\n{{#if OFF}}\nc\n{{/if}}\n{{/if}}\n"
				"{{#unless OFF}}\nd\n{{/unless}}\n{{#if EMPTY}}\ne\n{{/if}}\nf\n",
				out, sizeof(out), msg, sizeof(msg)),
			 0);
	assert_string_equal(out, "a\nb\nd\nf\n");
}

static void errors_name_template_and_line(void **state)
{
	static const struct {
		const char *text, *message;
	} cases[] = {
	    {"ok\n{{MISSING}}\n", "template t.conf:2: unknown variable MISSING"},
	    {"{{#if OFF}}\n{{MISSING}}\n{{/if}}\n", "t.conf:2: unknown variable MISSING"},
	    {"x = {{EVIL}}\n", "t.conf:1: the value of EVIL is not one line"},
	    {"x = {{HOST\n", "t.conf:1: {{ without }}"},
	    {"{{#if ON}}\nx\n", "1 block(s) not closed"},
	    {"{{/if}}\n", "t.conf:1: {{/if}} without its opening block"},
	    {"{{#if ON}}\n{{/unless}}\n", "t.conf:2: {{/unless}} without"},
	    {"{{bad name}}\n", "\"bad name\" is not a variable name"},
	    {"{{#if NOPE}}\n{{/if}}\n", "unknown variable NOPE"},
	};
	char out[256], msg[512];

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		if (render(cases[i].text, out, sizeof(out), msg, sizeof(msg)) != -1 ||
		    strstr(msg, cases[i].message) == NULL)
			fail_msg("case %zu: expected \"%s\" in: %s", i, cases[i].message, msg);
	}
}

int run_template_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(substitutes_and_keeps_the_rest),
	    cmocka_unit_test(blocks_keep_or_drop_whole_lines),
	    cmocka_unit_test(errors_name_template_and_line),
	};
	return cmocka_run_group_tests_name("template", tests, NULL, NULL);
}
