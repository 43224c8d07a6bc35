/*
 * NAME
 *	supervise - run the services, keep them running, stop them in order
 *
 * DESCRIPTION
 *	See supervise.h. The service table in struct supervisor is the only
 *	mutable state; it is fixed in size and nothing in the loop allocates.
 *	What each event does to a service is decided by lifecycle_next();
 *	this file turns what the kernel reports into those events and carries
 *	out the actions.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "init/lifecycle.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/signals.h"
#include "init/supervise.h"
#include "init/syslog_sink.h"
#include "init/watch.h"

#define HELPERS_MAX  8    /* reload commands running at once */
#define KILL_WAIT_MS 2000 /* after SIGKILL, how long to wait for the reaping */

struct service {
	const struct service_spec *spec;
	enum svc_state state;
	pid_t pid;          /* the spawned process; 0 once reaped */
	pid_t target;       /* while stopping: the pidfile target waited for, 0 none */
	int target_fd;      /* its pidfd, -1 none */
	int fail_status;    /* exit status for mailinit when this service gives up */
	int64_t restart_at; /* BACKOFF: when to restart, monotonic ms */
	struct restart_history history;
};

struct helper {
	pid_t pid; /* 0: free slot */
	const struct service *service;
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

static void apply(struct supervisor *sv, struct service *svc, enum svc_event event);
static void service_reload(struct supervisor *sv, struct service *svc);

/* The process signals go to: the pidfile's PID if it is ours, else the spawned one. */
static pid_t service_target(const struct supervisor *sv, const struct service *svc)
{
	pid_t pid;

	if (svc->spec->pidfile == NULL)
		return svc->pid;
	pid = proc_read_pidfile(svc->spec->pidfile);
	if (pid > 0 && pid != sv->self && proc_is_descendant(pid, sv->self))
		return pid;
	if (pid > 0)
		log_debug("%s: pidfile %s names pid %d, which is not ours; using pid %d",
			  svc->spec->name, svc->spec->pidfile, (int)pid, (int)svc->pid);
	return svc->pid;
}

static void begin_shutdown(struct supervisor *sv, int signal, int status)
{
	if (sv->exit_status == 0)
		sv->exit_status = status;
	if (sv->shutting_down)
		return;
	sv->shutting_down = true;
	sv->stop_signal = signal;
	sv->deadline = clock_ms() + (int64_t)sv->config->stop_grace * 1000;
	/* A reload being rendered would only reload what is being stopped. */
	if (sv->reconfigure_pid > 0)
		kill(sv->reconfigure_pid, SIGTERM);
	if (signal != 0)
		log_info("received SIG%s: stopping all services (grace %u s)", signal_name(signal),
			 sv->config->stop_grace);
	else
		log_info("stopping all services (grace %u s)", sv->config->stop_grace);
}

/* The backoff step: restart after the policy's delay, or give up when it failed too often. */
static void restart_or_give_up(struct supervisor *sv, struct service *svc)
{
	const struct restart_policy *policy = &sv->config->restart;
	unsigned delay;

	if (restart_record_failure(&svc->history, policy, clock_ms(), &delay)) {
		log_error("%s: failed %u times in %u s", svc->spec->name, policy->limit,
			  policy->window);
		svc->fail_status = EX_UNAVAILABLE;
		apply(sv, svc, SVC_EV_EXITED_TOO_OFTEN);
		return;
	}
	svc->restart_at = clock_ms() + (int64_t)delay * 1000;
	log_info("%s: restarting in %u s", svc->spec->name, delay);
	apply(sv, svc, SVC_EV_EXITED);
}

/*
 * A pidfile left by an earlier life of the service (a container restart keeps
 * /run; a daemon killed with SIGKILL cannot clean up) names a PID that may now
 * belong to something else, and daemons such as Dovecot then refuse to start
 * ("already running"). Before a start, a pidfile is ours only if it names a
 * live descendant of mailinit; otherwise it goes.
 */
static void remove_stale_pidfile(const struct supervisor *sv, const struct service *svc)
{
	const char *path = svc->spec->pidfile;
	pid_t pid;

	if (path == NULL || (pid = proc_read_pidfile(path)) == 0 ||
	    (pid != sv->self && proc_is_descendant(pid, sv->self)))
		return;
	if (unlink(path) == 0)
		log_info("%s: removed stale pidfile %s (pid %d is not one of ours)",
			 svc->spec->name, path, (int)pid);
}

static void service_spawn(struct supervisor *sv, struct service *svc)
{
	const struct service_spec *spec = svc->spec;
	pid_t pid;
	int status;

	remove_stale_pidfile(sv, svc);
	pid = proc_spawn(spec->argv);

	if (pid > 0) {
		svc->pid = pid;
		log_info("%s: started with pid %d", spec->name, (int)pid);
		return;
	}
	status = proc_exec_failure_status(-pid);
	log_error("%s: cannot run %s: %s (check \"command\" of service %s in the configuration)",
		  spec->name, spec->argv[0], strerror(-pid), spec->name);
	if (status != 0) {
		svc->fail_status = status;
		apply(sv, svc, SVC_EV_EXEC_FAILED);
		return;
	}
	/* A temporary failure counts as a crash: back off, or give up. */
	svc->fail_status = EX_UNAVAILABLE;
	restart_or_give_up(sv, svc);
}

static void service_check_gone(struct supervisor *sv, struct service *svc)
{
	if (svc->state == SVC_STOPPING && svc->pid == 0 && svc->target_fd < 0) {
		log_info("%s: stopped", svc->spec->name);
		apply(sv, svc, SVC_EV_GONE);
	}
}

static void service_send_stop(struct supervisor *sv, struct service *svc)
{
	pid_t target = service_target(sv, svc);

	if (target != svc->pid) {
		/* Not our child: a pidfd tells us when it is gone, without polling. */
		int fd = pidfd_open(target, 0);

		if (fd >= 0) {
			svc->target = target;
			svc->target_fd = fd;
		}
	}
	log_info("%s: stopping (SIG%s to pid %d%s)", svc->spec->name,
		 signal_name(svc->spec->stop_signal), (int)target,
		 svc->spec->stop_signal == SIGKILL ? ", its configured stop signal" : "");
	/*
	 * The start script goes first ("postfix start-fg" waits for master): with
	 * no handler it dies at once, so it cannot print "Terminated" into the log
	 * when master ends by the signal. Only the stop signal goes there.
	 */
	if (target != svc->pid && svc->pid > 0)
		kill(svc->pid, svc->spec->stop_signal);
	if (kill(target, svc->spec->stop_signal) != 0 && errno != ESRCH)
		log_error_sys("%s: cannot send SIG%s to pid %d", svc->spec->name,
			      signal_name(svc->spec->stop_signal), (int)target);
	service_check_gone(sv, svc);
}

static void service_kill(struct supervisor *sv, struct service *svc)
{
	if (svc->target == 0 && svc->pid > 0)
		svc->target = service_target(sv, svc);
	log_warn("%s: still running at the grace limit: sending SIGKILL", svc->spec->name);
	/* The whole process group: the daemon's own children go too. */
	if (svc->pid > 0 && kill(-svc->pid, SIGKILL) != 0)
		kill(svc->pid, SIGKILL);
	if (svc->target > 0 && kill(-svc->target, SIGKILL) != 0)
		kill(svc->target, SIGKILL);
}

static void apply(struct supervisor *sv, struct service *svc, enum svc_event event)
{
	struct transition t = lifecycle_next(svc->state, event);

	if (t.next != svc->state)
		log_debug("%s: %s -> %s", svc->spec->name, lifecycle_state_name(svc->state),
			  lifecycle_state_name(t.next));
	svc->state = t.next;
	switch (t.action) {
	case SVC_ACT_NONE:
	case SVC_ACT_SCHEDULE_RESTART: /* restart_at was set with the event */ break;
	case SVC_ACT_SPAWN: service_spawn(sv, svc); break;
	case SVC_ACT_GIVE_UP:
		log_error("%s: giving up on it: stopping everything", svc->spec->name);
		begin_shutdown(sv, 0, svc->fail_status);
		break;
	case SVC_ACT_SEND_STOP: service_send_stop(sv, svc); break;
	case SVC_ACT_KILL: service_kill(sv, svc); break;
	}
}

/*
 * The spawned process is gone, but its daemon may not be: "postfix start-fg"
 * waits for master as its child, and when the script alone dies (killed, out
 * of memory), master runs on, reparented to us. A restart would then fail
 * ("already running") until the restart limit stopped everything. So a
 * pidfile naming a child of ours makes that child the service.
 */
static pid_t surviving_daemon(const struct supervisor *sv, const struct service *svc)
{
	siginfo_t info = {0};
	pid_t pid;

	if (svc->spec->pidfile == NULL || (pid = proc_read_pidfile(svc->spec->pidfile)) <= 0 ||
	    pid == sv->self)
		return 0;
	/* Ours only if waitid knows it; if it has just exited too, it is reaped next. */
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
		return 0;
	return pid;
}

static void service_exited(struct supervisor *sv, struct service *svc, int status)
{
	pid_t daemon;
	char how[96];

	svc->pid = 0;
	proc_describe_status(status, how, sizeof(how));
	if (svc->state == SVC_STOPPING) {
		/*
		 * Ended by the stop signal, or a shell's 128+N after it, is what was
		 * asked: "stopped" says it once done. Anything else is worth a line.
		 */
		int sig = svc->spec->stop_signal;

		if (!(WIFSIGNALED(status) && WTERMSIG(status) == sig) &&
		    !(WIFEXITED(status) &&
		      (WEXITSTATUS(status) == 0 || WEXITSTATUS(status) == 128 + sig)))
			log_info("%s: %s", svc->spec->name, how);
		service_check_gone(sv, svc);
		return;
	}
	if (sv->shutting_down) {
		log_info("%s: %s", svc->spec->name, how);
		apply(sv, svc, SVC_EV_GONE);
		return;
	}
	if ((daemon = surviving_daemon(sv, svc)) > 0) {
		log_warn("%s: %s, but its daemon (pid %d, in %s) runs on: supervising that",
			 svc->spec->name, how, (int)daemon, svc->spec->pidfile);
		svc->pid = daemon;
		return;
	}
	log_warn("%s: %s unexpectedly", svc->spec->name, how);
	restart_or_give_up(sv, svc);
}

static void helper_exited(struct helper *helper, int status)
{
	char how[96];

	proc_describe_status(status, how, sizeof(how));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("%s: reload command %s", helper->service->spec->name, how);
	else
		log_error("%s: reload command %s", helper->service->spec->name, how);
	helper->pid = 0;
}

static bool can_reconfigure(const struct supervisor *sv)
{
	return sv->config->reconfigure || sv->config->reconfigure_argv[0];
}

/*
 * A change was seen or asked for: reconfigure after delay_ms of quiet, so a
 * burst of writes (an editor, certbot's four files) makes one reload; but
 * no later than four delays after the first change of the burst.
 */
static void schedule_reconfigure(struct supervisor *sv, unsigned delay_ms)
{
	int64_t now = clock_ms();

	if (sv->reconfigure_pid > 0) {
		sv->reconfigure_again = true;
		return;
	}
	if (sv->reconfigure_at == 0)
		sv->reconfigure_first = now;
	sv->reconfigure_at = now + delay_ms;
	if (sv->reconfigure_at > sv->reconfigure_first + 4 * (int64_t)delay_ms)
		sv->reconfigure_at = sv->reconfigure_first + 4 * (int64_t)delay_ms;
}

static void start_reconfigure(struct supervisor *sv)
{
	const struct supervisor_config *config = sv->config;
	pid_t pid = config->reconfigure ? config->reconfigure(config->reconfigure_context)
					: proc_spawn(config->reconfigure_argv);

	sv->reconfigure_at = 0;
	if (pid < 0) {
		log_error("reload: cannot start the reconfiguration: %s; the running "
			  "configuration keeps serving",
			  strerror((int)-pid));
		return;
	}
	log_info("reload: reconfiguring (pid %d)", (int)pid);
	sv->reconfigure_pid = pid;
}

static void reconfigure_exited(struct supervisor *sv, int status)
{
	char how[96];

	sv->reconfigure_pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("reload: configuration verified and in place; reloading the services");
		for (size_t i = 0; i < sv->count; i++) {
			if (sv->services[i].state == SVC_RUNNING)
				service_reload(sv, &sv->services[i]);
		}
	} else {
		proc_describe_status(status, how, sizeof(how));
		log_error("reload: the new configuration was refused (reconfiguration %s); the "
			  "running configuration keeps serving: fix what is reported above",
			  how);
	}
	if (sv->reconfigure_again) {
		sv->reconfigure_again = false;
		schedule_reconfigure(sv, sv->config->reconfigure_delay);
	}
}

