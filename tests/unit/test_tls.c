#include <fcntl.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/buffer.h"
#include "base/file.h"
#include "capture.h"
#include "mail/tls.h"
#include "unit.h"

static char dir[64];

static int setup(void **state)
{
	(void)state;
	snprintf(dir, sizeof(dir), "/tmp/mailinit-tls-XXXXXX");
	return mkdtemp(dir) ? 0 : -1;
}

static int teardown(void **state)
{
	char command[128];

	(void)state;
	snprintf(command, sizeof(command), "rm -rf '%s'", dir);
	return system(command);
}

/* A certificate for name valid from start to end (seconds from now), and its key. */
static void make_cert(const char *base, const char *name, long start, long end)
{
	char path[256], san[256];
	EVP_PKEY *k = EVP_EC_gen("P-256");
	X509 *x = X509_new();
	X509V3_CTX ctx;
	FILE *f;

	X509_set_version(x, X509_VERSION_3);
	ASN1_INTEGER_set(X509_get_serialNumber(x), 1);
	X509_gmtime_adj(X509_getm_notBefore(x), start);
	X509_gmtime_adj(X509_getm_notAfter(x), end);
	X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				   (const unsigned char *)name, -1, -1, 0);
	X509_set_issuer_name(x, X509_get_subject_name(x));
	X509_set_pubkey(x, k);
	snprintf(san, sizeof(san), "DNS:%s", name);
	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	X509_EXTENSION *ext = X509V3_EXT_conf_nid(NULL, &ctx, NID_subject_alt_name, san);
	X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	X509_sign(x, k, EVP_sha256());
	snprintf(path, sizeof(path), "%s/%s.crt", dir, base);
	f = fopen(path, "w");
	PEM_write_X509(f, x);
	fclose(f);
	snprintf(path, sizeof(path), "%s/%s.key", dir, base);
	f = fopen(path, "w");
	PEM_write_PrivateKey(f, k, NULL, NULL, 0, NULL, NULL);
	fclose(f);
	X509_free(x);
	EVP_PKEY_free(k);
}

static unsigned check(const char *cert_base, const char *key_base, const char *host, bool refuse,
		      char *msg, size_t size)
{
	char cert[256], key[256];
	struct problems problems = {0};

	snprintf(cert, sizeof(cert), "%s/%s.crt", dir, cert_base);
	snprintf(key, sizeof(key), "%s/%s.key", dir, key_base);
	capture_begin();
	tls_check(cert, key, host, refuse, &problems);
	capture_end(msg, size);
	return problems.count;
}

static void certificates_are_checked(void **state)
{
	char msg[2048];

	(void)state;
	make_cert("good", "mail.example.test", -3600, 90L * 86400);
	make_cert("other", "mail.example.test", -3600, 90L * 86400);
	make_cert("expired", "mail.example.test", -10L * 86400, -2L * 86400);
	make_cert("future", "mail.example.test", 86400, 90L * 86400);
	make_cert("soon", "mail.example.test", -3600, 5L * 86400 + 3600);

	assert_int_equal(check("good", "good", "mail.example.test", true, msg, sizeof(msg)), 0);
	assert_string_equal(msg, "");
	assert_int_equal(check("good", "other", "mail.example.test", false, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "the private key does not belong to the certificate"));
	assert_int_equal(check("expired", "expired", "mail.example.test", false, msg, sizeof(msg)),
			 1);
	assert_non_null(strstr(msg, "the certificate expired 2 days ago (renew it)"));
	assert_int_equal(check("future", "future", "mail.example.test", false, msg, sizeof(msg)),
			 1);
	assert_non_null(strstr(msg, "is not valid yet"));
	assert_int_equal(check("soon", "soon", "mail.example.test", false, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "warning: "));
	if (strstr(msg, "the certificate expires in 5 days") == NULL)
		fail_msg("%s", msg);
	/* Another name: a warning, or with refuse a problem. */
	assert_int_equal(check("good", "good", "mx.example.test", false, msg, sizeof(msg)), 0);
	assert_non_null(strstr(msg, "does not cover MAIL_HOSTNAME mx.example.test"));
	assert_int_equal(check("good", "good", "mx.example.test", true, msg, sizeof(msg)), 1);
	assert_int_equal(check("missing", "good", "mail.example.test", false, msg, sizeof(msg)), 1);
	assert_non_null(strstr(msg, "missing.crt: not a PEM certificate, or unreadable"));
}

static void self_signed_is_made_once_and_kept(void **state)
{
	char sub[128], cert[256], key[256], msg[1024];
	struct stat first, again;

	(void)state;
	snprintf(sub, sizeof(sub), "%s/selfsigned", dir);
	capture_begin();
	assert_int_equal(tls_self_signed(sub, "mail.example.test", cert, key, sizeof(cert)), 0);
	capture_end(msg, sizeof(msg));
	assert_non_null(strstr(msg, "made a self-signed certificate for mail.example.test"));
	assert_int_equal(stat(key, &first), 0);
	assert_int_equal(first.st_mode & 0777, 0600);
	capture_begin();
	assert_int_equal(tls_self_signed(sub, "mail.example.test", cert, key, sizeof(cert)), 0);
	capture_end(msg, sizeof(msg));
	assert_string_equal(msg, ""); /* kept */
	assert_int_equal(stat(key, &again), 0);
	assert_int_equal(first.st_ino, again.st_ino);
	/* The host name changed: a new one. */
	capture_begin();
	assert_int_equal(tls_self_signed(sub, "mx.example.test", cert, key, sizeof(cert)), 0);
	capture_end(msg, sizeof(msg));
	assert_non_null(strstr(msg, "for mx.example.test"));
}

