#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "capture.h"
#include "mail/dkim.h"
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

static void the_active_selector_is_the_file_else_the_default(void **state)
{
	char dir[] = "/tmp/mailinit-dkim.XXXXXX", path[128], selector[64];

	(void)state;
	assert_non_null(mkdtemp(dir));
	dkim_active_selector(dir, "example.com", "mail", selector, sizeof(selector));
	assert_string_equal(selector, "mail");
	snprintf(path, sizeof(path), "%s/example.com", dir);
	assert_int_equal(mkdir(path, 0700), 0);
	assert_int_equal(dkim_set_selector(dir, "example.com", "s20261122"), 0);
	dkim_active_selector(dir, "example.com", "mail", selector, sizeof(selector));
	assert_string_equal(selector, "s20261122");
	/* A file that is not a selector is not used (and cannot inject into KeyTable). */
	assert_int_equal(dkim_set_selector(dir, "example.com", "bad selector:x"), 0);
	dkim_active_selector(dir, "example.com", "mail", selector, sizeof(selector));
	assert_string_equal(selector, "mail");
	assert_true(dkim_valid_selector("s2026-a"));
	assert_false(dkim_valid_selector("-x"));
	assert_false(dkim_valid_selector("a.b"));
	assert_false(dkim_valid_selector(""));
	/* A link planted in place of the file (to a file that holds a valid selector) is not
	   followed. */
	char target[160];
	snprintf(path, sizeof(path), "%s/example.com/selector", dir);
	unlink(path);
	snprintf(target, sizeof(target), "%s/elsewhere", dir);
	int fd = open(target, O_CREAT | O_WRONLY, 0644);
	assert_true(fd >= 0);
	assert_int_equal(write(fd, "planted\n", 8), 8);
	close(fd);
	assert_int_equal(symlink(target, path), 0);
	capture_begin();
	dkim_active_selector(dir, "example.com", "mail", selector, sizeof(selector));
	char msg[512];
	capture_end(msg, sizeof(msg));
	assert_string_equal(selector, "mail");
	assert_non_null(strstr(msg, "is a symbolic link: not read"));
	unlink(path);
	unlink(target);
	snprintf(path, sizeof(path), "%s/example.com", dir);
	rmdir(path);
	rmdir(dir);
}

int run_dkim_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_key_is_made_once_with_its_dns_record),
	    cmocka_unit_test(the_active_selector_is_the_file_else_the_default),
	};
	return cmocka_run_group_tests_name("dkim", tests, NULL, NULL);
}