/* Collect every child that has exited: services, reload commands, orphans. */
static void reap_children(struct supervisor *sv)
{
	pid_t pid;
	int status;

	while ((pid = waitpid(-1, &status, WNOHANG)) > 0) {
		bool known = pid == sv->reconfigure_pid;

		if (known)
			reconfigure_exited(sv, status);
		for (size_t i = 0; i < sv->count && !known; i++) {
			if (sv->services[i].pid == pid) {
				service_exited(sv, &sv->services[i], status);
				known = true;
			}
		}
		for (size_t i = 0; i < HELPERS_MAX && !known; i++) {
			if (sv->helpers[i].pid == pid) {
				helper_exited(&sv->helpers[i], status);
				known = true;
			}
		}
		if (!known)
			log_debug("reaped pid %d", (int)pid);
	}
}

static void service_reload(struct supervisor *sv, struct service *svc)
{
	const struct service_spec *spec = svc->spec;
	pid_t target, pid;

	if (spec->reload_argv[0] == NULL) {
		target = service_target(sv, svc);
		log_info("%s: reloading (SIG%s to pid %d)", spec->name,
			 signal_name(spec->reload_signal), (int)target);
		if (kill(target, spec->reload_signal) != 0)
			log_error_sys("%s: cannot send SIG%s to pid %d", spec->name,
				      signal_name(spec->reload_signal), (int)target);
		return;
	}
	for (size_t i = 0; i < HELPERS_MAX; i++) {
		if (sv->helpers[i].pid != 0)
			continue;
		pid = proc_spawn(spec->reload_argv);
		if (pid < 0) {
			log_error("%s: cannot run reload command %s: %s", spec->name,
				  spec->reload_argv[0], strerror(-pid));
			return;
		}
		log_info("%s: reloading (%s, pid %d)", spec->name, spec->reload_argv[0], (int)pid);
		sv->helpers[i] = (struct helper){.pid = pid, .service = svc};
		return;
	}
	log_error("%s: not reloaded: %d reload commands are still running", spec->name,
		  HELPERS_MAX);
}

