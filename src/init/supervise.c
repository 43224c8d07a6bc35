/*
 * NAME
 *	supervise - run the services, keep them running, stop them in order
 *
 * DESCRIPTION
 *	See supervise.h. The service table in struct supervisor
 *	(supervisor_state.h) is the only mutable state; it is fixed in size and
 *	nothing in the loop allocates. This file is the loop: it turns what the
 *	kernel reports (signals, exited children, pidfds, inotify, deadlines)
 *	into events for service.c and reconfigure.c, and runs the ordered stop.
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
#include "init/supervisor_state.h"

/* The ordered stop begins; STATUS is mailinit's exit status if it is the first. */
void supervisor_begin_shutdown(struct supervisor *sv, int signal, int status)
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

/*
 * A service's process has exited and is still a zombie, so its process group (the
 * service runs as a group leader) cannot be taken by another yet. Whatever is left
 * in that group would outlive it holding its sockets (rspamd's workers after a kill
 * -9 of its main process keep its port: every restart then fails to bind): SIGKILL,
 * unless the service's pidfile names a daemon among them that runs on (adopted).
 * During a stop nothing is restarted: what is left gets SIGTERM instead, to end as
 * it would (Dovecot with shutdown_clients = no leaves its sessions running; on SIGTERM
 * each closes its mailbox), and the stop waits for the group (leftovers_gone), SIGKILL at
 * the grace limit.
 */
static void end_leftovers(struct supervisor *sv, pid_t pid)
{
	for (size_t i = 0; i < sv->count; i++) {
		struct service *svc = &sv->services[i];
		pid_t target;

		if (svc->pid != pid)
			continue;
		target = svc->spec->pidfile ? proc_read_pidfile(svc->spec->pidfile) : 0;
		if (target > 0 && target != pid && getpgid(target) == pid)
			return;
		if (sv->shutting_down) {
			if (kill(-pid, SIGTERM) == 0)
				svc->leftover_group = pid;
			return;
		}
		if (kill(-pid, SIGKILL) == 0)
			log_debug("%s: ended what was left of its process group %d",
				  svc->spec->name, (int)pid);
		return;
	}
}

/* Collect every child that has exited: services, reload commands, orphans. */
static void reap_children(struct supervisor *sv)
{
	siginfo_t exited;
	pid_t pid;
	int status;

	for (;;) {
		exited.si_pid = 0;
		if (waitid(P_ALL, 0, &exited, WEXITED | WNOHANG | WNOWAIT) != 0 ||
		    exited.si_pid == 0)
			break;
		end_leftovers(sv, exited.si_pid);
		if ((pid = waitpid(exited.si_pid, &status, WNOHANG)) <= 0)
			break;
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
				service_helper_exited(sv, &sv->helpers[i], status);
				known = true;
			}
		}
		if (!known)
			log_debug("reaped pid %d", (int)pid);
	}
}

