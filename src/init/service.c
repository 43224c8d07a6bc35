/*
 * NAME
 *	service - one supervised service: spawn, stop, kill, exits, restarts, reload
 *
 * DESCRIPTION
 *	See supervisor_state.h. service_apply() carries out what lifecycle_next()
 *	decides; the rest turns what happens to a service's processes into events.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/signals.h"
#include "base/scoreboard.h"
#include "init/supervisor_state.h"

/* Whether PID is another service's process or one of its descendants. */
static bool of_another_service(const struct supervisor *sv, const struct service *svc, pid_t pid)
{
	for (size_t i = 0; i < sv->count; i++) {
		const struct service *other = &sv->services[i];

		if (other != svc && other->pid > 0 &&
		    (other->pid == pid || proc_is_descendant(pid, other->pid)))
			return true;
	}
	return false;
}

/*
 * The PID in SVC's pidfile if it is SVC's: a live descendant of mailinit that is
 * no other service's process or descendant; else 0. PIDs are reused: after a
 * container restart an old pidfile often names a neighbour (Redis, started
 * first, took the PID Dovecot had), which must never be signalled, adopted or
 * left to make the service refuse to start.
 */
static pid_t pidfile_pid(const struct supervisor *sv, const struct service *svc)
{
	pid_t pid;

	if (svc->spec->pidfile == NULL || (pid = proc_read_pidfile(svc->spec->pidfile)) <= 0 ||
	    pid == sv->self || !proc_is_descendant(pid, sv->self) ||
	    of_another_service(sv, svc, pid))
		return 0;
	return pid;
}

/* The process signals go to: the pidfile's PID if it is ours, else the spawned one. */
pid_t service_target(const struct supervisor *sv, const struct service *svc)
{
	pid_t pid = pidfile_pid(sv, svc);

	return pid > 0 ? pid : svc->pid;
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
		service_apply(sv, svc, SVC_EV_EXITED_TOO_OFTEN);
		return;
	}
	svc->restart_at = clock_ms() + (int64_t)delay * 1000;
	log_info("%s: restarting in %u s", svc->spec->name, delay);
	service_apply(sv, svc, SVC_EV_EXITED);
}

/*
 * A pidfile left by an earlier life of the service (a container restart keeps
 * /run; a daemon killed with SIGKILL cannot clean up) names a PID that may now
 * belong to something else, and daemons such as Dovecot then refuse to start
 * ("already running"). Before a start the service has no process, so its
 * pidfile is stale whatever it names: even a descendant of mailinit that is no
 * service's (the owner walk, a child of provisioning that outlives it, took the
 * PID Dovecot had in a CI run, and Dovecot refused to start five times).
 */
static void remove_stale_pidfile(const struct supervisor *sv, const struct service *svc)
{
	const char *path = svc->spec->pidfile;
	pid_t pid;

	if (path == NULL || (pid = proc_read_pidfile(path)) == 0 ||
	    (svc->pid > 0 && pidfile_pid(sv, svc) > 0))
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
	pid = svc->output.write_fd >= 0 ? proc_spawn_output(spec->argv, svc->output.write_fd)
					: proc_spawn(spec->argv);

	if (pid > 0) {
		svc->pid = pid;
		svc->config_changed = service_config_changed(svc); /* what it starts with */
		scoreboard_service_started((size_t)(svc - sv->services), spec->name,
					   (int64_t)time(NULL));
		log_info("%s: started with pid %d", spec->name, (int)pid);
		return;
	}
	status = proc_exec_failure_status(-pid);
	log_error("%s: cannot run %s: %s (check \"command\" of service %s in the configuration)",
		  spec->name, spec->argv[0], strerror(-pid), spec->name);
	if (status != 0) {
		svc->fail_status = status;
		service_apply(sv, svc, SVC_EV_EXEC_FAILED);
		return;
	}
	/* A temporary failure counts as a crash: back off, or give up. */
	svc->fail_status = EX_UNAVAILABLE;
	restart_or_give_up(sv, svc);
}

