/*
 * How long libcrypt takes to hash one password with yescrypt at each cost,
 * and with SHA512-CRYPT's default: the figures behind PASSWORD_COST
 * (src/password.h). Built and run by bench/password.sh.
 */
#include <crypt.h>
#include <stdio.h>
#include <string.h>
#include <time.h>

static double now(void)
{
	struct timespec t;

	clock_gettime(CLOCK_MONOTONIC, &t);
	return (double)t.tv_sec + (double)t.tv_nsec / 1e9;
}

static double ms_per_hash(const char *prefix, unsigned long cost, char *hash, size_t size)
{
	char salt[CRYPT_GENSALT_OUTPUT_SIZE];
	struct crypt_data data;
	const int rounds = 10;
	double began;

	crypt_gensalt_rn(prefix, cost, NULL, 0, salt, sizeof(salt));
	began = now();
	for (int i = 0; i < rounds; i++) {
		memset(&data, 0, sizeof(data));
		snprintf(hash, size, "%s", crypt_r("bench-password", salt, &data));
	}
	return (now() - began) * 1000 / rounds;
}

int main(void)
{
	char hash[256];

	for (unsigned long cost = 3; cost <= 7; cost++) {
		double ms = ms_per_hash("$y$", cost, hash, sizeof(hash));

		printf("yescrypt cost %lu: %6.1f ms per hash  %s\n", cost, ms, hash);
	}
	printf("sha512-crypt default: %6.1f ms per hash\n",
	       ms_per_hash("$6$", 0, hash, sizeof(hash)));
	return 0;
}