static void handle_signal(struct supervisor *sv, int sig)
{
	switch (sig) {
	case SIGCHLD: reap_children(sv); return;
	case SIGTERM:
	case SIGINT:
		if (sv->shutting_down)
			log_info("received SIG%s: already stopping", signal_name(sig));
		begin_shutdown(sv, sig, 0);
		return;
	}
	if (sv->shutting_down)
		return;
	if (sig == SIGHUP && can_reconfigure(sv)) {
		log_info("received SIGHUP: reconfiguring, then reloading the services");
		schedule_reconfigure(sv, 0);
		return;
	}
	for (size_t i = 0; i < sv->count; i++) {
		struct service *svc = &sv->services[i];
		pid_t target;

		if (svc->state != SVC_RUNNING)
			continue;
		if (sig == SIGHUP) {
			service_reload(sv, svc);
		} else if (signal_is_relayed(sig)) {
			target = service_target(sv, svc);
			log_info("%s: relaying SIG%s to pid %d", svc->spec->name, signal_name(sig),
				 (int)target);
			kill(target, sig);
		}
	}
}

static void read_signals(struct supervisor *sv)
{
	struct signalfd_siginfo info;

	while (read(sv->signal_fd, &info, sizeof(info)) == (ssize_t)sizeof(info))
		handle_signal(sv, (int)info.ssi_signo);
}

