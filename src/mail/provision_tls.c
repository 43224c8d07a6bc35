/*
 * NAME
 *	provision_tls - the certificate pair the daemons serve
 *
 * DESCRIPTION
 *	See provision_steps.h. The operator's files (CERT_PATH, TLS_CERT_FILE),
 *	or the self-signed pair kept in the config volume; waited for at a
 *	start (CERT_WAIT), never at a check or reload.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>
#include <sysexits.h>

#include "base/buffer.h"
#include "base/file.h"
#include "base/log.h"
#include "mail/provision_steps.h"
#include "mail/tls.h"

/*
 * The certificate and key are read once, checked as read, and served from one
 * file rendered with the rest (TLS_PAIR): Postfix and Dovecot never read the
 * operator's files themselves, so a renewal caught halfway (a new key beside
 * the old certificate) is refused while the pair already served stays.
 */
static int read_certificate_pair(struct context *c, struct problems *problems)
{
	size_t cert_len = 0, key_len = 0;
	char *cert = file_read(c->cert, &cert_len);
	char *key = cert ? file_read(c->key, &key_len) : NULL;
	unsigned before = problems->count;

	if (cert == NULL || key == NULL) {
		problem(problems, "%s: cannot read it: %s", cert ? c->key : c->cert,
			strerror(errno));
		free(cert);
		return 0;
	}
	tls_check_pem(c->cert, cert, cert_len, c->key, key, key_len,
		      settings_get(c->settings, S_MAIL_HOSTNAME),
		      strcmp(settings_get(c->settings, S_TLS_HOSTNAME_CHECK), "refuse") == 0,
		      problems);
	if (problems->count == before) {
		buffer_append(&c->tls_pair, key, key_len);
		if (key_len > 0 && key[key_len - 1] != '\n')
			buffer_puts(&c->tls_pair, "\n");
		buffer_append(&c->tls_pair, cert, cert_len);
	}
	explicit_bzero(key, key_len);
	free(key);
	free(cert);
	return 0;
}

/*
 * The configured pair is not there (yet): a start waits CERT_WAIT seconds for
 * it; check and reload never wait (the running server keeps its pair). 0, a
 * problem counted, or EX_TEMPFAIL.
 */
static int wait_for_certificate(struct context *c, struct problems *problems)
{
	const struct settings *s = c->settings;
	unsigned wait = (unsigned)settings_number(s, S_CERT_WAIT);

	/* Check and reload never wait: the running server keeps its certificate. */
	if (c->options->check || c->options->staging) {
		const char *name = settings_get(s, S_CERT_PATH) ? "CERT_PATH" : "TLS_CERT_FILE";
		char consequence[96];

		if (c->options->staging)
			snprintf(consequence, sizeof(consequence),
				 "the running server keeps the pair it serves");
		else
			snprintf(consequence, sizeof(consequence),
				 "a start would wait up to CERT_WAIT=%u s for them", wait);
		problem(problems,
			"%s: %s and %s are not there (yet): %s (check the certificate "
			"volume, or %s)",
			name, c->cert, c->key, consequence, name);
		return 0;
	}
	if (tls_wait(c->cert, c->key, wait) != 0) {
		log_error("%s and %s did not appear within CERT_WAIT=%u s (check the "
			  "certificate volume, or CERT_PATH)",
			  c->cert, c->key, wait);
		return EX_TEMPFAIL;
	}
	return 0;
}

int provision_certificate(struct context *c, struct problems *problems)
{
	const struct settings *s = c->settings;
	const char *root = c->root;
	char dir[PATH_MAX];

	if (settings_get(s, S_CERT_PATH)) {
		snprintf(c->cert, sizeof(c->cert), "%s/fullchain.pem",
			 settings_get(s, S_CERT_PATH));
		snprintf(c->key, sizeof(c->key), "%s/privkey.pem", settings_get(s, S_CERT_PATH));
	} else if (settings_get(s, S_TLS_CERT_FILE)) {
		snprintf(c->cert, sizeof(c->cert), "%s", settings_get(s, S_TLS_CERT_FILE));
		snprintf(c->key, sizeof(c->key), "%s", settings_get(s, S_TLS_KEY_FILE));
	} else {
		/*
		 * Kept in the config volume. A check verifies the one there when the
		 * server would keep it, else makes its own in the scratch root, as
		 * the server would make a new one.
		 */
		snprintf(dir, sizeof(dir), "%s/tls", c->options->config_dir);
		if (c->options->check) {
			snprintf(c->cert, sizeof(c->cert), "%s/tls/cert.pem",
				 c->options->config_dir);
			snprintf(c->key, sizeof(c->key), "%s/tls/key.pem", c->options->config_dir);
			if (tls_self_signed_is_usable(c->cert, c->key,
						      settings_get(s, S_MAIL_HOSTNAME)))
				goto check;
			snprintf(dir, sizeof(dir), "%s/etc/mailinit/tls", root);
		}
		if (tls_self_signed(dir, settings_get(s, S_MAIL_HOSTNAME), c->cert, c->key,
				    sizeof(c->cert)) != 0)
			return EX_OSERR;
		goto check;
	}
	if (access(c->cert, R_OK) != 0 || access(c->key, R_OK) != 0) {
		int status = wait_for_certificate(c, problems);

		if (status != 0 || problems->count)
			return status;
	}
check:
	return read_certificate_pair(c, problems);
}
