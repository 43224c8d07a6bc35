#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "dkim.h"
#include "unit.h"

static void a_key_is_made_once_with_its_dns_record(void **state)
{
	char dir[] = "/tmp/mailinit-dkim-XXXXXX", key[512], txt[600], record[1024], msg[1024];
	char command[128];
	struct stat first, again;
	FILE *f;

	(void)state;
	assert_non_null(mkdtemp(dir));
	capture_begin();
	assert_int_equal(
	    dkim_ensure_key(dir, "example.test", "s1", (uid_t)-1, (gid_t)-1, key, sizeof(key)), 0);
	capture_end(msg, sizeof(msg));
	assert_non_null(strstr(msg, "example.test: made a DKIM key, selector s1"));
	assert_int_equal(stat(key, &first), 0);
	assert_int_equal(first.st_mode & 0777, 0600);
	assert_int_equal(dkim_public_record(key, record, sizeof(record)), 0);
	/* RSA-2048 SubjectPublicKeyInfo, base64: 392 characters, starting MIIBIjAN. */
	assert_true(strncmp(record, "v=DKIM1; k=rsa; p=MIIBIjAN", 26) == 0);
	assert_int_equal(strlen(record) - strlen("v=DKIM1; k=rsa; p="), 392);
	snprintf(txt, sizeof(txt), "%s/example.test/s1.txt", dir);
	f = fopen(txt, "r");
	assert_non_null(f);
	assert_non_null(fgets(msg, sizeof(msg), f));
	fclose(f);
	assert_true(strncmp(msg, "s1._domainkey.example.test. IN TXT ( \"v=DKIM1;", 45) == 0);

	/* Never replaced. */
	capture_begin();
	assert_int_equal(
	    dkim_ensure_key(dir, "example.test", "s1", (uid_t)-1, (gid_t)-1, key, sizeof(key)), 0);
	capture_end(msg, sizeof(msg));
	assert_int_equal(stat(key, &again), 0);
	assert_int_equal(first.st_ino, again.st_ino);
	assert_null(strstr(msg, "made a DKIM key"));
	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	assert_int_equal(system(command), 0);
}

int run_dkim_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_key_is_made_once_with_its_dns_record),
	};
	return cmocka_run_group_tests_name("dkim", tests, NULL, NULL);
}
