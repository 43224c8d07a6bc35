/*
 * NAME
 *	backoff - when to restart a failed service, and when to give up
 *
 * SYNOPSIS
 *	struct restart_policy policy = RESTART_POLICY_DEFAULT;
 *	struct restart_history history = {0};
 *	unsigned delay;
 *	if (restart_record_failure(&history, &policy, now_ms, &delay))
 *		give up;
 *	else
 *		restart in delay seconds;
 *
 * DESCRIPTION
 *	One history serves both decisions. The failures inside the last
 *	window seconds are counted; the n-th of them delays the restart by
 *	initial * 2^(n-1) seconds, capped at max; the limit-th gives up.
 *	A service that fails now and then (fewer than limit per window) is
 *	restarted forever with a short delay; one that keeps failing stops
 *	the whole server, so the orchestrator sees it.
 */
#ifndef MAILINIT_BACKOFF_H
#define MAILINIT_BACKOFF_H

#include <stdbool.h>
#include <stdint.h>

#define RESTART_LIMIT_MAX 32

struct restart_policy {
	unsigned initial; /* seconds before the first restart */
	unsigned max;     /* cap on the delay, seconds */
	unsigned limit;   /* this many failures inside window: give up (1..RESTART_LIMIT_MAX) */
	unsigned window;  /* seconds */
};

#define RESTART_POLICY_DEFAULT                                                                     \
	{                                                                                          \
		.initial = 1, .max = 30, .limit = 5, .window = 60                                  \
	}

struct restart_history {
	int64_t failed_at[RESTART_LIMIT_MAX]; /* ring of failure times, milliseconds */
	unsigned next;                        /* slot the next failure goes to */
	unsigned stored;                      /* how many slots hold a time */
};

/* Count failures in the window ending at now_ms (inclusive). */
unsigned restart_recent_failures(const struct restart_history *history,
				 const struct restart_policy *policy, int64_t now_ms);

/*
 * Record a failure at now_ms. Returns true when the service should be given
 * up; otherwise sets *delay to the seconds to wait before the restart.
 */
bool restart_record_failure(struct restart_history *history, const struct restart_policy *policy,
			    int64_t now_ms, unsigned *delay);

#endif
