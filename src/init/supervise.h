/*
 * NAME
 *	supervise - run the services, keep them running, stop them in order
 *
 * SYNOPSIS
 *	int status = supervise_run(&config);
 *	exit(status);
 *
 * DESCRIPTION
 *	Starts the services in ascending order and then lives in one poll(2)
 *	loop over a signalfd and, while stopping, pidfds of the services'
 *	signal targets. There are no sleeps: the poll timeout is the nearest
 *	deadline (a restart after backoff, the stop grace limit).
 *
 *	Every child is reaped, orphans included; when mailinit is not PID 1 it
 *	makes itself a child subreaper so orphans still come to it.
 *
 *	SIGTERM and SIGINT stop the services in reverse order, one after the
 *	other, each as soon as the previous one is gone; at stop_grace seconds
 *	what is left gets SIGKILL. SIGHUP runs each service's reload action;
 *	with a reconfigure step (service_file.h), SIGHUP or a change in a watched
 *	directory first runs that step in a child, and the services reload
 *	only when it exits 0.
 *	Other signals are relayed to each service's signal target: the PID in
 *	its pidfile when that is a live descendant, else the spawned process.
 *
 *	A service that exits on its own is restarted after a growing delay;
 *	one that fails restart_limit times in restart_window seconds, or whose
 *	command cannot be run, stops everything.
 *
 * DIAGNOSTICS
 *	One line on stderr per lifecycle event, naming the service. The
 *	returned exit status:
 *	0	every service stopped cleanly after SIGTERM/SIGINT
 *	128+N	stopped by signal N, but something had to be killed at the limit
 *	69	a service kept failing (EX_UNAVAILABLE)
 *	71	mailinit itself could not set up (EX_OSERR)
 *	126	a service's command is not executable
 *	127	a service's command was not found
 */
#ifndef MAILINIT_SUPERVISE_H
#define MAILINIT_SUPERVISE_H

#include "init/service_file.h"

int supervise_run(const struct supervisor_config *config);

#endif
