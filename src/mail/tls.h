/*
 * NAME
 *	tls - the server certificate: wait for it, make one, check it
 *
 * SYNOPSIS
 *	tls_wait(cert, key, seconds)          0 when both files exist, -1 at the limit
 *	tls_self_signed(dir, hostname, cert, key, size)   keep or make dir/cert.pem, key.pem
 *	tls_check(cert, key, hostname, refuse_other_names, &problems)
 *	tls_check_pem(cert, cert_pem, len, key, key_pem, len, hostname, refuse, &problems)
 *	tls_names(cert_pem, len, &names)      the DNS names it covers, space-separated
 *	tls_days_left(cert_pem, len, &not_yet)   days to its expiry
 *
 * DESCRIPTION
 *	tls_wait watches the nearest existing directory of each missing file
 *	with inotify (certbot and Kubernetes swap symlinks and directories):
 *	no sleeping in a loop, and it returns the moment the files are there.
 *
 *	tls_self_signed keeps an existing certificate that is valid for 30
 *	more days and names the host, or makes a new ECDSA P-256 one (valid
 *	three years, subjectAltName DNS:hostname) with the OpenSSL API. The key
 *	is written 0600.
 *
 *	tls_check refuses a key that does not match the certificate, a
 *	certificate that is expired or not yet valid; warns 14 days before
 *	expiry; warns (or, if asked, refuses) when MAIL_HOSTNAME is not among
 *	its names (a NULL hostname: no name check, as for the certificates
 *	served by SNI). tls_check_pem checks texts already read: provisioning reads
 *	the pair once, checks what it read and serves exactly that, so a
 *	renewal half done (a new key beside the old certificate) never reaches
 *	a listener.
 */
#ifndef MAILINIT_TLS_H
#define MAILINIT_TLS_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buffer.h"
#include "mail/validate.h"

int tls_wait(const char *cert, const char *key, unsigned seconds);
int tls_self_signed(const char *dir, const char *hostname, char *cert, char *key, size_t size);
/* Whether tls_self_signed would keep this pair (check uses the real one then). */
bool tls_self_signed_is_usable(const char *cert, const char *key, const char *hostname);
void tls_check(const char *cert, const char *key, const char *hostname, bool refuse_other_names,
	       struct problems *problems);
/* The same for a certificate and key already read (CERT and KEY name them in messages). */
void tls_check_pem(const char *cert, const char *cert_pem, size_t cert_len, const char *key,
		   const char *key_pem, size_t key_len, const char *hostname,
		   bool refuse_other_names, struct problems *problems);
/* The subjectAltName DNS names of the first certificate of CERT_PEM, lower case, each
   after a space but the first, appended to NAMES. 0, or -1 when there is no certificate. */
int tls_names(const char *cert_pem, size_t cert_len, struct buffer *names);
/* Whole days until the first certificate of CERT_PEM expires (negative: expired);
 *NOT_YET when it is not valid yet; INT_MIN when there is no certificate. */
int tls_days_left(const char *cert_pem, size_t cert_len, bool *not_yet);
/* When the first certificate of CERT_PEM expires, unix seconds; -1 when there is none. */
long long tls_not_after(const char *cert_pem, size_t cert_len);

#endif
