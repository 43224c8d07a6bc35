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
	char path[64], *status, *line;
	bool name = false, owner = false, parent = false;

	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	if ((status = file_read(path, NULL)) == NULL)
		return false;
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
	free(status);
	return name && owner && parent;
}

/* From a child that has become UID:GID: SIGTERM to each of PIDS that is a session process
   of Dovecot's master MASTER, through a pidfd (a pid reused meanwhile is not signalled).
   Returns how many were signalled, -1 when the child could not run. */
static long signal_sessions(const pid_t *pids, size_t count, uid_t uid, gid_t gid, pid_t master)
{
	int report[2];
	long signalled = -1;
	pid_t child;
	int status;

	if (pipe2(report, O_CLOEXEC) != 0)
		return -1;
	if ((child = fork()) == 0) {
		long done = 0;

		close(report[0]);
		if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
			_exit(1);
		for (size_t i = 0; i < count; i++) {
			int fd = pidfd_open(pids[i], 0); /* ESRCH: it ended meanwhile */

			/* Checked after the pidfd is open: if the pid was reused, the pidfd is the
			   old, dead process's and the signal goes nowhere. */
			if (fd >= 0 && is_session_process(pids[i], uid, master) &&
			    pidfd_send_signal(fd, SIGTERM, NULL, 0) == 0)
				done++;
			if (fd >= 0)
				close(fd);
		}
		_exit(write(report[1], &done, sizeof(done)) == sizeof(done) ? 0 : 1);
	}
	close(report[1]);
	if (child > 0 && waitpid(child, &status, 0) == child && WIFEXITED(status) &&
	    WEXITSTATUS(status) == 0 &&
	    read(report[0], &signalled, sizeof(signalled)) != sizeof(signalled))
		signalled = -1;
	close(report[0]);
	return signalled;
}

/* Dovecot's auth notices a new passwd-file by its mtime and size, looked at once a second:
   make sure it can tell the new file from OLD, and wait for the next second. */
static void let_auth_see(const char *users_path, const struct stat *old)
{
	struct stat now;

	if (stat(users_path, &now) != 0)
		return;
	if (now.st_mtime == old->st_mtime && now.st_size == old->st_size) {
		struct timespec times[2] = {{.tv_nsec = UTIME_OMIT}, {.tv_sec = old->st_mtime - 1}};

		(void)utimensat(AT_FDCWD, users_path, times, 0);
	}
	struct timespec wall;

	clock_gettime(CLOCK_REALTIME, &wall);
	struct timespec rest = {0, 1000000000L - wall.tv_nsec + 10000000L};

	if (rest.tv_nsec >= 1000000000L) {
		rest.tv_sec = 1;
		rest.tv_nsec -= 1000000000L;
	}
	nanosleep(&rest, NULL);
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
		pid_t *pids = xrealloc(NULL, SESSIONS_MAX * sizeof(*pids));
		size_t count = sessions_pids(dump.data, names, changed, pids, SESSIONS_MAX);
		long ended = count ? signal_sessions(pids, count, uid, gid,
						     proc_read_pidfile(DOVECOT_MASTER_PID))
				   : 0;

		if (count == SESSIONS_MAX)
			log_warn(
			    "more than %d sessions of changed accounts: only the first %d ended",
			    SESSIONS_MAX, SESSIONS_MAX);
		if (ended < 0)
			log_error(
			    "could not become uid %u to end the sessions of changed accounts; "
			    "they stay logged in until they end (doveadm kick USER ends them)",
			    (unsigned)uid);
		else if (ended > 0)
			log_info("ended %ld session%s of the %zu account%s removed or changed "
				 "(password, quota): their clients log in again",
				 ended, ended == 1 ? "" : "s", changed, changed == 1 ? "" : "s");
		free(pids);
	}
	buffer_free(&dump);
	free_lines(names, changed);
}
