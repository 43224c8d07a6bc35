/*
 * NAME
 *	supervisor_state - the supervisor's table of services, shared by its three files
 *
 * SYNOPSIS
 *	supervise.c      the loop: signals, children, deadlines, the ordered stop
 *	service.c        one service: spawn, stop, kill, exits, restarts, reload
 *	reconfigure.c    the live reload step and what follows it
 *
 * DESCRIPTION
 *	Internal to init/. struct supervisor is the only mutable state; it is
 *	fixed in size and nothing in the loop allocates. What an event does to
 *	a service is decided by lifecycle_next() (service_apply carries it out).
 */
#ifndef MAILINIT_SUPERVISOR_STATE_H
#define MAILINIT_SUPERVISOR_STATE_H

#include <stdbool.h>
#include <stdint.h>
#include <sys/types.h>

#include "init/backoff.h"
#include "init/lifecycle.h"
#include "init/service_file.h"
#include "init/service_output.h"

#define HELPERS_MAX  8    /* reload and drain commands running at once */
#define KILL_WAIT_MS 2000 /* after SIGKILL, how long to wait for the reaping */

struct service {
	const struct service_spec *spec;
	enum svc_state state;
	pid_t pid;          /* the spawned process; 0 once reaped */
	pid_t target;       /* while stopping: the pidfile target waited for, 0 none */
	int target_fd;      /* its pidfd, -1 none */
	int fail_status;    /* exit status for mailinit when this service gives up */
	int64_t restart_at; /* BACKOFF: when to restart, monotonic ms */
	int64_t drain_end;  /* DRAINING: when the drain is cut short, monotonic ms */
	struct restart_history history;
	struct service_output output; /* its stdout and stderr, logged line by line */
	int64_t config_changed;       /* reload_when_changed: its newest change, ns */
	pid_t leftover_group;         /* stopping: its group, sent SIGTERM when it exited */
};

struct helper {
	pid_t pid; /* 0: free slot */
	struct service *service;
	bool drain; /* its drain command (else its reload command) */
};

struct supervisor {
	const struct supervisor_config *config;
	struct service services[SERVICES_MAX];
	size_t count;
	struct helper helpers[HELPERS_MAX];
	pid_t self;
	int signal_fd;
	int syslog_fd; /* -1: no syslog sink */
	int watch_fd;  /* -1: nothing watched */
	/* Live reload: due at reconfigure_at (0: not due); one run at a time. */
	int64_t reconfigure_at, reconfigure_first;
	pid_t reconfigure_pid;
	bool reconfigure_again; /* asked for while one was running */
	bool shutting_down;
	bool killed;      /* SIGKILL was needed */
	int stop_signal;  /* the signal that asked for the stop, 0 for a failure */
	int exit_status;  /* set by the first failure */
	int64_t deadline; /* shutting down: grace limit, then the wait after SIGKILL */
};

/* service.c */
pid_t service_target(const struct supervisor *sv, const struct service *svc);
void service_apply(struct supervisor *sv, struct service *svc, enum svc_event event);
void service_exited(struct supervisor *sv, struct service *svc, int status);
void service_helper_exited(struct supervisor *sv, struct helper *helper, int status);
void service_reload(struct supervisor *sv, struct service *svc);
/* DRAINING past its drain_end: the drain command is ended, the stop signal follows. */
void service_drain_overdue(struct supervisor *sv, struct service *svc);
/* reload_when_changed: the newest change in its directory, ns (0: none, or no such option). */
int64_t service_config_changed(const struct service *svc);
/* A stopping service whose every process is gone: stopped. */
void service_check_gone(struct supervisor *sv, struct service *svc);
/* supervise.c: the ordered stop begins (STATUS: mailinit's exit status, if the first). */
void supervisor_begin_shutdown(struct supervisor *sv, int signal, int status);
/* reconfigure.c */
bool reconfigure_allowed(const struct supervisor *sv);
void reconfigure_schedule(struct supervisor *sv, unsigned delay_ms);
void reconfigure_start(struct supervisor *sv);
void reconfigure_exited(struct supervisor *sv, int status);

#endif
