/*
 * NAME
 *	dkim - signing keys per domain, and OpenDKIM's tables
 *
 * DESCRIPTION
 *	See dkim.h.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/evp.h>
#include <openssl/pem.h>
#include <openssl/x509.h>

#include "base/buffer.h"
#include "mail/dkim.h"
#include "base/log.h"
#include "base/file.h"
#include "base/safe_dir.h"

int dkim_public_record(const char *key_path, char *record, size_t size)
{
	FILE *f = fopen(key_path, "re");
	EVP_PKEY *k = f ? PEM_read_PrivateKey(f, NULL, NULL, NULL) : NULL;
	unsigned char *der = NULL;
	int der_len, status = -1;

	if (f)
		fclose(f);
	if (k && (der_len = i2d_PUBKEY(k, &der)) > 0 && size > (size_t)(der_len + 2) / 3 * 4 + 32) {
		int n = snprintf(record, size, "v=DKIM1; k=rsa; p=");
		EVP_EncodeBlock((unsigned char *)record + n, der, der_len);
		status = 0;
	}
	ERR_clear_error();
	OPENSSL_free(der);
	EVP_PKEY_free(k);
	return status;
}

/*
 * DIR (.../dkim) and DIR/DOMAIN belong to root, group GID, 0750, opened without
 * following links: OpenDKIM reads the keys but does not own where they are
 * (older volumes gave it the directories, from which it could have swapped in
 * links for root to follow). With UID -1 (tests, a scratch check) owners stay.
 */
static int secure_domain_dir(const char *dir, const char *domain, uid_t uid, gid_t gid)
{
	char parent[PATH_MAX], path[PATH_MAX + 256];
	const char *base = strrchr(dir, '/');
	uid_t owner = uid == (uid_t)-1 ? (uid_t)-1 : geteuid();
	int parent_fd, dir_fd, fd;

	snprintf(parent, sizeof(parent), "%.*s", base ? (int)(base - dir) : 0, dir);
	base = base ? base + 1 : dir;
	if (file_mkdirs(*parent ? parent : ".", 0755, (uid_t)-1, (gid_t)-1) != 0)
		return -1;
	if ((parent_fd = open(*parent ? parent : ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC)) < 0) {
		log_error_sys("cannot open %s", parent);
		return -1;
	}
	dir_fd = safe_dir_open(parent_fd, base, dir, 0750, owner, gid,
			       SAFE_DIR_CREATE | (owner != (uid_t)-1 ? SAFE_DIR_OWN : 0));
	close(parent_fd);
	if (dir_fd < 0)
		return -1;
	snprintf(path, sizeof(path), "%s/%s", dir, domain);
	fd = safe_dir_open(dir_fd, domain, path, 0750, owner, gid,
			   SAFE_DIR_CREATE | (owner != (uid_t)-1 ? SAFE_DIR_OWN : 0));
	close(dir_fd);
	return fd;
}

/* A key found with another owner or mode (copied in as root, say) is given to OpenDKIM, on its
   descriptor; a link is not followed, and left as the operator made it. */
static void give_key_to_opendkim(int domain_fd, const char *name, const char *path, uid_t uid,
				 gid_t gid)
{
	struct stat st;
	int fd;

	if (uid == (uid_t)-1)
		return;
	if ((fd = openat(domain_fd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ELOOP)
			log_warn("%s is a symbolic link: its owner and mode are left as they are "
				 "(OpenDKIM must be able to read what it points at)",
				 path);
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode) &&
	    (st.st_uid != uid || st.st_gid != gid || (st.st_mode & 07777) != 0600)) {
		if (fchown(fd, uid, gid) == 0 && fchmod(fd, 0600) == 0)
			log_info("%s: given to OpenDKIM (%u:%u, 0600) so it can sign", path,
				 (unsigned)uid, (unsigned)gid);
		else
			log_error_sys("%s: cannot give it to OpenDKIM (%u:%u, 0600)", path,
				      (unsigned)uid, (unsigned)gid);
	}
	close(fd);
}

