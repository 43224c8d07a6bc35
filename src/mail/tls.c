/*
 * NAME
 *	tls - the server certificate: wait for it, make one, check it
 *
 * DESCRIPTION
 *	See tls.h.
 */
#include <ctype.h>
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/inotify.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>
#include <openssl/x509v3.h>

#include "base/buffer.h"
#include "base/clock.h"
#include "base/log.h"
#include "base/file.h"
#include "mail/tls.h"

#define EXPIRY_WARNING_DAYS    14
#define SELF_SIGNED_DAYS       (3 * 365)
#define SELF_SIGNED_RENEW_DAYS 30

static const char *openssl_reason(void)
{
	static char text[256];
	unsigned long code = ERR_get_error();

	if (code == 0)
		return "unknown OpenSSL error";
	ERR_error_string_n(code, text, sizeof(text));
	ERR_clear_error();
	return text;
}

/* The nearest existing directory above path (path's own directory first). */
static void existing_ancestor(const char *path, char *out, size_t size)
{
	snprintf(out, size, "%s", path);
	do {
		char *slash = strrchr(out, '/');

		if (slash == NULL || slash == out) {
			snprintf(out, size, "/");
			return;
		}
		*slash = '\0';
	} while (access(out, F_OK) != 0);
}

int tls_wait(const char *cert, const char *key, unsigned seconds)
{
	int64_t deadline = clock_ms() + (int64_t)seconds * 1000;
	bool said = false;

	for (;;) {
		const char *files[2] = {cert, key};
		char dir[PATH_MAX];
		long left_ms;
		int fd, ready;

		if (access(cert, R_OK) == 0 && access(key, R_OK) == 0)
			return 0;
		left_ms = (long)(deadline - clock_ms());
		if (left_ms <= 0)
			return -1;
		if (!said) {
			log_info("waiting up to %u s for the certificate %s and key %s to appear",
				 seconds, cert, key);
			said = true;
		}
		if ((fd = inotify_init1(IN_CLOEXEC)) < 0) {
			log_error_sys("inotify");
			return -1;
		}
		for (size_t i = 0; i < 2; i++) {
			if (access(files[i], F_OK) == 0)
				continue;
			existing_ancestor(files[i], dir, sizeof(dir));
			inotify_add_watch(fd, dir,
					  IN_CREATE | IN_MOVED_TO | IN_CLOSE_WRITE | IN_ATTRIB |
					      IN_DELETE_SELF | IN_MOVE_SELF);
		}
		/* Re-check once the watches are set: a file may have come meanwhile. */
		if (access(cert, R_OK) == 0 && access(key, R_OK) == 0) {
			close(fd);
			return 0;
		}
		struct pollfd pfd = {.fd = fd, .events = POLLIN};
		ready = poll(&pfd, 1, (int)left_ms);
		close(fd);
		if (ready < 0 && errno != EINTR) {
			log_error_sys("poll");
			return -1;
		}
	}
}

/* The first PEM object of the text: a certificate (want_key false) or a private key.
   PEM_read skips blocks of other kinds, so one text may hold both. */
static void *read_pem(const char *text, size_t len, bool want_key)
{
	BIO *bio = BIO_new_mem_buf(text, len > INT_MAX ? INT_MAX : (int)len);
	void *object;

	if (bio == NULL)
		return NULL;
	object = want_key ? (void *)PEM_read_bio_PrivateKey(bio, NULL, NULL, NULL)
			  : (void *)PEM_read_bio_X509(bio, NULL, NULL, NULL);
	BIO_free(bio);
	return object;
}

static void *read_pem_file(const char *path, bool want_key)
{
	size_t len = 0;
	char *text = file_read(path, &len);
	void *object = text ? read_pem(text, len, want_key) : NULL;

	if (text)
		explicit_bzero(text, len);
	free(text);
	return object;
}

/* Days until notAfter (negative: expired); sets *not_yet when notBefore is ahead. */
static int days_left(X509 *x, bool *not_yet)
{
	int days = 0, seconds = 0;

	*not_yet = X509_cmp_current_time(X509_get0_notBefore(x)) > 0;
	ASN1_TIME_diff(&days, &seconds, NULL, X509_get0_notAfter(x));
	return days - (days == 0 && seconds < 0);
}