void service_check_gone(struct supervisor *sv, struct service *svc)
{
	if (svc->state == SVC_STOPPING && svc->pid == 0 && svc->target_fd < 0) {
		log_info("%s: stopped", svc->spec->name);
		service_apply(sv, svc, SVC_EV_GONE);
	}
}

static void service_drain(struct supervisor *sv, struct service *svc);

/* SIGKILL to SVC's drain command, if one runs; reaped later, its DRAINED changes nothing. */
static void end_drain(struct supervisor *sv, const struct service *svc)
{
	for (size_t i = 0; i < HELPERS_MAX; i++) {
		if (sv->helpers[i].pid > 0 && sv->helpers[i].drain && sv->helpers[i].service == svc)
			kill(sv->helpers[i].pid, SIGKILL);
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
	end_drain(sv, svc);
	/* The whole process group: the daemon's own children go too. */
	if (svc->pid > 0 && kill(-svc->pid, SIGKILL) != 0)
		kill(svc->pid, SIGKILL);
	if (svc->target > 0 && kill(-svc->target, SIGKILL) != 0)
		kill(svc->target, SIGKILL);
}

void service_apply(struct supervisor *sv, struct service *svc, enum svc_event event)
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
		supervisor_begin_shutdown(sv, 0, svc->fail_status);
		break;
	case SVC_ACT_DRAIN: service_drain(sv, svc); break;
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

	if ((pid = pidfile_pid(sv, svc)) == 0)
		return 0;
	/* Ours only if waitid knows it; if it has just exited too, it is reaped next. */
	if (waitid(P_PID, (id_t)pid, &info, WEXITED | WNOHANG | WNOWAIT) != 0)
		return 0;
	return pid;
}

void service_exited(struct supervisor *sv, struct service *svc, int status)
{
	pid_t daemon = 0;
	char how[96];

	svc->pid = 0;
	proc_describe_status(status, how, sizeof(how));
	if (svc->state == SVC_STOPPING || sv->shutting_down ||
	    (daemon = surviving_daemon(sv, svc)) <= 0)
		scoreboard_service_exited((size_t)(svc - sv->services), status);
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
		service_apply(sv, svc, SVC_EV_GONE);
		return;
	}
	if (daemon > 0) {
		log_warn("%s: %s, but its daemon (pid %d, in %s) runs on: supervising that",
			 svc->spec->name, how, (int)daemon, svc->spec->pidfile);
		svc->pid = daemon;
		return;
	}
	log_warn("%s: %s unexpectedly", svc->spec->name, how);
	restart_or_give_up(sv, svc);
}

void service_helper_exited(struct supervisor *sv, struct helper *helper, int status)
{
	const char *what = helper->drain ? "drain command" : "reload command";
	char how[96];

	proc_describe_status(status, how, sizeof(how));
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		log_info("%s: %s %s", helper->service->spec->name, what, how);
	else
		log_error("%s: %s %s", helper->service->spec->name, what, how);
	helper->pid = 0;
	if (helper->drain)
		service_apply(sv, helper->service, SVC_EV_DRAINED);
}

/* A free helper slot running ARGV for SVC, or NULL (logged). */
static struct helper *spawn_helper(struct supervisor *sv, struct service *svc, char *const argv[],
				   bool drain)
{
	const char *what = drain ? "drain command" : "reload command";

	for (size_t i = 0; i < HELPERS_MAX; i++) {
		pid_t pid;

		if (sv->helpers[i].pid != 0)
			continue;
		if ((pid = proc_spawn(argv)) < 0) {
			log_error("%s: cannot run %s %s: %s", svc->spec->name, what, argv[0],
				  strerror(-pid));
			return NULL;
		}
		log_info("%s: %s (%s, pid %d)", svc->spec->name, drain ? "draining" : "reloading",
			 argv[0], (int)pid);
		sv->helpers[i] = (struct helper){.pid = pid, .service = svc, .drain = drain};
		return &sv->helpers[i];
	}
	log_error("%s: %s not run: %d helper commands are still running", svc->spec->name, what,
		  HELPERS_MAX);
	return NULL;
}

