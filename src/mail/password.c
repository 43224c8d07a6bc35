/*
 * NAME
 *	password - make and hash account passwords
 *
 * DESCRIPTION
 *	See password.h.
 */
#include <crypt.h>
#include <stdio.h>
#include <string.h>
#include <sys/random.h>

#include "base/log.h"
#include "mail/password.h"

static const char alphabet[] = "ABCDEFGHJKLMNPQRSTUVWXYZabcdefghijkmnopqrstuvwxyz23456789";

int password_generate(char *out, size_t size)
{
	unsigned char random[PASSWORD_LEN];
	size_t n = sizeof(alphabet) - 1;

	if (size < PASSWORD_LEN + 1 || getrandom(random, sizeof(random), 0) != sizeof(random)) {
		log_error_sys("cannot generate a password");
		return -1;
	}
	/* 57 symbols: 256 % 57 leaves a small bias; 24 of them still give > 138 bits. */
	for (size_t i = 0; i < PASSWORD_LEN; i++)
		out[i] = alphabet[random[i] % n];
	out[PASSWORD_LEN] = '\0';
	return 0;
}

int password_hash(const char *secret, char *out, size_t size)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;
	const char *hash;

	/*
	 * yescrypt (libxcrypt's default on Debian, memory-hard), verified by
	 * Dovecot's {CRYPT} through the same crypt(3). Cost 4: 27 ms to hash here,
	 * 34 ms for Dovecot to verify one login (bench/results/2026-11-22-password.txt);
	 * the default, 5, takes 54 ms, over the 50 ms a login may cost.
	 */
	memset(&data, 0, sizeof(data));
	if (crypt_gensalt_rn("$y$", PASSWORD_COST, NULL, 0, salt, sizeof(salt)) == NULL ||
	    (hash = crypt_r(secret, salt, &data)) == NULL || hash[0] == '*') {
		log_error_sys("cannot hash a password");
		return -1;
	}
	if (snprintf(out, size, "{CRYPT}%s", hash) >= (int)size)
		return -1;
	return 0;
}
