/*
 * NAME
 *	backoff - when to restart a failed service, and when to give up
 *
 * DESCRIPTION
 *	See backoff.h. Pure arithmetic on a fixed-size ring: no allocation,
 *	no clock of its own (the caller passes the time), so it is tested
 *	without waiting.
 */
#include "init/backoff.h"

unsigned restart_recent_failures(const struct restart_history *history,
				 const struct restart_policy *policy, int64_t now_ms)
{
	int64_t since = now_ms - (int64_t)policy->window * 1000;
	unsigned count = 0;

	for (unsigned i = 0; i < history->stored; i++) {
		if (history->failed_at[i] > since && history->failed_at[i] <= now_ms)
			count++;
	}
	return count;
}

bool restart_record_failure(struct restart_history *history, const struct restart_policy *policy,
			    int64_t now_ms, unsigned *delay)
{
	unsigned recent;
	unsigned long long seconds;

	history->failed_at[history->next] = now_ms;
	history->next = (history->next + 1) % RESTART_LIMIT_MAX;
	if (history->stored < RESTART_LIMIT_MAX)
		history->stored++;

	recent = restart_recent_failures(history, policy, now_ms);
	if (recent >= policy->limit)
		return true;

	seconds = policy->initial;
	for (unsigned i = 1; i < recent && seconds < policy->max; i++)
		seconds *= 2;
	*delay = seconds > policy->max ? policy->max : (unsigned)seconds;
	return false;
}