/*
 * Shutdown reached the service: its drain command lets what is in flight finish (Postfix's
 * deliveries under way) before the stop signal, which follows when it exits, at half the
 * grace (service_drain_overdue), or at once without one (or if it cannot run).
 */
static void service_drain(struct supervisor *sv, struct service *svc)
{
	/* Half the grace at most: the services stopped after this one keep the rest. */
	svc->drain_end = clock_ms() + (int64_t)sv->config->stop_grace * 500;
	if (svc->spec->drain_argv[0] == NULL || svc->pid <= 0 ||
	    spawn_helper(sv, svc, svc->spec->drain_argv, true) == NULL)
		service_apply(sv, svc, SVC_EV_DRAINED);
}

void service_drain_overdue(struct supervisor *sv, struct service *svc)
{
	log_warn("%s: its drain did not end within %u.%u s (half the grace): stopping it now",
		 svc->spec->name, sv->config->stop_grace / 2, sv->config->stop_grace % 2 * 5);
	end_drain(sv, svc);
	service_apply(sv, svc, SVC_EV_DRAINED);
}

/* The newest change time (mtime or ctime, ns) of DIR, its entries and theirs, DEPTH levels down. */
static int64_t newest_change(int dir_fd, int depth)
{
	DIR *d = fdopendir(dir_fd);
	struct dirent *entry;
	struct stat st;
	int64_t newest = 0;

	if (d == NULL) {
		close(dir_fd);
		return 0;
	}
	if (fstat(dirfd(d), &st) == 0)
		newest = (int64_t)st.st_mtim.tv_sec * 1000000000 + st.st_mtim.tv_nsec;
	while ((entry = readdir(d)) != NULL) {
		int64_t t;

		if (entry->d_name[0] == '.' &&
		    (entry->d_name[1] == '\0' || strcmp(entry->d_name, "..") == 0))
			continue;
		if (fstatat(dirfd(d), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) != 0)
			continue;
		t = (int64_t)st.st_ctim.tv_sec * 1000000000 + st.st_ctim.tv_nsec;
		if (S_ISDIR(st.st_mode) && depth > 0) {
			int fd = openat(dirfd(d), entry->d_name,
					O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);

			if (fd >= 0)
				t = newest_change(fd, depth - 1);
		}
		if (t > newest)
			newest = t;
	}
	closedir(d);
	return newest;
}

int64_t service_config_changed(const struct service *svc)
{
	int fd;

	if (svc->spec->reload_when_changed == NULL)
		return 0;
	fd = open(svc->spec->reload_when_changed, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	return fd < 0 ? 0 : newest_change(fd, 2);
}

void service_reload(struct supervisor *sv, struct service *svc)
{
	const struct service_spec *spec = svc->spec;
	pid_t target;

	if (!spec->reloads)
		return;
	if (spec->reload_when_changed) {
		int64_t changed = service_config_changed(svc);

		if (changed != 0 && changed == svc->config_changed) {
			log_info("%s: nothing in %s changed: not reloaded", spec->name,
				 spec->reload_when_changed);
			return;
		}
		svc->config_changed = changed;
	}
	if (spec->reload_argv[0] == NULL) {
		target = service_target(sv, svc);
		log_info("%s: reloading (SIG%s to pid %d)", spec->name,
			 signal_name(spec->reload_signal), (int)target);
		if (kill(target, spec->reload_signal) != 0)
			log_error_sys("%s: cannot send SIG%s to pid %d", spec->name,
				      signal_name(spec->reload_signal), (int)target);
		return;
	}
	spawn_helper(sv, svc, spec->reload_argv, false);
}