static bool is_final(enum svc_state state)
{
	return state == SVC_STOPPED || state == SVC_FAILED;
}

/*
 * Stop services in reverse start order: all services of the highest order
 * not yet stopped together, the next order once they are all gone.
 */
static void advance_shutdown(struct supervisor *sv)
{
	for (;;) {
		size_t last = sv->count;
		bool waiting = false;

		while (last > 0 && is_final(sv->services[last - 1].state))
			last--;
		if (last == 0)
			return;
		long group = sv->services[last - 1].spec->order;
		for (size_t i = last; i-- > 0 && sv->services[i].spec->order == group;) {
			apply(sv, &sv->services[i], SVC_EV_STOP);
			waiting |= sv->services[i].state == SVC_STOPPING;
		}
		if (waiting)
			return;
	}
}

static bool all_gone(const struct supervisor *sv)
{
	for (size_t i = 0; i < sv->count; i++) {
		if (lifecycle_is_active(sv->services[i].state))
			return false;
	}
	return true;
}

static void handle_deadlines(struct supervisor *sv)
{
	int64_t now = clock_ms();

	if (sv->shutting_down && now >= sv->deadline) {
		if (sv->killed) {
			log_error("processes survived SIGKILL for %d ms; exiting anyway",
				  KILL_WAIT_MS);
			for (size_t i = 0; i < sv->count; i++)
				apply(sv, &sv->services[i], SVC_EV_ABANDONED);
			return;
		}
		log_warn("grace limit of %u s reached", sv->config->stop_grace);
		for (size_t i = 0; i < sv->count; i++)
			apply(sv, &sv->services[i], SVC_EV_GRACE_OVER);
		if (sv->self == 1)
			kill(-1, SIGKILL); /* PID 1: everything else in the namespace */
		sv->killed = true;
		sv->deadline = now + KILL_WAIT_MS;
		return;
	}
	if (!sv->shutting_down && sv->reconfigure_at != 0 && now >= sv->reconfigure_at &&
	    sv->reconfigure_pid == 0)
		start_reconfigure(sv);
	for (size_t i = 0; i < sv->count && !sv->shutting_down; i++) {
		struct service *svc = &sv->services[i];

		if (svc->state == SVC_BACKOFF && now >= svc->restart_at) {
			log_info("%s: restarting", svc->spec->name);
			apply(sv, svc, SVC_EV_RESTART_DUE);
		}
	}
}

