/*
 * NAME
 *	service_file - what mailinit supervises: services.conf, read with libconfuse
 *
 * SYNOPSIS
 *	struct supervisor_config config;
 *	if (services_load("/usr/share/mailinit/services.conf", &config) != 0)
 *		exit(EX_CONFIG);               (errors already logged, FILE:LINE)
 *	...
 *	services_free(&config);
 *
 * DESCRIPTION
 *	A service is data: its command, the pidfile whose PID is the real
 *	signal target (Postfix's master calls setsid(), so the spawned
 *	"postfix start-fg" is the wrong one to signal), its reload action (a
 *	signal, or a command), its stop signal and its start order. Nothing in
 *	src/init/ names Postfix, Dovecot or OpenDKIM; configs/services.conf does.
 *
 *	    supervisor {
 *	        provision = true          render and verify the mail config first
 *	        syslog_socket = "/dev/log"   serve it, write what arrives to stdout
 *	        stop_grace = 8            seconds before SIGKILL (the STOP_GRACE setting wins)
 *	        restart_delay = 1         first restart delay, doubled each time
 *	        restart_delay_max = 30
 *	        restart_limit = 5         failures inside restart_window: give up
 *	        restart_window = 60
 *	        watch = {"/etc/app"}      directories whose changes mean reconfigure
 *	        reconfigure_command = {"/usr/bin/app-render"}
 *	        reconfigure_delay = 250   ms of quiet after a change before it runs
 *	    }
 *	    service NAME {
 *	        command = {"/usr/sbin/daemon", "-f"}
 *	        order = 10                started ascending, stopped descending
 *	        pidfile = "/run/daemon.pid"
 *	        stop_signal = "TERM"
 *	        drain_command = {"/usr/bin/app-drain"}   at shutdown, before the stop
 *	                                  signal: it returns once work in flight is done
 *	                                  (cut at half the grace limit)
 *	        reload_signal = "HUP"     or reload_command = {"daemon", "reload"}
 *	        reloads = false           nothing to reload: a reload leaves it alone
 *	        reload_when_changed = "/run/app"   reload only when a file in this
 *	                                  directory (or one below it) changed since
 *	        enabled_by = "ENABLE_X"   only when this switch is on (cli/run.c reads
 *	                                  it as a setting, yes/no or a network list
 *	                                  that is on when set; unset: always runs)
 *	        disabled_by = "X_SERVER"  not when this switch is on (the same kinds)
 *	        roles = {"all", "mx"}     only when the ROLE setting is one of these
 *	                                  (cli/run.c; unset: in every role)
 *	    }
 *
 *	The services come out sorted by order (ties keep file order).
 *
 * DIAGNOSTICS
 *	Each problem is logged as "FILE:LINE: what is wrong"; the functions
 *	return -1 when there was any.
 */
#ifndef MAILINIT_SERVICE_FILE_H
#define MAILINIT_SERVICE_FILE_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "init/backoff.h"

#define SERVICES_MAX      16
#define SERVICE_NAME_MAX  32
#define SERVICE_ARGV_MAX  32
#define WATCH_MAX         8
#define SERVICE_ROLES_MAX 64

struct service_spec {
	char name[SERVICE_NAME_MAX];
	char *argv[SERVICE_ARGV_MAX + 1];        /* NULL-terminated */
	char *pidfile;                           /* NULL: the spawned process is the target */
	char *reload_argv[SERVICE_ARGV_MAX + 1]; /* empty: reload by reload_signal */
	char *drain_argv[SERVICE_ARGV_MAX + 1];  /* empty: the stop signal at once */
	int reload_signal;
	int stop_signal;
	long order;
	char enabled_by[SERVICE_NAME_MAX];  /* "": always runs; else the switch naming it */
	char disabled_by[SERVICE_NAME_MAX]; /* "": never off; else the switch that turns it off */
	char roles[SERVICE_ROLES_MAX];      /* " all mx ": the roles it runs in; "": every one */
	bool reloads;                       /* false: a reload leaves it alone */
	char *reload_when_changed;          /* NULL, or reload only when a file here changed */
};

struct supervisor_config {
	struct service_spec services[SERVICES_MAX];
	size_t count;
	int provision;               /* render and verify the mail configuration first */
	char *syslog_socket;         /* NULL, or where to serve a /dev/log */
	unsigned stop_grace;         /* seconds */
	char stop_grace_origin[200]; /* "stop_grace of FILE", or what replaced it (cli/run.c) */
	struct restart_policy restart;
	/*
	 * Live reload: a change in a watched directory (after reconfigure_delay
	 * ms of quiet) or SIGHUP starts the reconfigure step, a child process;
	 * when it exits 0 every service reloads, otherwise nothing does and the
	 * running configuration keeps serving. The step is reconfigure(context)
	 * (set by cli/run.c: provisioning) or else reconfigure_argv; with neither,
	 * SIGHUP reloads the services at once.
	 */
	char *watch[WATCH_MAX + 1]; /* NULL-terminated */
	char *reconfigure_argv[SERVICE_ARGV_MAX + 1];
	pid_t (*reconfigure)(void *context); /* the child's pid, or -errno */
	void *reconfigure_context;
	unsigned reconfigure_delay; /* ms */
};

int services_load(const char *path, struct supervisor_config *config);
int services_parse_buf(const char *text, struct supervisor_config *config);
/* Leave out the INDEXth service (one whose enabled_by switch is off), keeping the order. */
void services_remove(struct supervisor_config *config, size_t index);
void services_free(struct supervisor_config *config);

#endif
