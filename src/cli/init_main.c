/*
 * NAME
 *	init_main - mailinit-init: PID 1 of the mail container
 *
 * SYNOPSIS
 *	mailinit-init [run] [--config FILE]
 *
 * DESCRIPTION
 *	The supervisor as a program of its own, linked statically with libc,
 *	libconfuse and libcap only: OpenSSL and libcrypt, which provisioning
 *	and the operator's commands need, cost PID 1 ~1.8 MB of resident
 *	memory for as long as the container runs (bench/RESULTS.md,
 *	docs/decisions.md). "mailinit run" (the image's entry point) execs
 *	this; it runs mailinit's provisioning step in a child (run.c). Its
 *	process name is mailinit, as before.
 */
#include <string.h>
#include <sys/prctl.h>

#include "cli/cli.h"

int main(int argc, char **argv)
{
	/* Seen as mailinit by ps and podman top, and by "mailinit reload", which signals
	   PID 1 only when it is ours. */
	prctl(PR_SET_NAME, "mailinit");
	if (argc > 1 && strcmp(argv[1], "run") == 0)
		return command_run(argc - 2, argv + 2);
	return command_run(argc - 1, argv + 1);
}