void tls_check_pem(const char *cert, const char *cert_pem, size_t cert_len, const char *key,
		   const char *key_pem, size_t key_len, const char *hostname,
		   bool refuse_other_names, struct problems *problems)
{
	X509 *x;
	EVP_PKEY *k;
	bool not_yet;
	int days;

	x = read_pem(cert_pem, cert_len, false);
	if (x == NULL)
		problem(problems, "%s: not a PEM certificate: %s", cert, openssl_reason());
	k = read_pem(key_pem, key_len, true);
	if (k == NULL)
		problem(problems, "%s: not a PEM private key: %s", key, openssl_reason());
	if (x == NULL || k == NULL)
		goto out;
	if (X509_check_private_key(x, k) != 1) {
		ERR_clear_error();
		problem(problems, "%s: the private key does not belong to the certificate %s", key,
			cert);
	}
	days = days_left(x, &not_yet);
	if (days < 0)
		problem(problems, "%s: the certificate expired %d days ago (renew it)", cert,
			-days);
	else if (not_yet)
		problem(problems, "%s: the certificate is not valid yet (check the clock)", cert);
	else if (days < EXPIRY_WARNING_DAYS)
		log_warn("%s: the certificate expires in %d days", cert, days);
	if (hostname && X509_check_host(x, hostname, 0, 0, NULL) != 1) {
		if (refuse_other_names)
			problem(problems,
				"%s: the certificate does not cover MAIL_HOSTNAME %s "
				"(TLS_HOSTNAME_CHECK=refuse)",
				cert, hostname);
		else
			log_warn("%s: the certificate does not cover MAIL_HOSTNAME %s: clients "
				 "that check names will refuse it",
				 cert, hostname);
	}
out:
	X509_free(x);
	EVP_PKEY_free(k);
}

int tls_days_left(const char *cert_pem, size_t cert_len, bool *not_yet)
{
	X509 *x = read_pem(cert_pem, cert_len, false);
	int days;

	*not_yet = false;
	if (x == NULL)
		return INT_MIN;
	days = days_left(x, not_yet);
	X509_free(x);
	return days;
}

long long tls_not_after(const char *cert_pem, size_t cert_len)
{
	X509 *x = read_pem(cert_pem, cert_len, false);
	struct tm tm = {0};
	long long when = -1;

	if (x != NULL && ASN1_TIME_to_tm(X509_get0_notAfter(x), &tm) == 1)
		when = (long long)timegm(&tm);
	X509_free(x);
	return when;
}

int tls_names(const char *cert_pem, size_t cert_len, struct buffer *names)
{
	X509 *x = read_pem(cert_pem, cert_len, false);
	GENERAL_NAMES *alt;

	if (x == NULL)
		return -1;
	alt = X509_get_ext_d2i(x, NID_subject_alt_name, NULL, NULL);
	for (int i = 0; alt && i < sk_GENERAL_NAME_num(alt); i++) {
		const GENERAL_NAME *name = sk_GENERAL_NAME_value(alt, i);
		const unsigned char *data;
		int len;

		if (name->type != GEN_DNS)
			continue;
		data = ASN1_STRING_get0_data(name->d.dNSName);
		len = ASN1_STRING_length(name->d.dNSName);
		/* A name with a NUL in it is a forgery, not a name. */
		if (len <= 0 || memchr(data, '\0', (size_t)len))
			continue;
		if (names->len)
			buffer_puts(names, " ");
		for (int j = 0; j < len; j++) {
			char lower = (char)tolower(data[j]);

			buffer_append(names, &lower, 1);
		}
	}
	GENERAL_NAMES_free(alt);
	X509_free(x);
	return 0;
}

void tls_check(const char *cert, const char *key, const char *hostname, bool refuse_other_names,
	       struct problems *problems)
{
	size_t cert_len = 0, key_len = 0;
	char *cert_pem = file_read(cert, &cert_len);
	char *key_pem = cert_pem ? file_read(key, &key_len) : NULL;

