/*
 * owner_walk DIR UID GID: time mail_owner_fix() over DIR, the walk mailinit
 * does at every start. Prints "entries-changed milliseconds".
 */
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

#include "mail/perms.h"

int main(int argc, char **argv)
{
	struct timespec a, b;
	long changed;

	if (argc != 4) {
		fprintf(stderr, "usage: owner_walk DIR UID GID\n");
		return 64;
	}
	clock_gettime(CLOCK_MONOTONIC, &a);
	changed = mail_owner_fix(argv[1], (uid_t)atol(argv[2]), (gid_t)atol(argv[3]));
	clock_gettime(CLOCK_MONOTONIC, &b);
	printf("%ld %.1f\n", changed,
	       (double)(b.tv_sec - a.tv_sec) * 1e3 + (double)(b.tv_nsec - a.tv_nsec) / 1e6);
	return changed < 0;
}