static void handle_signal(struct supervisor *sv, int sig)
{
	switch (sig) {
	case SIGCHLD: reap_children(sv); return;
	case SIGTERM:
	case SIGINT:
		if (sv->shutting_down)
			log_info("received SIG%s: already stopping", signal_name(sig));
		supervisor_begin_shutdown(sv, sig, 0);
		return;
	}
	if (sv->shutting_down)
		return;
	if (sig == SIGHUP && reconfigure_allowed(sv)) {
		log_info("received SIGHUP: reconfiguring, then reloading the services");
		reconfigure_schedule(sv, 0);
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
			service_apply(sv, &sv->services[i], SVC_EV_STOP);
			waiting |= sv->services[i].state == SVC_DRAINING ||
				   sv->services[i].state == SVC_STOPPING;
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

/* Whether what the stopped services left in their process groups has ended. Its
   processes are orphans of ours, reaped as they exit, so an empty group is gone. */
static bool leftovers_gone(struct supervisor *sv)
{
	bool gone = true;

	for (size_t i = 0; i < sv->count; i++) {
		struct service *svc = &sv->services[i];

		if (svc->leftover_group == 0)
			continue;
		if (kill(-svc->leftover_group, 0) != 0 && errno == ESRCH) {
			svc->leftover_group = 0;
			continue;
		}
		log_debug("%s: waiting for what it left running (process group %d)",
			  svc->spec->name, (int)svc->leftover_group);
		gone = false;
	}
	return gone;
}

static void kill_leftovers(struct supervisor *sv, int signal)
{
	for (size_t i = 0; i < sv->count; i++) {
		if (sv->services[i].leftover_group == 0)
			continue;
		if (signal == 0 || kill(-sv->services[i].leftover_group, signal) != 0)
			sv->services[i].leftover_group = 0;
		else
			log_warn("%s: what it left running did not end: SIGKILL to its process "
				 "group %d",
				 sv->services[i].spec->name, (int)sv->services[i].leftover_group);
	}
}

static void handle_deadlines(struct supervisor *sv)
{
	int64_t now = clock_ms();

	if (sv->shutting_down && now >= sv->deadline) {
		if (sv->killed) {
			log_error("processes survived SIGKILL for %d ms; exiting anyway",
				  KILL_WAIT_MS);
			for (size_t i = 0; i < sv->count; i++)
				service_apply(sv, &sv->services[i], SVC_EV_ABANDONED);
			kill_leftovers(sv, 0);
			return;
		}
		log_warn("grace limit of %u s reached", sv->config->stop_grace);
		for (size_t i = 0; i < sv->count; i++)
			service_apply(sv, &sv->services[i], SVC_EV_GRACE_OVER);
		kill_leftovers(sv, SIGKILL);
		if (sv->self == 1)
			kill(-1, SIGKILL); /* PID 1: everything else in the namespace */
		sv->killed = true;
		sv->deadline = now + KILL_WAIT_MS;
		return;
	}
	for (size_t i = 0; i < sv->count && sv->shutting_down; i++) {
		if (sv->services[i].state == SVC_DRAINING && now >= sv->services[i].drain_end)
			service_drain_overdue(sv, &sv->services[i]);
	}
	if (!sv->shutting_down && sv->reconfigure_at != 0 && now >= sv->reconfigure_at &&
	    sv->reconfigure_pid == 0)
		reconfigure_start(sv);
	for (size_t i = 0; i < sv->count && !sv->shutting_down; i++) {
		struct service *svc = &sv->services[i];

		if (svc->state == SVC_BACKOFF && now >= svc->restart_at) {
			log_info("%s: restarting", svc->spec->name);
			service_apply(sv, svc, SVC_EV_RESTART_DUE);
		}
	}
}

static int poll_timeout(const struct supervisor *sv)
{
	int64_t next = INT64_MAX, now = clock_ms();

	if (sv->shutting_down) {
		next = sv->deadline;
		for (size_t i = 0; i < sv->count; i++) {
			if (sv->services[i].state == SVC_DRAINING &&
			    sv->services[i].drain_end < next)
				next = sv->services[i].drain_end;
		}
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
	struct pollfd fds[3 + 2 * SERVICES_MAX];
	struct service *owner[3 + 2 * SERVICES_MAX];
	nfds_t n = 0, first_output, first_target;

	fds[n++] = (struct pollfd){.fd = sv->signal_fd, .events = POLLIN};
	/* fd -1 is ignored by poll: no sink, no event. */
	fds[n++] = (struct pollfd){.fd = sv->syslog_fd, .events = POLLIN};
	fds[n++] = (struct pollfd){.fd = sv->watch_fd, .events = POLLIN};
	first_output = n;
	for (size_t i = 0; i < sv->count; i++) {
		owner[n] = &sv->services[i];
		fds[n++] = (struct pollfd){.fd = sv->services[i].output.read_fd, .events = POLLIN};
	}
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
		syslog_sink_drain(sv->syslog_fd, false);
	for (nfds_t i = first_output; i < first_target; i++) {
		if (fds[i].revents & POLLIN)
			service_output_drain(&owner[i]->output, owner[i]->spec->name, false);
	}
	if ((fds[2].revents & POLLIN) && watch_drain(sv->watch_fd) && !sv->shutting_down) {
		if (sv->reconfigure_at == 0 && sv->reconfigure_pid == 0)
			log_info("reload: change seen in a watched directory");
		reconfigure_schedule(sv, sv->config->reconfigure_delay);
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
	if (sv->config->watch[0] && reconfigure_allowed(sv)) {
		size_t n = 0;

		while (sv->config->watch[n])
			n++;
		if ((sv->watch_fd = watch_open(sv->config->watch, n)) < 0)
			return -1;
	}
	for (size_t i = 0; i < sv->count; i++) {
		if (service_output_open(&sv->services[i].output) != 0)
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
		sv.services[i] = (struct service){.spec = &config->services[i],
						  .state = SVC_DOWN,
						  .target_fd = -1,
						  .output = {.read_fd = -1, .write_fd = -1}};
	if (setup(&sv) != 0)
		return EX_OSERR;
	reap_children(&sv); /* orphans of provisioning, whose SIGCHLD main() consumed */

	/* A stop asked for before or during the start (its signal is pending since
	   main() blocked it) starts nothing more. */
	for (size_t i = 0; i < sv.count; i++) {
		read_signals(&sv);
		if (sv.shutting_down)
			break;
		service_apply(&sv, &sv.services[i], SVC_EV_START);
	}
	for (;;) {
		if (sv.shutting_down)
			advance_shutdown(&sv);
		if (sv.shutting_down && all_gone(&sv) && leftovers_gone(&sv))
			break;
		wait_for_events(&sv);
	}
	close(sv.signal_fd);
	for (size_t i = 0; i < sv.count; i++) {
		service_output_drain(&sv.services[i].output, sv.services[i].spec->name, true);
		service_output_close(&sv.services[i].output);
	}
	if (sv.watch_fd >= 0)
		close(sv.watch_fd);
	if (sv.syslog_fd >= 0) {
		syslog_sink_drain(sv.syslog_fd, true); /* the last words of the stopped daemons */
		close(sv.syslog_fd);
	}

	if (sv.exit_status != 0)
		return sv.exit_status;
	if (sv.killed)
		return 128 + sv.stop_signal;
	log_info("all services stopped");
	return 0;
}
