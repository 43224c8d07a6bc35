/*
 * NAME
 *	sessions - end the logged-in sessions of accounts a reload removed or changed
 *
 * DESCRIPTION
 *	See sessions.h. anvil's CONNECT-DUMP (Dovecot 2.3, src/anvil/connect-limit.c)
 *	answers one line per session process, "service/ip/user<TAB>pid<TAB>count"
 *	("service/user" without an address), and an empty line at the end.
 */
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/pidfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/xalloc.h"
#include "mail/sessions.h"

#define SESSIONS_MAX     65536      /* session processes signalled at one reload */
#define DUMP_MAX         (8u << 20) /* anvil's answer, at ~80 bytes a session */
#define ANVIL_TIMEOUT_MS 2000       /* a stuck anvil must not hold up the reload */

static int compare_names(const void *a, const void *b)
{
	return strcasecmp(*(char *const *)a, *(char *const *)b);
}

static int compare_lines(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The lines of TEXT, each its own allocated string, in *COUNT. */
static char **split_lines(const char *text, size_t *count)
{
	char **lines = NULL;

	*count = 0;
	while (text && *text) {
		size_t len = strcspn(text, "\n");

		if (len > 0) {
			lines = xrealloc(lines, (*count + 1) * sizeof(*lines));
			lines[*count] = xrealloc(NULL, len + 1);
			memcpy(lines[*count], text, len);
			lines[*count][len] = '\0';
			(*count)++;
		}
		text += len + (text[len] == '\n');
	}
	return lines;
}

static void free_lines(char **lines, size_t count)
{
	for (size_t i = 0; i < count; i++)
		free(lines[i]);
	free(lines);
}

size_t sessions_changed_accounts(const char *old_users, const char *new_users, char ***names)
{
	size_t old_count, new_count, changed = 0;
	char **old_lines = split_lines(old_users, &old_count);
	char **new_lines = split_lines(new_users, &new_count);

	*names = NULL;
	if (new_count)
		qsort(new_lines, new_count, sizeof(*new_lines), compare_lines);
	for (size_t i = 0; i < old_count; i++) {
		if (new_count &&
		    bsearch(&old_lines[i], new_lines, new_count, sizeof(*new_lines), compare_lines))
			continue;
		*names = xrealloc(*names, (changed + 1) * sizeof(**names));
		(*names)[changed] = xstrdup(old_lines[i]);
		(*names)[changed][strcspn(old_lines[i], ":")] = '\0';
		changed++;
	}
	if (changed)
		qsort(*names, changed, sizeof(**names), compare_names);
	free_lines(old_lines, old_count);
	free_lines(new_lines, new_count);
	return changed;
}

/* One line of the dump: the account and the process, or false. */
static bool parse_dump_line(char *line, const char **user, pid_t *pid)
{
	char *tab = strchr(line, '\t'), *end;
	char *slash = strchr(line, '/');

	if (tab == NULL || slash == NULL || slash > tab)
		return false;
	*tab = '\0';
	/* service/ip/user or service/user: the user is what follows the address, if any. */
	char *second = strchr(slash + 1, '/');
	*user = second ? second + 1 : slash + 1;
	errno = 0;
	long value = strtol(tab + 1, &end, 10);
	/* Never 0 or 1: kill(0) is the sender's own group, kill(1) the supervisor. */
	if (errno || end == tab + 1 || *end != '\t' || value <= 1 || value > INT32_MAX)
		return false;
	*pid = (pid_t)value;
	return **user != '\0';
}

size_t sessions_pids(const char *dump, char *const *names, size_t count, pid_t *pids, size_t max)
{
	size_t found = 0, line_count;
	char **lines = split_lines(dump, &line_count);

	for (size_t i = 0; i < line_count && found < max; i++) {
		const char *user;
		pid_t pid;

		if (parse_dump_line(lines[i], &user, &pid) &&
		    bsearch(&user, names, count, sizeof(*names), compare_names))
			pids[found++] = pid;
	}
	free_lines(lines, line_count);
	return found;
}

int sessions_read_dump(const char *anvil_path, struct buffer *dump)
{
	static const char request[] = "VERSION\tanvil\t1\t0\nCONNECT-DUMP\n";
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	const char *what = "could not list Dovecot's sessions";
	int64_t deadline = clock_ms() + ANVIL_TIMEOUT_MS;

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", anvil_path);
	if (fd < 0)
		goto failed;
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		if (errno != ENOENT && errno != ECONNREFUSED)
			goto failed;
		log_debug("%s: no Dovecot running, so no session to end", anvil_path);
		close(fd);
		return -1;
	}
	/* A local stream socket takes these few bytes at once. */
	if (write(fd, request, sizeof(request) - 1) != (ssize_t)(sizeof(request) - 1))
		goto failed;
	/* Up to the empty line that ends the list, within one deadline for the whole answer. */
	for (;;) {
		struct pollfd wait = {.fd = fd, .events = POLLIN};
		int64_t left = deadline - clock_ms();
		char chunk[4096];
		ssize_t n;

		if (left <= 0 || poll(&wait, 1, (int)left) == 0) {
			errno = ETIMEDOUT;
			goto failed;
		}
		if ((n = read(fd, chunk, sizeof(chunk))) < 0) {
			if (errno == EINTR || errno == EAGAIN)
				continue;
			goto failed;
		}
		if (n == 0 && dump->len == 0) {
			errno = ECONNRESET;
			goto failed;
		}
		if (dump->len + (size_t)n > DUMP_MAX) {
			what = "Dovecot's list of sessions is too long to read";
			errno = EFBIG;
			goto failed;
		}
		buffer_append(dump, chunk, (size_t)n);
		if (n == 0 || (dump->len == 1 && dump->data[0] == '\n') ||
		    (dump->len >= 2 && memcmp(dump->data + dump->len - 2, "\n\n", 2) == 0))
			break;
	}
	close(fd);
	return 0;
failed:
	log_error_sys("%s: %s; the sessions of changed accounts stay logged in until they end "
		      "(doveadm kick USER ends them)",
		      anvil_path, what);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* True when the process PID is one of Dovecot's session processes: the comm is one of the
   session services, it runs as UID and its parent is Dovecot's master (MASTER). */
static bool is_session_process(pid_t pid, uid_t uid, pid_t master)
{
	static const char *const services[] = {"imap", "pop3", "managesieve"};
	char path[64], status[4096], *line;
	bool name = false, owner = false, parent = false;
	ssize_t len;
	int fd;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((fd = open(path, O_RDONLY | O_CLOEXEC)) < 0)
		return false;
	len = read(fd, status, sizeof(status) - 1); /* Name, Uid and PPid are in the first lines */
	close(fd);
	if (len <= 0)
		return false;
	status[len] = '\0';
	for (line = status; line; line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		unsigned long real, ppid;

		if (strncmp(line, "Name:\t", 6) == 0) {
			for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++)
				name |= strncmp(line + 6, services[i], strlen(services[i])) == 0 &&
					line[6 + strlen(services[i])] == '\n';
		} else if (sscanf(line, "Uid:\t%lu", &real) == 1) {
			owner = real == (unsigned long)uid;
		} else if (sscanf(line, "PPid:\t%lu", &ppid) == 1) {
			parent = master > 0 && ppid == (unsigned long)master;
		}
	}
	return name && owner && parent;
}

