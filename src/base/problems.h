/*
 * NAME
 *	problems - every problem in the input reported, then counted
 *
 * SYNOPSIS
 *	struct problems problems = {0};
 *	problem(&problems, "MAIL_DOMAIN: is required (set it to your mail domain)");
 *	if (problems.count) exit(EX_CONFIG);
 *
 * DESCRIPTION
 *	problem() logs one error line and counts it, so that every problem in
 *	the input is reported at once before mailinit exits 78. With quiet set
 *	it only counts (the caller reports, or does not need to).
 */
#ifndef MAILINIT_PROBLEMS_H
#define MAILINIT_PROBLEMS_H

#include <stdbool.h>

struct problems {
	unsigned count;
	bool quiet; /* count them, log nothing (the caller reports) */
};

void problem(struct problems *problems, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

#endif
