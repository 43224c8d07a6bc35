#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <crypt.h>

#include "mail/accounts.h"
#include "mail/password.h"
#include "capture.h"
#include "unit.h"

static char *temp_file(const char *text)
{
	static char path[64];
	int fd;

	snprintf(path, sizeof(path), "/tmp/mailinit-accounts-XXXXXX");
	fd = mkstemp(path);
	if (write(fd, text, strlen(text)) < 0)
		abort();
	close(fd);
	return path;
}

static void accounts_with_quotas_in_lower_case(void **state)
{
	struct accounts a = {0};
	struct problems problems = {0};
	char msg[1024];
	char *path = temp_file("# comment\n\n  Alice@Example.TEST:{BLF-CRYPT}$2y$05$abc:quota=10M\n"
			       "b@example.test:{ARGON2ID}$argon2id$v=19$x:quota=1g quota=512\n"
			       "c@example.test:{PLAIN}pw:host=mailbox-1:quota=1K\n");

	(void)state;
	capture_begin();
	assert_int_equal(accounts_load(&a, path, true, &problems), 0);
	capture_end(msg, sizeof(msg));
	unlink(path);
	assert_int_equal(a.account_count, 3);
	assert_string_equal(a.account[0].address, "alice@example.test");
	assert_string_equal(a.account[0].local, "alice");
	assert_string_equal(a.account[0].domain, "example.test");
	assert_int_equal(a.account[0].line, 3);
	assert_int_equal(a.account[0].quota, 10ULL << 20);
	assert_int_equal(a.account[1].quota, 512); /* the last quota= wins */
	assert_string_equal(a.account[2].password, "{PLAIN}pw");
	assert_string_equal(a.account[2].host, "mailbox-1"); /* its server when split */
	assert_int_equal(a.account[2].quota, 1024);
	assert_string_equal(a.account[0].host, "");
	accounts_free(&a);
}

/* A size too big to count in bytes is refused, not wrapped round to 0 (no quota). */
static void sizes_that_do_not_fit_are_refused(void **state)
{
	unsigned long long bytes = 0;

	(void)state;
	assert_true(accounts_parse_size("16777215T", &bytes));
	assert_true(bytes == 16777215ULL << 40);
	assert_false(accounts_parse_size("16777216T", &bytes));
	assert_false(accounts_parse_size("17179869184G", &bytes));
	assert_false(accounts_parse_size("99999999999999999999", &bytes));
	assert_true(accounts_parse_size("2G", &bytes));
	assert_true(bytes == 2ULL << 30);
}

static void a_missing_file_is_an_empty_list(void **state)
{
	struct accounts a = {0};
	struct problems problems = {0};

	(void)state;
	assert_int_equal(accounts_load(&a, "/nonexistent/accounts", false, &problems), 0);
	assert_int_equal(aliases_load(&a, "/nonexistent/aliases", &problems), 0);
	assert_int_equal(a.account_count + a.alias_count, 0);
	assert_int_equal(problems.count, 0);
}

static void aliases_lists_and_catch_alls(void **state)
{
	struct accounts a = {0};
	struct problems problems = {0};
	char *path = temp_file("Info@example.test  a@example.test,b@example.test  c@other.test\n"
			       "@example.test\ta@example.test\n");

	(void)state;
	assert_int_equal(aliases_load(&a, path, &problems), 0);
	unlink(path);
	assert_int_equal(a.alias_count, 2);
	assert_string_equal(a.alias[0].source, "info@example.test");
	assert_string_equal(a.alias[0].targets, "a@example.test, b@example.test, c@other.test");
	assert_string_equal(a.alias[1].source, "@example.test");
	accounts_free(&a);
}

/* New hashes are yescrypt at PASSWORD_COST, in the {CRYPT} form Dovecot verifies. */
static void new_hashes_are_yescrypt_and_verify(void **state)
{
	char hash[PASSWORD_HASH_MAX];
	struct crypt_data data;

	(void)state;
	assert_int_equal(password_hash("pw-of-alice", hash, sizeof(hash)), 0);
	assert_memory_equal(hash, "{CRYPT}$y$j8T$", 14); /* j8T: cost 4 */
	memset(&data, 0, sizeof(data));
	assert_string_equal(crypt_r("pw-of-alice", hash + 7, &data), hash + 7);
	memset(&data, 0, sizeof(data));
	assert_string_not_equal(crypt_r("pw-of-bob", hash + 7, &data), hash + 7);
	assert_true(accounts_password_ok(hash, false));
	/* {CRYPT} with the hashes crypt(3) takes but nobody should: DES, MD5. */
	assert_false(accounts_password_ok("{CRYPT}abJnggxhB/yWI", false));
	assert_false(accounts_password_ok("{CRYPT}$1$salt$hash", false));
	assert_true(accounts_password_ok("{SHA512-CRYPT}$6$salt$hash", false));
}

int run_accounts_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(accounts_with_quotas_in_lower_case),
	    cmocka_unit_test(sizes_that_do_not_fit_are_refused),
	    cmocka_unit_test(a_missing_file_is_an_empty_list),
	    cmocka_unit_test(aliases_lists_and_catch_alls),
	    cmocka_unit_test(new_hashes_are_yescrypt_and_verify),
	};
	return cmocka_run_group_tests_name("accounts", tests, NULL, NULL);
}
