/*
 * NAME
 *	lifecycle - a service's states and what each event does to them
 *
 * SYNOPSIS
 *	struct transition t = lifecycle_next(service->state, SVC_EV_EXITED);
 *	service->state = t.next;
 *	perform(t.action);
 *
 * DESCRIPTION
 *	The whole behaviour of a supervised service is one table of
 *	state x event, so every transition is visible in one place. The
 *	supervisor turns what happened (a child reaped, a timer, a signal)
 *	into an event, and carries out the action the table names. An event
 *	that means nothing in a state leaves the state and does nothing.
 *
 *	DOWN      not started yet
 *	RUNNING   its process is alive
 *	BACKOFF   it exited unexpectedly; a restart is due at a set time
 *	DRAINING  shutdown reached it: its drain command runs (none: at once
 *	          DRAINED), letting work in flight finish; no signal yet
 *	STOPPING  its stop signal was sent; waiting for it to be gone
 *	STOPPED   gone, on purpose
 *	FAILED    gone, and not to be restarted (exec failure, restart limit)
 */
#ifndef MAILINIT_LIFECYCLE_H
#define MAILINIT_LIFECYCLE_H

enum svc_state {
	SVC_DOWN,
	SVC_RUNNING,
	SVC_BACKOFF,
	SVC_DRAINING,
	SVC_STOPPING,
	SVC_STOPPED,
	SVC_FAILED
};
#define SVC_STATE_COUNT (SVC_FAILED + 1)

enum svc_event {
	SVC_EV_START,            /* start-up reached this service */
	SVC_EV_EXEC_FAILED,      /* its command cannot be run at all */
	SVC_EV_EXITED,           /* its process exited on its own */
	SVC_EV_EXITED_TOO_OFTEN, /* ... and the restart limit is reached */
	SVC_EV_RESTART_DUE,      /* the backoff delay is over */
	SVC_EV_STOP,             /* shutdown reached this service */
	SVC_EV_DRAINED,          /* its drain command is done (or it has none) */
	SVC_EV_GONE,             /* every process of it is gone (during shutdown) */
	SVC_EV_GRACE_OVER,       /* the stop grace limit passed */
	SVC_EV_ABANDONED,        /* its processes outlived SIGKILL: mailinit exits anyway */
};
#define SVC_EVENT_COUNT (SVC_EV_ABANDONED + 1)

enum svc_action {
	SVC_ACT_NONE,
	SVC_ACT_SPAWN,            /* run the command */
	SVC_ACT_SCHEDULE_RESTART, /* arm the backoff timer */
	SVC_ACT_GIVE_UP,          /* stop the whole server, exit non-zero */
	SVC_ACT_DRAIN,            /* run the drain command, if any */
	SVC_ACT_SEND_STOP,        /* send the stop signal to the target */
	SVC_ACT_KILL,             /* SIGKILL whatever is left */
};

struct transition {
	enum svc_state next;
	enum svc_action action;
};

struct transition lifecycle_next(enum svc_state state, enum svc_event event);
const char *lifecycle_state_name(enum svc_state state);
/* True while the service may have a process: it must be stopped at shutdown. */
int lifecycle_is_active(enum svc_state state);

#endif
