/*
 * NAME
 *	password - make and hash account passwords
 *
 * SYNOPSIS
 *	char secret[PASSWORD_LEN + 1], hash[PASSWORD_HASH_MAX];
 *	password_generate(secret, sizeof(secret));     24 letters and digits
 *	password_hash(secret, hash, sizeof(hash));     "{SHA512-CRYPT}$6$..."
 *
 * DESCRIPTION
 *	Randomness from getrandom(2); hashing with libcrypt's SHA512-CRYPT
 *	(what Dovecot verifies through the system crypt), salted per password.
 */
#ifndef MAILINIT_PASSWORD_H
#define MAILINIT_PASSWORD_H

#include <stddef.h>

#define PASSWORD_LEN      24
#define PASSWORD_HASH_MAX 160

int password_generate(char *out, size_t size);
int password_hash(const char *secret, char *out, size_t size);

#endif