/* What the child that signals reports. */
struct signal_report {
	long signalled, failed; /* failed: neither signalled nor gone meanwhile nor no session */
	int error;              /* the first failure's errno */
};

#define CHILD_BECOME_FAILED 2    /* the child's exit status when setgroups/setgid/setuid failed */
#define CHILD_TIMEOUT_MS    2000 /* a child of the mail uid can be stopped by that uid */

/* In a child that becomes UID:GID: SIGTERM to each of PIDS that is a session process of
   Dovecot's master MASTER, through a pidfd (a pid reused meanwhile is not signalled). */
static _Noreturn void signal_as_child(int report_fd, const pid_t *pids, size_t count, uid_t uid,
				      gid_t gid, pid_t master)
{
	struct signal_report r = {0};

	if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
		_exit(CHILD_BECOME_FAILED);
	for (size_t i = 0; i < count; i++) {
		int fd = pidfd_open(pids[i], 0);

		/* Checked after the pidfd is open: if the pid was reused, the pidfd is the old,
		   dead process's and the signal goes nowhere. */
		if (fd < 0 && errno == ESRCH)
			continue; /* it ended meanwhile */
		if (fd >= 0 && !is_session_process(pids[i], uid, master)) {
			close(fd);
			continue;
		}
		if (fd >= 0 && pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0)
			r.signalled++;
		else if (errno != ESRCH && r.failed++ == 0)
			r.error = errno;
		if (fd >= 0)
			close(fd);
	}
	_exit(write(report_fd, &r, sizeof(r)) == sizeof(r) ? 0 : 1);
}

/* Runs signal_as_child and returns its report; false (logged) when it could not run or
   report, or did not end within CHILD_TIMEOUT_MS (it is then killed). */
static bool signal_sessions(const pid_t *pids, size_t count, uid_t uid, gid_t gid, pid_t master,
			    struct signal_report *r)
{
	int report[2], child_fd = -1, status = 0;
	struct pollfd wait = {.events = POLLIN};
	bool ok = false;
	pid_t child;

