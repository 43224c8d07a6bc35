/*
 * NAME
 *	password - make and hash account passwords
 *
 * SYNOPSIS
 *	char secret[PASSWORD_LEN + 1], hash[PASSWORD_HASH_MAX];
 *	password_generate(secret, sizeof(secret));     24 letters and digits
 *	password_hash(secret, hash, sizeof(hash));     "{CRYPT}$y$j8T$..."
 *
 * DESCRIPTION
 *	Randomness from getrandom(2); hashing with libcrypt's yescrypt at cost
 *	PASSWORD_COST (what Dovecot verifies through the system crypt, as
 *	{CRYPT}), salted per password. Hashes made before (SHA512-CRYPT) keep
 *	working: the scheme is in each one.
 */
#ifndef MAILINIT_PASSWORD_H
#define MAILINIT_PASSWORD_H

#include <stddef.h>

#define PASSWORD_LEN      24
#define PASSWORD_HASH_MAX 160
#define PASSWORD_COST     4 /* yescrypt: 27 ms here; 5, the default, 54 ms */

int password_generate(char *out, size_t size);
int password_hash(const char *secret, char *out, size_t size);

#endif
