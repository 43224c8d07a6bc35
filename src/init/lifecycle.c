/*
 * NAME
 *	lifecycle - a service's states and what each event does to them
 *
 * DESCRIPTION
 *	See lifecycle.h. The table below is the behaviour; empty cells are
 *	"stay, do nothing" (filled in by lifecycle_next).
 */
#include <stddef.h>

#include "init/lifecycle.h"

#define T(to, act)                                                                                 \
	{                                                                                          \
		.next = SVC_##to, .action = SVC_ACT_##act, .set = 1                                \
	}

static const struct {
	enum svc_state next;
	enum svc_action action;
	int set;
} table[SVC_STATE_COUNT][SVC_EVENT_COUNT] = {
    [SVC_DOWN] =
	{
	    [SVC_EV_START] = T(RUNNING, SPAWN),
	    [SVC_EV_STOP] = T(STOPPED, NONE),
	    [SVC_EV_GRACE_OVER] = T(STOPPED, NONE),
	    [SVC_EV_ABANDONED] = T(FAILED, NONE),
	},
    [SVC_RUNNING] =
	{
	    [SVC_EV_EXEC_FAILED] = T(FAILED, GIVE_UP),
	    [SVC_EV_EXITED] = T(BACKOFF, SCHEDULE_RESTART),
	    [SVC_EV_EXITED_TOO_OFTEN] = T(FAILED, GIVE_UP),
	    [SVC_EV_STOP] = T(DRAINING, DRAIN),
	    [SVC_EV_GONE] = T(STOPPED, NONE),
	    [SVC_EV_GRACE_OVER] = T(STOPPING, KILL),
	    [SVC_EV_ABANDONED] = T(FAILED, NONE),
	},
    [SVC_DRAINING] =
	{
	    [SVC_EV_DRAINED] = T(STOPPING, SEND_STOP),
	    [SVC_EV_GONE] = T(STOPPED, NONE),
	    [SVC_EV_GRACE_OVER] = T(STOPPING, KILL),
	    [SVC_EV_ABANDONED] = T(FAILED, NONE),
	},
    [SVC_BACKOFF] =
	{
	    [SVC_EV_RESTART_DUE] = T(RUNNING, SPAWN),
	    [SVC_EV_STOP] = T(STOPPED, NONE),
	    [SVC_EV_GRACE_OVER] = T(STOPPED, NONE),
	    [SVC_EV_ABANDONED] = T(FAILED, NONE),
	},
    [SVC_STOPPING] =
	{
	    [SVC_EV_GONE] = T(STOPPED, NONE),
	    [SVC_EV_GRACE_OVER] = T(STOPPING, KILL),
	    [SVC_EV_ABANDONED] = T(FAILED, NONE),
	},
    [SVC_STOPPED] = {{0}},
    [SVC_FAILED] = {{0}},
};

struct transition lifecycle_next(enum svc_state state, enum svc_event event)
{
	struct transition stay = {.next = state, .action = SVC_ACT_NONE};

	if ((unsigned)state >= SVC_STATE_COUNT || (unsigned)event >= SVC_EVENT_COUNT ||
	    !table[state][event].set)
		return stay;
	return (struct transition){.next = table[state][event].next,
				   .action = table[state][event].action};
}

const char *lifecycle_state_name(enum svc_state state)
{
	static const char *const names[SVC_STATE_COUNT] = {
	    [SVC_DOWN] = "down",         [SVC_RUNNING] = "running",   [SVC_BACKOFF] = "backoff",
	    [SVC_DRAINING] = "draining", [SVC_STOPPING] = "stopping", [SVC_STOPPED] = "stopped",
	    [SVC_FAILED] = "failed",
	};
	return (unsigned)state < SVC_STATE_COUNT ? names[state] : "unknown";
}

int lifecycle_is_active(enum svc_state state)
{
	return state == SVC_RUNNING || state == SVC_DRAINING || state == SVC_STOPPING;
}