	if (pipe2(report, O_CLOEXEC) != 0) {
		log_error_sys("cannot end the sessions of changed accounts: pipe");
		return false;
	}
	if ((child = fork()) == 0)
		signal_as_child(report[1], pids, count, uid, gid, master);
	close(report[1]);
	if (child < 0) {
		log_error_sys("cannot end the sessions of changed accounts: fork");
		close(report[0]);
		return false;
	}
	/* The child runs as the mail uid, which may stop it: wait with a deadline. */
	child_fd = pidfd_open(child, 0);
	wait.fd = child_fd;
	if (child_fd < 0 || poll(&wait, 1, CHILD_TIMEOUT_MS) != 1) {
		kill(child, SIGKILL);
		log_error("ending the sessions of changed accounts did not finish within %d ms",
			  CHILD_TIMEOUT_MS);
	}
	if (waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	    WEXITSTATUS(status) == CHILD_BECOME_FAILED)
		log_error("cannot become uid %u, gid %u to end the sessions of changed accounts",
			  (unsigned)uid, (unsigned)gid);
	else if (WIFEXITED(status) && WEXITSTATUS(status) == 0)
		ok = read(report[0], r, sizeof(*r)) == sizeof(*r);
	if (child_fd >= 0)
		close(child_fd);
	close(report[0]);
	return ok;
}

/* Dovecot's auth notices a new passwd-file by its mtime and size, looked at once a second:
   make sure it can tell the new file from OLD, and wait for the next whole second. */
static void let_auth_see(const char *users_path, const struct stat *old)
{
	struct timespec next;
	struct stat now;

	if (stat(users_path, &now) == 0 && now.st_mtime == old->st_mtime &&
	    now.st_size == old->st_size) {
		struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = old->st_mtime - 1}};

		if (utimensat(AT_FDCWD, users_path, times, 0) != 0)
			log_error_sys("%s: cannot change its mtime, so Dovecot may not see that it "
				      "changed until its reload",
				      users_path);
	}
	clock_gettime(CLOCK_REALTIME, &next);
	next.tv_sec++;
	next.tv_nsec = 10000000L; /* 10 ms into the next second */
	while (clock_nanosleep(CLOCK_REALTIME, TIMER_ABSTIME, &next, NULL) == EINTR)
		;
}

void sessions_end_changed(const char *users_path, const char *old_users,
			  const struct stat *old_stat, uid_t uid, gid_t gid)
{
	char **names = NULL, *new_users = file_read(users_path, NULL);
	size_t changed = 0;
	struct buffer dump = {0};

	if (new_users == NULL) {
		log_error_sys(
		    "%s: cannot read it to compare the accounts; the sessions of changed "
		    "accounts stay logged in until they end (doveadm kick USER ends them)",
		    users_path);
		return;
	}
	changed = sessions_changed_accounts(old_users, new_users, &names);
	free(new_users);
	if (changed == 0)
		return;
	let_auth_see(users_path, old_stat);
	if (sessions_read_dump(DOVECOT_ANVIL, &dump) == 0) {
		pid_t *pids = xrealloc(NULL, (SESSIONS_MAX + 1) * sizeof(*pids));
		size_t count = sessions_pids(dump.data, names, changed, pids, SESSIONS_MAX + 1);
		pid_t master = proc_read_pidfile(DOVECOT_MASTER_PID);
		struct signal_report r = {0};

		if (count > SESSIONS_MAX) {
			log_warn("more than %d sessions of changed accounts: only the first %d are "
				 "ended (doveadm kick USER ends the rest)",
				 SESSIONS_MAX, SESSIONS_MAX);
			count = SESSIONS_MAX;
		}
		if (count && master <= 0)
			log_error(
			    "%s: no Dovecot master named in it, so its sessions cannot be told "
			    "apart: the sessions of changed accounts stay logged in until they "
			    "end (doveadm kick USER ends them)",
			    DOVECOT_MASTER_PID);
		else if (count && !signal_sessions(pids, count, uid, gid, master, &r))
			log_error("the sessions of changed accounts stay logged in until they end "
				  "(doveadm kick USER ends them)");
		if (r.failed) {
			errno = r.error;
			log_error_sys("could not end %ld session%s of changed accounts; they stay "
				      "logged in until they end (doveadm kick USER ends them)",
				      r.failed, r.failed == 1 ? "" : "s");
		}
		if (r.signalled)
			log_info("ended %ld session%s of the %zu account%s removed or changed "
				 "(password, quota): their clients log in again",
				 r.signalled, r.signalled == 1 ? "" : "s", changed,
				 changed == 1 ? "" : "s");
		free(pids);
	}
	buffer_free(&dump);
	free_lines(names, changed);
}
