/*
 * NAME
 *	dkim - signing keys per domain, and OpenDKIM's tables
 *
 * SYNOPSIS
 *	dkim_ensure_key("/etc/mailinit/dkim", "example.com", "mail", uid, gid)
 *	dkim_public_record(path, record, sizeof(record))   "v=DKIM1; k=rsa; p=MIIB..."
 *
 * DESCRIPTION
 *	A 2048-bit RSA key per domain, made with OpenSSL when it is missing, in
 *	DIR/DOMAIN/SELECTOR.private (mode 0600, owned by OpenDKIM's user) with
 *	the TXT record to publish beside it in SELECTOR.txt. An existing key is
 *	never replaced; one with another owner or mode (copied in as root) is
 *	given to OpenDKIM. DIR and DIR/DOMAIN belong to root (group OpenDKIM,
 *	0750), taken back from OpenDKIM in volumes made by older versions, and
 *	are opened without following links (safe_dir.h). Returns 0, -1 on an
 *	error, 1 when a link or non-directory stands where DIR/DOMAIN belongs
 *	(logged, left alone, no key).
 *
 *	The selector a domain signs with is DIR/DOMAIN/selector when that file
 *	exists ("mailinit dkim rotate" writes it), else the default
 *	(DKIM_SELECTOR). Older keys stay beside it, published, until removed.
 */
#ifndef MAILINIT_DKIM_H
#define MAILINIT_DKIM_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

int dkim_ensure_key(const char *dir, const char *domain, const char *selector, uid_t uid, gid_t gid,
		    char *key_path, size_t size);
int dkim_public_record(const char *key_path, char *record, size_t size);
void dkim_active_selector(const char *dir, const char *domain, const char *fallback, char *selector,
			  size_t size);
/* Record SELECTOR as the one DOMAIN signs with (atomically). */
int dkim_set_selector(const char *dir, const char *domain, const char *selector);
/* A selector, letters, digits and '-', at most 63 characters. */
bool dkim_valid_selector(const char *selector);

#endif