static int poll_timeout(const struct supervisor *sv)
{
	int64_t next = INT64_MAX, now = clock_ms();

	if (sv->shutting_down) {
		next = sv->deadline;
	} else {
		if (sv->reconfigure_at != 0 && sv->reconfigure_pid == 0)
			next = sv->reconfigure_at;
		for (size_t i = 0; i < sv->count; i++) {
			if (sv->services[i].state == SVC_BACKOFF &&
			    sv->services[i].restart_at < next)
				next = sv->services[i].restart_at;
		}
	}
	if (next == INT64_MAX)
		return -1;
	return next <= now ? 0 : (int)(next - now > INT32_MAX ? INT32_MAX : next - now);
}

static void wait_for_events(struct supervisor *sv)
{
	struct pollfd fds[3 + SERVICES_MAX];
	struct service *owner[3 + SERVICES_MAX];
	nfds_t n = 0, first_target;

	fds[n++] = (struct pollfd){.fd = sv->signal_fd, .events = POLLIN};
	/* fd -1 is ignored by poll: no sink, no event. */
	fds[n++] = (struct pollfd){.fd = sv->syslog_fd, .events = POLLIN};
	fds[n++] = (struct pollfd){.fd = sv->watch_fd, .events = POLLIN};
	first_target = n;
	for (size_t i = 0; i < sv->count; i++) {
		if (sv->services[i].target_fd >= 0) {
			owner[n] = &sv->services[i];
			fds[n++] =
			    (struct pollfd){.fd = sv->services[i].target_fd, .events = POLLIN};
		}
	}
	if (poll(fds, n, poll_timeout(sv)) < 0) {
		if (errno != EINTR)
			log_error_sys("poll");
		return;
	}
	if (fds[1].revents & POLLIN)
		syslog_sink_drain(sv->syslog_fd);
	if ((fds[2].revents & POLLIN) && watch_drain(sv->watch_fd) && !sv->shutting_down) {
		if (sv->reconfigure_at == 0 && sv->reconfigure_pid == 0)
			log_info("reload: change seen in a watched directory");
		schedule_reconfigure(sv, sv->config->reconfigure_delay);
	}
	if (fds[0].revents & POLLIN)
		read_signals(sv);
	for (nfds_t i = first_target; i < n; i++) {
		if (fds[i].revents == 0)
			continue;
		close(owner[i]->target_fd);
		owner[i]->target_fd = -1;
		owner[i]->target = 0;
		service_check_gone(sv, owner[i]);
	}
	handle_deadlines(sv);
}

