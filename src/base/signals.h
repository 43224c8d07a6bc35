/*
 * NAME
 *	signals - which signals mailinit takes, and their names
 *
 * SYNOPSIS
 *	signals_handled(&set);            every signal read through the signalfd
 *	signal_is_relayed(SIGUSR1)        true: pass on to the services as is
 *	signal_from_name("HUP")           SIGHUP, or 0 when unknown
 *	signal_name(SIGHUP)               "HUP"
 *	int fd = signals_stop_and_reread();   a service's TERM, INT and HUP, by signalfd
 *
 * DESCRIPTION
 *	PID 1 takes every catchable asynchronous signal through one signalfd.
 *	SIGCHLD means reap, SIGTERM and SIGINT mean stop, SIGHUP means reload
 *	(each service's own reload action); every other one is relayed to each
 *	service's signal target. Synchronous faults (SIGSEGV and friends) are
 *	left alone: blocking them would hide a crash of mailinit itself. SIGPIPE
 *	is ignored, so a closed log pipe is an EPIPE, not a death.
 */
#ifndef MAILINIT_SIGNALS_H
#define MAILINIT_SIGNALS_H

#include <signal.h>
#include <stdbool.h>

void signals_handled(sigset_t *set);
/* 32 and 33: glibc's own, never handled, relayed or reset through sigaction. */
bool signal_is_glibc_internal(int sig);
bool signal_is_relayed(int sig);
int signal_from_name(const char *name);
const char *signal_name(int sig);
/* For mailinit's own services (the guard, the gate): SIGTERM, SIGINT and SIGHUP blocked and
   read from the returned signalfd (non-blocking, close-on-exec); -1 with errno. */
int signals_stop_and_reread(void);

#endif
