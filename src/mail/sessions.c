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
#include <grp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/log.h"
#include "base/xalloc.h"
#include "mail/sessions.h"

#define SESSIONS_MAX          65536      /* session processes signalled at one reload */
#define DUMP_MAX              (8u << 20) /* anvil's answer, at ~80 bytes a session */
#define ANVIL_TIMEOUT_SECONDS 2          /* a stuck anvil must not hold up the reload */

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
			lines[*count] = xstrdup(text);
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

/* anvil's list of sessions into DUMP. -1 when there is no anvil to ask (logged unless it is
   simply not running). */
static int read_dump(const char *anvil_path, struct buffer *dump)
{
	static const char request[] = "VERSION\tanvil\t1\t0\nCONNECT-DUMP\n";
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	struct timeval timeout = {.tv_sec = ANVIL_TIMEOUT_SECONDS};
	char chunk[4096];
	ssize_t n;
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	snprintf(address.sun_path, sizeof(address.sun_path), "%s", anvil_path);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout)) != 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &timeout, sizeof(timeout)) != 0)
		goto failed;
	if (connect(fd, (struct sockaddr *)&address, sizeof(address)) != 0) {
		if (errno != ENOENT && errno != ECONNREFUSED)
			goto failed;
		log_debug("%s: no Dovecot running, so no session to end", anvil_path);
		close(fd);
		return -1;
	}
	if (write(fd, request, sizeof(request) - 1) != (ssize_t)(sizeof(request) - 1))
		goto failed;
	/* Up to the empty line that ends the list. */
	while ((n = read(fd, chunk, sizeof(chunk))) > 0 && dump->len + (size_t)n <= DUMP_MAX) {
		buffer_append(dump, chunk, (size_t)n);
		if ((dump->len == 1 && dump->data[0] == '\n') ||
		    (dump->len >= 2 && memcmp(dump->data + dump->len - 2, "\n\n", 2) == 0))
			break;
	}
	if (n < 0)
		goto failed;
	close(fd);
	return 0;
failed:
	log_error_sys("%s: could not list Dovecot's sessions; the sessions of changed accounts "
		      "stay logged in until they end (doveadm kick USER ends them)",
		      anvil_path);
	if (fd >= 0)
		close(fd);
	return -1;
}

/* SIGTERM to each of PIDS from a child that has become UID:GID. */
static void signal_as(const pid_t *pids, size_t count, uid_t uid, gid_t gid)
{
	pid_t child = fork();
	int status;

	if (child == 0) {
		if (setgroups(0, NULL) != 0 || setgid(gid) != 0 || setuid(uid) != 0)
			_exit(1);
		for (size_t i = 0; i < count; i++)
			(void)kill(pids[i], SIGTERM); /* ESRCH: it ended meanwhile */
		_exit(0);
	}
	if (child < 0 || waitpid(child, &status, 0) != child || !WIFEXITED(status) ||
	    WEXITSTATUS(status) != 0)
		log_error("could not become uid %u to end the sessions of changed accounts; they "
			  "stay logged in until they end (doveadm kick USER ends them)",
			  (unsigned)uid);
}

void sessions_end_changed(const char *old_users, const char *new_users, const char *anvil_path,
			  uid_t uid, gid_t gid)
{
	char **names;
	size_t changed = sessions_changed_accounts(old_users, new_users, &names);
	struct buffer dump = {0};

	if (changed == 0)
		return;
	if (read_dump(anvil_path, &dump) == 0 && dump.len > 0) {
		pid_t *pids = xrealloc(NULL, SESSIONS_MAX * sizeof(*pids));
		size_t count = sessions_pids(dump.data, names, changed, pids, SESSIONS_MAX);

		if (count) {
			signal_as(pids, count, uid, gid);
			log_info("ended %zu session%s of the %zu account%s removed or changed "
				 "(password, quota): their clients log in again",
				 count, count == 1 ? "" : "s", changed, changed == 1 ? "" : "s");
		}
		free(pids);
	}
	buffer_free(&dump);
	free_lines(names, changed);
}