static int setup(struct supervisor *sv)
{
	sigset_t handled;

	signals_handled(&handled);
	if (sigprocmask(SIG_BLOCK, &handled, NULL) != 0) {
		log_error_sys("cannot block signals");
		return -1;
	}
	signal(SIGPIPE, SIG_IGN);
	sv->signal_fd = signalfd(-1, &handled, SFD_NONBLOCK | SFD_CLOEXEC);
	if (sv->signal_fd < 0) {
		log_error_sys("cannot create a signalfd");
		return -1;
	}
	if (sv->config->syslog_socket &&
	    (sv->syslog_fd = syslog_sink_open(sv->config->syslog_socket)) < 0)
		return -1;
	if (sv->config->watch[0] && can_reconfigure(sv)) {
		size_t n = 0;

		while (sv->config->watch[n])
			n++;
		if ((sv->watch_fd = watch_open(sv->config->watch, n)) < 0)
			return -1;
	}
	if (sv->self != 1) {
		if (prctl(PR_SET_CHILD_SUBREAPER, 1) != 0) {
			log_error_sys("cannot become a child subreaper");
			return -1;
		}
		log_info("not PID 1 (pid %d): acting as child subreaper, orphans come to "
			 "mailinit",
			 (int)sv->self);
	}
	return 0;
}

int supervise_run(const struct supervisor_config *config)
{
	struct supervisor sv = {.config = config,
				.count = config->count,
				.self = getpid(),
				.syslog_fd = -1,
				.watch_fd = -1};

	for (size_t i = 0; i < sv.count; i++)
		sv.services[i] = (struct service){
		    .spec = &config->services[i], .state = SVC_DOWN, .target_fd = -1};
	if (setup(&sv) != 0)
		return EX_OSERR;
	reap_children(&sv); /* orphans of provisioning, whose SIGCHLD main() consumed */

	/* A stop asked for before or during the start (its signal is pending since
	   main() blocked it) starts nothing more. */
	for (size_t i = 0; i < sv.count; i++) {
		read_signals(&sv);
		if (sv.shutting_down)
			break;
		apply(&sv, &sv.services[i], SVC_EV_START);
	}
	for (;;) {
		if (sv.shutting_down)
			advance_shutdown(&sv);
		if (sv.shutting_down && all_gone(&sv))
			break;
		wait_for_events(&sv);
	}
	close(sv.signal_fd);
	if (sv.watch_fd >= 0)
		close(sv.watch_fd);
	if (sv.syslog_fd >= 0) {
		syslog_sink_drain(sv.syslog_fd); /* the last words of the stopped daemons */
		close(sv.syslog_fd);
	}

	if (sv.exit_status != 0)
		return sv.exit_status;
	if (sv.killed)
		return 128 + sv.stop_signal;
	log_info("all services stopped");
	return 0;
}
