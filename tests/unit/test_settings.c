#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capture.h"
#include "mail/settings.h"
#include "unit.h"

static unsigned resolve(struct settings *s, const char *file_text, char **env, char *msg,
			size_t size)
{
	char path[] = "/tmp/mailinit-settings-XXXXXX";
	struct problems problems = {0};
	int fd = -1;

	settings_init(s);
	s->hostname_of_container = "3f2a9c1b";
	capture_begin();
	if (file_text) {
		fd = mkstemp(path);
		if (write(fd, file_text, strlen(file_text)) < 0)
			abort();
		close(fd);
		settings_read_file(s, path, &problems);
	}
	settings_read_environment(s, env, &problems);
	settings_resolve(s, &problems);
	capture_end(msg, size);
	if (fd >= 0)
		unlink(path);
	return problems.count;
}

static void defaults_then_file_then_environment(void **state)
{
	struct settings s;
	char msg[2048];
	char *env[] = {"MAIL_DOMAIN=env.test", "POSTFIX_SMTPD_BANNER=hello", "UNRELATED=1", NULL};

	(void)state;
	assert_int_equal(
	    resolve(&s, "mail_domain = \"file.test\"\nstop_grace = \"3\"\n", env, msg, sizeof(msg)),
	    0);
	assert_string_equal(settings_get(&s, S_MAIL_DOMAIN), "env.test");      /* env wins */
	assert_int_equal(settings_number(&s, S_STOP_GRACE), 3);                /* file */
	assert_int_equal(settings_number(&s, S_MESSAGE_SIZE_LIMIT), 26214400); /* default */
	assert_string_equal(settings_get(&s, S_MAIL_HOSTNAME), "mail.env.test");
	assert_string_equal(settings_get(&s, S_POSTMASTER_ADDRESS), "postmaster@env.test");
	assert_true(settings_bool(&s, S_TLS_SELF_SIGNED));
	assert_false(settings_bool(&s, S_ENABLE_MANAGESIEVE));
	assert_int_equal(s.postfix_count, 1);
	assert_string_equal(s.postfix[0].param, "smtpd_banner");
	assert_string_equal(s.postfix[0].value, "hello");
	assert_non_null(strstr(s.origin[S_STOP_GRACE], ":2"));
	settings_free(&s);
}

static void a_configured_certificate_turns_self_signed_off(void **state)
{
	struct settings s;
	char msg[2048];
	char *env[] = {"MAIL_DOMAIN=example.test", "CERT_PATH=/certs", NULL};

	(void)state;
	assert_int_equal(resolve(&s, NULL, env, msg, sizeof(msg)), 0);
	assert_false(settings_bool(&s, S_TLS_SELF_SIGNED));
	assert_int_equal(settings_number(&s, S_CERT_WAIT), 300);
	settings_free(&s);
}

static void secrets_are_never_echoed(void **state)
{
	struct settings s;
	char msg[2048];
	char *env[] = {"MAIL_DOMAIN=example.test", "RELAYHOST_PASSWORD=", NULL};

	(void)state;
	assert_true(resolve(&s, NULL, env, msg, sizeof(msg)) > 0);
	assert_non_null(strstr(msg, "RELAYHOST_PASSWORD: is empty"));
	settings_free(&s);
}

static void lists_split_on_blanks_and_commas(void **state)
{
	char words[8][256];

	(void)state;
	assert_int_equal(settings_split(" a.test, b.test,,c.test\t", words, 8), 3);
	assert_string_equal(words[2], "c.test");
	assert_int_equal(settings_split("", words, 8), 0);
}

int run_settings_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(defaults_then_file_then_environment),
	    cmocka_unit_test(a_configured_certificate_turns_self_signed_off),
	    cmocka_unit_test(secrets_are_never_echoed),
	    cmocka_unit_test(lists_split_on_blanks_and_commas),
	};
	return cmocka_run_group_tests_name("settings", tests, NULL, NULL);
}
