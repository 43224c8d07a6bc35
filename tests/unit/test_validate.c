#include <stdbool.h>

#include "mail/validate.h"
#include "unit.h"
#include "base/text.h"

static void domains(void **state)
{
	static const char *const good[] = {"example.com", "EXAMPLE.com.", "a-b.c0.example",
					   "xn--bcher-kva.example", "mail.example.test"};
	static const char *const bad[] = {"",      "com",     "a..b",  ".a.b",
					  "a.b..", "-a.b",    "a-.b",  "a_b.c",
					  "a b.c", "1.2.3.4", "a.b/c", "ex\nample.com"};
	const char *why;

	(void)state;
	for (size_t i = 0; i < sizeof(good) / sizeof(good[0]); i++)
		if (!valid_domain(good[i], &why))
			fail_msg("%s: %s", good[i], why);
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (valid_domain(bad[i], &why))
			fail_msg("\"%s\" was accepted", bad[i]);
}

static void addresses(void **state)
{
	const char *why;

	(void)state;
	assert_true(valid_address("user@example.com", &why));
	assert_true(valid_address("first.last+tag@example.com", &why));
	assert_false(valid_address("user", &why));
	assert_false(valid_address("@example.com", &why));
	assert_false(valid_address("a..b@example.com", &why));
	assert_false(valid_address("a{b}@example.com", &why));
	assert_false(valid_address("a b@example.com", &why));
	assert_false(valid_address("user@localhost", &why));
}

static void numbers_booleans_networks_relayhosts_paths(void **state)
{
	unsigned long n;
	bool flag;
	const char *why;

	(void)state;
	assert_true(valid_uint("300", 0, 86400, &n, &why) && n == 300);
	assert_false(valid_uint("-1", 0, 10, &n, &why));
	assert_false(valid_uint("1e3", 0, 10000, &n, &why));
	assert_false(valid_uint("11", 0, 10, &n, &why));
	assert_true(valid_bool("Yes", &flag, &why) && flag);
	assert_true(valid_bool("off", &flag, &why) && !flag);
	assert_false(valid_bool("maybe", &flag, &why));
	assert_true(valid_network("192.0.2.0/24", &why));
	assert_true(valid_network("[2001:db8::]/32", &why));
	assert_true(valid_network("2001:db8::1", &why));
	assert_false(valid_network("192.0.2.0/33", &why));
	assert_false(valid_network("example.com", &why));
	assert_true(valid_dnsbl_site("zen.spamhaus.org", &why));
	assert_true(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[2..11]*3", &why));
	assert_true(valid_dnsbl_site("list.dnswl.org=127.0.[0..255].[1;2;3]*-2", &why));
	assert_true(valid_dnsbl_site("bl.spamcop.net*2", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.2.5", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.x", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org*", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org*two", &why));
	assert_false(valid_dnsbl_site("zen..org", &why));
	assert_false(valid_dnsbl_site("zen.org{x}", &why));
	/* What Postfix's postscreen would stop on: refused here, said why. */
	assert_false(valid_dnsbl_site("zen.spamhaus.org.", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.300", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.2;3", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[;]", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[2..]", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[5..2]", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[1.2]", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[2", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org=127.0.0.2.", &why));
	assert_false(valid_dnsbl_site("zen.spamhaus.org*99999999999", &why));
	assert_true(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[2;4;6..8]", &why));
	assert_true(valid_dnsbl_site("zen.spamhaus.org=127.0.0.[2..11]", &why));
	assert_true(valid_relayhost("[smtp.example.net]:587", &why));
	assert_true(valid_relayhost("smtp.example.net", &why));
	assert_true(valid_relayhost("[192.0.2.1]:25", &why));
	assert_false(valid_relayhost("[smtp.example.net:587", &why));
	assert_false(valid_relayhost("smtp.example.net:0", &why));
	/* ROLE's servers: names of one label too (a Kubernetes service), IP addresses. */
	assert_true(valid_host("mailbox-1", &why));
	assert_true(valid_host("mailbox-0.mailbox.mail.svc", &why));
	assert_true(valid_host("10.0.0.12", &why));
	assert_true(valid_host("2001:db8::1", &why));
	assert_false(valid_host("-box", &why));
	assert_false(valid_host("box_1", &why));
	assert_false(valid_host("", &why));
	assert_true(valid_server("mail-proxy:24", &why));
	assert_true(valid_server("[2001:db8::24]:24", &why));
	assert_true(valid_server("10.0.0.5:2424", &why));
	assert_false(valid_server("mail-proxy", &why));
	assert_false(valid_server("2001:db8::24:24", &why)); /* IPv6 needs its brackets */
	assert_false(valid_server("mail-proxy:0", &why));
	assert_false(valid_server("mail-proxy:24x", &why));
	assert_false(valid_server(":24", &why));
	assert_false(valid_server("[mail-proxy:24", &why));
	assert_false(valid_server("[::1]24", &why));
	assert_false(valid_server("a b:24", &why));
	assert_true(valid_path("/etc/letsencrypt/live/mail", &why));
	assert_false(valid_path("certs", &why));
	assert_false(valid_path("/a b", &why));
	/* Postfix would split /certs/a,b into two list items at run time. */
	assert_false(valid_path("/certs/a,b", &why));
	assert_false(valid_path("/certs/a\nb", &why));
	assert_false(valid_address("alice/.archive@example.com", &why));
	assert_false(valid_address("../x@example.com", &why));
	assert_true(same_domain("Example.COM.", "example.com"));
	assert_false(same_domain("example.com", "example.co"));
	assert_int_equal(find_control_character("ok"), -1);
	assert_int_equal(find_control_character("o\tk"), 1);
}

int run_validate_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(domains),
	    cmocka_unit_test(addresses),
	    cmocka_unit_test(numbers_booleans_networks_relayhosts_paths),
	};
	return cmocka_run_group_tests_name("validate", tests, NULL, NULL);
}
