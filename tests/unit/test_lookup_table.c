#include <stdlib.h>
#include <string.h>

#include "mail/lookup_table.h"
#include "unit.h"

static char *written(struct lookup_table *t)
{
	struct buffer out = {0};

	lookup_table_write(t, &out);
	lookup_table_free(t);
	return out.data ? out.data : strdup("");
}

/* An alias on an account's address: one line, the account's own mailbox first. */
static void one_key_is_one_line_with_every_value_once(void **state)
{
	struct lookup_table t = {0};
	char *text;

	(void)state;
	lookup_table_add(&t, "anna@example.test", "anna@example.test");
	lookup_table_add(&t, "bob@example.test", "bob@example.test");
	lookup_table_add(&t, "anna@example.test", "carl@example.test, anna@example.test");
	lookup_table_add(&t, "anna@example.test", "dora@example.test carl@example.test");
	text = written(&t);
	assert_string_equal(text, "anna@example.test anna@example.test, carl@example.test, "
				  "dora@example.test\n"
				  "bob@example.test bob@example.test\n");
	free(text);
}

/* A default (postmaster@) gives way to any real entry of its key. */
static void a_default_only_stands_alone(void **state)
{
	struct lookup_table t = {0};
	char *text;

	(void)state;
	lookup_table_add_default(&t, "postmaster@a.test", "anna@a.test");
	lookup_table_add_default(&t, "postmaster@b.test", "anna@a.test");
	lookup_table_add(&t, "postmaster@b.test", "bob@b.test");
	assert_true(lookup_table_has(&t, "postmaster@b.test"));
	assert_false(lookup_table_has(&t, "postmaster@a.test"));
	text = written(&t);
	assert_string_equal(text, "postmaster@a.test anna@a.test\n"
				  "postmaster@b.test bob@b.test\n");
	free(text);
}

/* Values that share a prefix are different values. */
static void values_are_compared_whole(void **state)
{
	struct lookup_table t = {0};
	char *text;

	(void)state;
	lookup_table_add(&t, "@a.test", "ann@a.test");
	lookup_table_add(&t, "@a.test", "anna@a.test,ann@a.test");
	text = written(&t);
	assert_string_equal(text, "@a.test ann@a.test, anna@a.test\n");
	free(text);
}

int run_lookup_table_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(one_key_is_one_line_with_every_value_once),
	    cmocka_unit_test(a_default_only_stands_alone),
	    cmocka_unit_test(values_are_compared_whole),
	};

	return cmocka_run_group_tests_name("lookup_table", tests, NULL, NULL);
}