struct later {
	const char *cert_dir; /* made, then filled, after a delay */
	bool kubernetes;      /* ..data symlink swap, as a Secret volume does it */
};

static void *deliver_later(void *arg)
{
	const struct later *later = arg;
	char command[768];
	struct timespec delay = {0, 300 * 1000 * 1000};

	nanosleep(&delay, NULL);
	if (later->kubernetes) {
		snprintf(
		    command, sizeof(command),
		    "set -e; cd '%s'; mkdir ..2026_01_01; cp ../good.crt ..2026_01_01/tls.crt; "
		    "cp ../good.key ..2026_01_01/tls.key; ln -s ..2026_01_01 ..data_tmp; "
		    "mv -T ..data_tmp ..data",
		    later->cert_dir);
	} else {
		snprintf(command, sizeof(command),
			 "set -e; mkdir -p '%s'; cp '%s/good.key' '%s/privkey.pem'; "
			 "cp '%s/good.crt' '%s/fullchain.pem'",
			 later->cert_dir, dir, later->cert_dir, dir, later->cert_dir);
	}
	if (system(command) != 0)
		abort();
	return NULL;
}

static double seconds_since(const struct timespec *start)
{
	struct timespec now;

	clock_gettime(CLOCK_MONOTONIC, &now);
	return (double)(now.tv_sec - start->tv_sec) + (now.tv_nsec - start->tv_nsec) / 1e9;
}

/* The files appear while waiting: tls_wait returns then, long before its limit. */
static void wait_returns_when_the_files_appear(void **state)
{
	char certdir[128], cert[256], key[256], msg[1024];
	struct later later = {.cert_dir = certdir};
	struct timespec start;
	pthread_t thread;

	(void)state;
	make_cert("good", "mail.example.test", -3600, 90L * 86400);
	/* certbot's live/NAME does not exist yet either. */
	snprintf(certdir, sizeof(certdir), "%s/live/mail", dir);
	snprintf(cert, sizeof(cert), "%s/fullchain.pem", certdir);
	snprintf(key, sizeof(key), "%s/privkey.pem", certdir);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_create(&thread, NULL, deliver_later, &later);
	capture_begin();
	int status = tls_wait(cert, key, 20);
	capture_end(msg, sizeof(msg));
	pthread_join(thread, NULL);
	assert_int_equal(status, 0);
	assert_true(seconds_since(&start) < 10);
	assert_non_null(strstr(msg, "waiting up to 20 s for the certificate"));
	/* Logged once, not once per event. */
	assert_null(strstr(strstr(msg, "waiting") + 1, "waiting"));
}

/* The swap is seen when it happens: with a limit of 20 s, returning after 10 s means
   the files were found only by the look tls_wait takes at its limit, not by a watch. */
static void wait_sees_a_kubernetes_secret_swap(void **state)
{
	char secret[128], cert[256], key[256], msg[1024];
	struct later later = {.cert_dir = secret, .kubernetes = true};
	struct timespec start;
	pthread_t thread;

	(void)state;
	make_cert("good", "mail.example.test", -3600, 90L * 86400);
	snprintf(secret, sizeof(secret), "%s/secret", dir);
	mkdir(secret, 0755);
	snprintf(cert, sizeof(cert), "%s/tls.crt", secret);
	snprintf(key, sizeof(key), "%s/tls.key", secret);
	/* The files are symlinks through ..data, dangling until the swap. */
	assert_int_equal(symlink("..data/tls.crt", cert), 0);
	assert_int_equal(symlink("..data/tls.key", key), 0);
	clock_gettime(CLOCK_MONOTONIC, &start);
	pthread_create(&thread, NULL, deliver_later, &later);
	capture_begin();
	int status = tls_wait(cert, key, 20);
	capture_end(msg, sizeof(msg));
	pthread_join(thread, NULL);
	assert_int_equal(status, 0);
	assert_true(seconds_since(&start) < 10);
}

static void wait_gives_up_at_the_limit(void **state)
{
	char cert[256], key[256], msg[1024];

	(void)state;
	snprintf(cert, sizeof(cert), "%s/never/fullchain.pem", dir);
	snprintf(key, sizeof(key), "%s/never/privkey.pem", dir);
	capture_begin();
	int status = tls_wait(cert, key, 1);
	capture_end(msg, sizeof(msg));
	assert_int_equal(status, -1);
}

/* The DNS names of the subjectAltName, lower case, in order; other kinds (IP) left out. */
static void names_are_the_dns_alt_names(void **state)
{
	char path[256];
	size_t len = 0;
	char *pem;
	struct buffer names = {0};

	(void)state;
	make_cert("names", "Mail.Example.ORG,DNS:*.example.net,IP:192.0.2.1,DNS:imap.example.org",
		  -60, 86400);
	snprintf(path, sizeof(path), "%s/names.crt", dir);
	assert_non_null(pem = file_read(path, &len));
	assert_int_equal(tls_names(pem, len, &names), 0);
	assert_string_equal(names.data, "mail.example.org *.example.net imap.example.org");
	buffer_free(&names);
	assert_int_equal(tls_names("not a certificate", 17, &names), -1);
	assert_int_equal(names.len, 0);
	free(pem);
}

int run_tls_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(certificates_are_checked),
	    cmocka_unit_test(self_signed_is_made_once_and_kept),
	    cmocka_unit_test(wait_returns_when_the_files_appear),
	    cmocka_unit_test(wait_sees_a_kubernetes_secret_swap),
	    cmocka_unit_test(wait_gives_up_at_the_limit),
	    cmocka_unit_test(names_are_the_dns_alt_names),
	};
	return cmocka_run_group_tests_name("tls", tests, setup, teardown);
}