int dkim_ensure_key(const char *dir, const char *domain, const char *selector, uid_t uid, gid_t gid,
		    char *key_path, size_t size)
{
	char domain_dir[512], txt_path[600], record[1024];
	struct buffer txt = {0};
	EVP_PKEY *k = NULL;
	BIO *bio = NULL;
	char *pem;
	long len;
	int status = -1;

	char key_name[80];
	int domain_fd;

	snprintf(domain_dir, sizeof(domain_dir), "%s/%s", dir, domain);
	snprintf(key_path, size, "%s/%s.private", domain_dir, selector);
	snprintf(txt_path, sizeof(txt_path), "%s/%s.txt", domain_dir, selector);
	snprintf(key_name, sizeof(key_name), "%s.private", selector);
	if ((domain_fd = secure_domain_dir(dir, domain, uid, gid)) < 0)
		return safe_dir_refused(errno) ? 1 : -1;
	give_key_to_opendkim(domain_fd, key_name, key_path, uid, gid);
	close(domain_fd);
	if (access(key_path, F_OK) != 0) {
		if ((k = EVP_RSA_gen(2048)) == NULL || (bio = BIO_new(BIO_s_mem())) == NULL ||
		    PEM_write_bio_PrivateKey(bio, k, NULL, NULL, 0, NULL, NULL) != 1) {
			log_error("%s: cannot make a DKIM key", domain);
			goto out;
		}
		len = BIO_get_mem_data(bio, &pem);
		if (file_write(key_path, pem, (size_t)len, 0600, uid, gid) != 0)
			goto out;
		log_info("%s: made a DKIM key, selector %s (publish %s)", domain, selector,
			 txt_path);
	}
	if (dkim_public_record(key_path, record, sizeof(record)) != 0) {
		log_error("%s: not a private key (remove it to have a new one made)", key_path);
		goto out;
	}
	buffer_printf(&txt, "%s._domainkey.%s. IN TXT ( ", selector, domain);
	for (size_t i = 0, n = strlen(record); i < n; i += 250)
		buffer_printf(&txt, "\"%.250s\" ", record + i);
	buffer_puts(&txt, ")\n");
	status = file_write(txt_path, txt.data, txt.len, 0644, (uid_t)-1, (gid_t)-1);
out:
	buffer_free(&txt);
	BIO_free(bio);
	EVP_PKEY_free(k);
	return status;
}

bool dkim_valid_selector(const char *selector)
{
	size_t n = strlen(selector);

	if (n == 0 || n > 63 || selector[0] == '-')
		return false;
	for (const char *p = selector; *p; p++) {
		if (!((*p >= 'a' && *p <= 'z') || (*p >= 'A' && *p <= 'Z') ||
		      (*p >= '0' && *p <= '9') || *p == '-'))
			return false;
	}
	return true;
}

void dkim_active_selector(const char *dir, const char *domain, const char *fallback, char *selector,
			  size_t size)
{
	char path[PATH_MAX], text[128];
	struct stat st;
	ssize_t got = -1;
	int fd;

	snprintf(path, sizeof(path), "%s/%s/selector", dir, domain);
	snprintf(selector, size, "%s", fallback);
	/* Root reads it, perhaps from a directory an older version gave OpenDKIM: a link
	   there (to /etc/hostname, say) is not followed. */
	if ((fd = open(path, O_RDONLY | O_NOFOLLOW | O_CLOEXEC | O_NOCTTY)) < 0) {
		if (errno == ELOOP)
			log_warn("%s is a symbolic link: not read; signing with %s", path,
				 fallback);
		return;
	}
	if (fstat(fd, &st) == 0 && S_ISREG(st.st_mode))
		got = read(fd, text, sizeof(text) - 1);
	close(fd);
	if (got < 0)
		return;
	text[got] = '\0';
	text[strcspn(text, "\r\n")] = '\0';
	if (dkim_valid_selector(text))
		snprintf(selector, size, "%s", text);
	else
		log_warn("%s: \"%s\" is not a selector; signing with %s", path, text, fallback);
}

int dkim_set_selector(const char *dir, const char *domain, const char *selector)
{
	char path[PATH_MAX], line[80];
	int n = snprintf(line, sizeof(line), "%s\n", selector);

	snprintf(path, sizeof(path), "%s/%s/selector", dir, domain);
	return file_write(path, line, (size_t)n, 0644, (uid_t)-1, (gid_t)-1);
}