	if (cert_pem == NULL || key_pem == NULL)
		problem(problems, "%s: not a PEM %s, or unreadable: %s", cert_pem ? key : cert,
			cert_pem ? "private key" : "certificate", strerror(errno));
	else
		tls_check_pem(cert, cert_pem, cert_len, key, key_pem, key_len, hostname,
			      refuse_other_names, problems);
	free(cert_pem);
	if (key_pem)
		explicit_bzero(key_pem, key_len);
	free(key_pem);
}

bool tls_self_signed_is_usable(const char *cert, const char *key, const char *hostname)
{
	X509 *x = read_pem_file(cert, false);
	EVP_PKEY *k = read_pem_file(key, true);
	bool not_yet, usable = false;

	if (x && k)
		usable = X509_check_private_key(x, k) == 1 &&
			 days_left(x, &not_yet) >= SELF_SIGNED_RENEW_DAYS && !not_yet &&
			 X509_check_host(x, hostname, 0, 0, NULL) == 1;
	ERR_clear_error();
	X509_free(x);
	EVP_PKEY_free(k);
	return usable;
}

static int add_extension(X509 *x, int nid, const char *value)
{
	X509V3_CTX ctx;
	X509_EXTENSION *ext;
	int ok;

	X509V3_set_ctx(&ctx, x, x, NULL, NULL, 0);
	if ((ext = X509V3_EXT_conf_nid(NULL, &ctx, nid, value)) == NULL)
		return 0;
	ok = X509_add_ext(x, ext, -1);
	X509_EXTENSION_free(ext);
	return ok;
}

/* PEM of a certificate or a key into buf. */
static int write_pem(const char *path, X509 *x, EVP_PKEY *k, mode_t mode)
{
	BIO *bio = BIO_new(BIO_s_mem());
	char *data;
	long len;
	int status = -1;

	if (bio && (x ? PEM_write_bio_X509(bio, x)
		      : PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL)) == 1) {
		len = BIO_get_mem_data(bio, &data);
		status = file_write(path, data, (size_t)len, mode, 0, 0);
	}
	BIO_free(bio);
	return status;
}

int tls_self_signed(const char *dir, const char *hostname, char *cert, char *key, size_t size)
{
	char san[300];
	EVP_PKEY *k = NULL;
	X509 *x = NULL;
	int status = -1;

	snprintf(cert, size, "%s/cert.pem", dir);
	snprintf(key, size, "%s/key.pem", dir);
	if (tls_self_signed_is_usable(cert, key, hostname))
		return 0;
	if (file_mkdirs(dir, 0755, (uid_t)-1, (gid_t)-1) != 0)
		return -1;
	snprintf(san, sizeof(san), "DNS:%s", hostname);
	if ((k = EVP_EC_gen("P-256")) == NULL || (x = X509_new()) == NULL ||
	    X509_set_version(x, X509_VERSION_3) != 1 ||
	    ASN1_INTEGER_set_uint64(X509_get_serialNumber(x), (uint64_t)time(NULL)) != 1 ||
	    X509_gmtime_adj(X509_getm_notBefore(x), -3600) == NULL ||
	    X509_gmtime_adj(X509_getm_notAfter(x), (long)SELF_SIGNED_DAYS * 86400) == NULL ||
	    X509_NAME_add_entry_by_txt(X509_get_subject_name(x), "CN", MBSTRING_ASC,
				       (const unsigned char *)hostname, -1, -1, 0) != 1 ||
	    X509_set_issuer_name(x, X509_get_subject_name(x)) != 1 || X509_set_pubkey(x, k) != 1 ||
	    !add_extension(x, NID_subject_alt_name, san) ||
	    !add_extension(x, NID_basic_constraints, "critical,CA:FALSE") ||
	    !add_extension(x, NID_key_usage, "critical,digitalSignature") ||
	    !add_extension(x, NID_ext_key_usage, "serverAuth") ||
	    X509_sign(x, k, EVP_sha256()) == 0) {
		log_error("cannot make a self-signed certificate: %s", openssl_reason());
		goto out;
	}
	if (write_pem(key, NULL, k, 0600) == 0 && write_pem(cert, x, NULL, 0644) == 0) {
		log_info("made a self-signed certificate for %s in %s", hostname, dir);
		status = 0;
	}
out:
	X509_free(x);
	EVP_PKEY_free(k);
	return status;
}
