/*
 * NAME
 *	guard - the bans, served to Postfix and Dovecot
 *
 * DESCRIPTION
 *	See guard.h. One poll loop: the bans datagram socket, the two listening
 *	sockets and their clients (at most GUARD_CLIENTS_MAX; Postfix and
 *	Dovecot keep a few connections open and reuse them), an inotify watch
 *	on the bans file's directory, SIGTERM and SIGHUP by signalfd, and a
 *	timeout at the next ban's end, to log it.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/capability.h>
#include <sys/inotify.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/file.h"
#include "base/lock.h"
#include "base/log.h"
#include "base/signals.h"
#include "mail/ban_list.h"
#include "mail/guard.h"

/* One connection of Postfix or Dovecot, read line by line; a line longer than the buffer
   is skipped (its start and end), never a reason to drop the connection. */
struct client {
	int fd; /* -1: free */
	bool dict;
	bool skipping; /* inside a line too long to keep */
	time_t active; /* the last request: the least recent goes first when full */
	struct guard_policy_request request;
	size_t len;
	char buffer[GUARD_LINE_MAX];
};

struct guard {
	const struct guard_config *config;
	struct ban_list *list, *before; /* before: the list as last read, for what changed */
	struct stat read_stat;          /* the file as last read or written: unchanged, no read */
	struct client client[GUARD_CLIENTS_MAX];
	int bans_fd, policy_fd, dict_fd, inotify_fd, signal_fd;
	time_t checked;        /* bans that ended up to here are logged */
	size_t active_written; /* the count last written to GUARD_ACTIVE_FILE */
	bool stop;
};

static void format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm);
}

/* The ban covering ADDRESS, if it is one and may be banned at all. */
static const struct ban_entry *banned(const struct ban_list *list, const char *never,
				      const char *address, time_t now)
{
	struct ban_address host;

	if (!ban_address_parse(address, 128, &host) || ban_networks_contain(never, host.bytes))
		return NULL;
	return ban_list_find(list, host.bytes, now);
}

void guard_policy_line(struct guard_policy_request *r, const char *line)
{
	static const char name[] = "client_address=";
	size_t len;

	if (strncmp(line, name, sizeof(name) - 1) != 0)
		return;
	line += sizeof(name) - 1;
	len = strlen(line);
	if (len < sizeof(r->address)) {
		memcpy(r->address, line, len + 1);
		return;
	}
	r->address[0] = '\0';
}

void guard_policy_reply(const struct ban_list *list, const char *never,
			const struct guard_policy_request *r, time_t now, char *answer, size_t size)
{
	const struct ban_entry *e = banned(list, never, r->address, now);
	char until[32];

	if (e == NULL) {
		snprintf(answer, size, "action=DUNNO\n\n");
		return;
	}
	format_time(e->until, until, sizeof(until));
	snprintf(answer, size, "action=REJECT too many failed logins from %s: banned until %s\n\n",
		 r->address, until);
}

void guard_policy_answer(const struct ban_list *list, const char *never, const char *request,
			 time_t now, char *answer, size_t size)
{
	struct guard_policy_request r = {0};
	char line[GUARD_LINE_MAX];

	for (const char *p = request; *p;) {
		size_t len = strcspn(p, "\n");

		if (len < sizeof(line)) {
			memcpy(line, p, len);
			line[len] = '\0';
			guard_policy_line(&r, line);
		}
		p += len + (p[len] == '\n');
	}
	guard_policy_reply(list, never, &r, now, answer, size);
}

void guard_dict_answer(const struct ban_list *list, const char *never, const char *line, time_t now,
		       char *answer, size_t size)
{
	static const char prefix[] = "Lshared/ban/";
	char address[BAN_TEXT_MAX];
	size_t len;

	answer[0] = '\0';
	if (line[0] == 'H')
		return; /* the hello: no answer */
	if (strncmp(line, prefix, sizeof(prefix) - 1) != 0) {
		snprintf(answer, size, "F\n");
		return;
	}
	line += sizeof(prefix) - 1;
	len = strcspn(line, "\t");
	if (len >= sizeof(address)) {
		snprintf(answer, size, "N\n");
		return;
	}
	memcpy(address, line, len);
	address[len] = '\0';
	/* Found: the passdb "succeeds" with no password check, and its result_success =
	   return-fail fails the login (dovecot.conf). */
	snprintf(answer, size,
		 banned(list, never, address, now) ? "O{\"nopassword\":\"y\"}\n" : "N\n");
}

static int listen_on(const char *path, int type, mode_t mode, gid_t gid)
{
	struct sockaddr_un addr = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, type | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);

	snprintf(addr.sun_path, sizeof(addr.sun_path), "%s", path);
	unlink(path);
	if (fd < 0 || bind(fd, (struct sockaddr *)&addr, sizeof(addr)) != 0 ||
	    chown(path, 0, gid) != 0 || chmod(path, mode) != 0 ||
	    (type == SOCK_STREAM && listen(fd, 64) != 0)) {
		log_error_sys("guard: cannot listen on %s", path);
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* Whether LIST has A itself banned at NOW. */
static bool has_active(const struct ban_list *list, const struct ban_address *a, time_t now)
{
	for (size_t i = 0; i < list->count; i++) {
		if (list->entry[i].until > now && ban_address_equal(&list->entry[i].address, a))
			return true;
	}
	return false;
}

/* What changed between the lists, one line each (a few: the operator's own edits). */
static void log_changes(const struct guard *g, time_t now)
{
	char text[BAN_TEXT_MAX], until[32];

	if (g->list->count > 1000 || g->before->count > 1000) { /* no quadratic walk */
		log_info("ban: the list changed (mailinit ban): %zu entries", g->list->count);
		return;
	}
	for (size_t i = 0; i < g->list->count; i++) {
		const struct ban_entry *e = &g->list->entry[i];

		if (e->until > now && !has_active(g->before, &e->address, now)) {
			ban_address_format(&e->address, text, sizeof(text));
			format_time(e->until, until, sizeof(until));
			log_info("ban: %s banned until %s (mailinit ban add)", text, until);
		}
	}
	for (size_t i = 0; i < g->before->count; i++) {
		const struct ban_entry *e = &g->before->entry[i];

		if (e->until > now && !has_active(g->list, &e->address, now)) {
			ban_address_format(&e->address, text, sizeof(text));
			log_info("ban: %s lifted (mailinit ban del)", text);
		}
	}
}

static bool same_file(const struct stat *a, const struct stat *b)
{
	return a->st_ino == b->st_ino && a->st_dev == b->st_dev && a->st_size == b->st_size &&
	       a->st_mtim.tv_sec == b->st_mtim.tv_sec && a->st_mtim.tv_nsec == b->st_mtim.tv_nsec;
}

/* The file as `mailinit ban` left it, what changed logged. Unchanged since the guard read
   or wrote it (its own writes, a SIGHUP at every reload): nothing is read, so bans held
   in memory only (a read-only volume, a full disk) stay. */
static void reread(struct guard *g, time_t now)
{
	struct problems problems = {0};
	struct stat st;

	if (stat(g->config->bans_file, &st) != 0 || same_file(&st, &g->read_stat))
		return;
	g->read_stat = st;
	ban_list_load(g->list, g->config->bans_file, &problems);
	log_changes(g, now);
	*g->before = *g->list;
}

/* "ban ADDRESS FAILURES SERVICE" from PID 1. */
static void take_ban(struct guard *g, const char *message, time_t now)
{
	char address[BAN_TEXT_MAX], service[16], text[BAN_TEXT_MAX], until[32], dir[PATH_MAX];
	unsigned failures;
	struct ban_address a;
	const struct ban_entry *e;
	int lock;

	if (sscanf(message, "ban %63s %u %15s", address, &failures, service) != 3 ||
	    !ban_address_parse(address, g->config->ipv6_prefix, &a) ||
	    ban_networks_overlap(g->config->never, &a))
		return;
	snprintf(dir, sizeof(dir), "%s", g->config->bans_file);
	/* Without the lock (a read-only volume), the ban holds in memory all the same. */
	if ((lock = lock_directory(dirname(dir))) >= 0)
		reread(g, now); /* with what mailinit ban changed meanwhile */
	if ((e = ban_list_add(g->list, &a, now, g->config->ban_time)) != NULL) {
		ban_list_prune(g->list, now);
		if (lock < 0 || ban_list_save(g->list, g->config->bans_file) != 0)
			log_error("ban: cannot write %s: the ban holds until the guard restarts",
				  g->config->bans_file);
		else
			stat(g->config->bans_file, &g->read_stat);
		*g->before = *g->list;
		ban_address_format(&e->address, text, sizeof(text));
		format_time(e->until, until, sizeof(until));
		log_info("ban: %s banned until %s after %u failed logins (%s)%s", text, until,
			 failures, service, e->bans > 1 ? ", again: longer" : "");
	}
	if (lock >= 0)
		close(lock);
}

/* Log each ban that ended since the last look. */
static void log_ended(struct guard *g, time_t now)
{
	char text[BAN_TEXT_MAX];

	for (size_t i = 0; i < g->list->count; i++) {
		const struct ban_entry *e = &g->list->entry[i];

		if (e->until > g->checked && e->until <= now) {
			ban_address_format(&e->address, text, sizeof(text));
			log_info("ban: %s ended", text);
		}
	}
	g->checked = now;
}

/* For the metrics: the bans in force now, in GUARD_ACTIVE_FILE (0644) when it changed. */
static void count_active(struct guard *g, time_t now)
{
	char path[PATH_MAX], text[32];
	size_t active = 0;
	int len;

	for (size_t i = 0; i < g->list->count; i++)
		active += g->list->entry[i].until > now;
	if (active == g->active_written)
		return;
	snprintf(path, sizeof(path), "%s/%s", g->config->directory, GUARD_ACTIVE_FILE);
	len = snprintf(text, sizeof(text), "%zu\n", active);
	if (file_write(path, text, (size_t)len, 0644, 0, 0) == 0)
		g->active_written = active;
}

static int next_end_ms(const struct guard *g, time_t now)
{
	time_t next = now + 60;

	for (size_t i = 0; i < g->list->count; i++) {
		if (g->list->entry[i].until > now && g->list->entry[i].until < next)
			next = g->list->entry[i].until;
	}
	return (int)(next - now) * 1000;
}

static void drop_client(struct client *c)
{
	close(c->fd);
	c->fd = -1;
}

/* A new connection takes a free slot, or the one idle longest: Postfix and Dovecot connect
   again by themselves, and a full table must never turn new askers away (they would carry
   on as if nobody were banned). */
static void accept_client(struct guard *g, int listener, bool dict, time_t now)
{
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct client *slot = NULL;

	if (fd < 0)
		return;
	for (size_t i = 0; i < GUARD_CLIENTS_MAX; i++) {
		struct client *c = &g->client[i];

		if (c->fd < 0 || slot == NULL || (slot->fd >= 0 && c->active < slot->active))
			slot = c;
		if (c->fd < 0)
			break;
	}
	if (slot->fd >= 0)
		drop_client(slot);
	*slot = (struct client){.fd = fd, .dict = dict, .active = now};
}

/* One whole line (TOO_LONG: one that did not fit, its text lost); false to drop. */
static bool take_line(struct guard *g, struct client *c, const char *line, bool too_long,
		      time_t now)
{
	char answer[256] = "";

	if (c->dict) {
		if (too_long)
			snprintf(answer, sizeof(answer), "F\n");
		else
			guard_dict_answer(g->list, g->config->never, line, now, answer,
					  sizeof(answer));
	} else if (!too_long && line[0] == '\0') { /* the end of a request */
		guard_policy_reply(g->list, g->config->never, &c->request, now, answer,
				   sizeof(answer));
		c->request = (struct guard_policy_request){0};
	} else if (!too_long) {
		guard_policy_line(&c->request, line);
	}
	c->active = now;
	return answer[0] == '\0' || send(c->fd, answer, strlen(answer), MSG_NOSIGNAL) >= 0;
}

static void read_client(struct guard *g, struct client *c, time_t now)
{
	ssize_t got = recv(c->fd, c->buffer + c->len, sizeof(c->buffer) - c->len, 0);
	size_t start = 0;
	char *newline;

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		drop_client(c);
		return;
	}
	c->len += (size_t)got;
	while ((newline = memchr(c->buffer + start, '\n', c->len - start)) != NULL) {
		*newline = '\0';
		bool ok = take_line(g, c, c->buffer + start, c->skipping, now);

		c->skipping = false;
		start = (size_t)(newline - c->buffer) + 1;
		if (!ok) {
			drop_client(c);
			return;
		}
	}
	memmove(c->buffer, c->buffer + start, c->len - start);
	c->len -= start;
	if (c->len == sizeof(c->buffer)) { /* a line longer than the buffer: skip to its end */
		c->skipping = true;
		c->len = 0;
	}
}

static void read_signals(struct guard *g, time_t now)
{
	struct signalfd_siginfo info;

	while (read(g->signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo == SIGHUP)
			reread(g, now);
		else
			g->stop = true;
	}
}

static void serve(struct guard *g)
{
	struct pollfd fds[5 + GUARD_CLIENTS_MAX];

	while (!g->stop) {
		time_t now = time(NULL);
		nfds_t n = 0;

		log_ended(g, now);
		count_active(g, now);
		fds[n++] = (struct pollfd){.fd = g->signal_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = g->bans_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = g->policy_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = g->dict_fd, .events = POLLIN};
		fds[n++] = (struct pollfd){.fd = g->inotify_fd, .events = POLLIN};
		for (size_t i = 0; i < GUARD_CLIENTS_MAX; i++)
			fds[n++] = (struct pollfd){.fd = g->client[i].fd, .events = POLLIN};
		if (poll(fds, n, next_end_ms(g, now)) < 0 && errno != EINTR) {
			log_error_sys("guard: poll");
			return;
		}
		now = time(NULL);
		if (fds[0].revents & POLLIN)
			read_signals(g, now);
		if (fds[1].revents & POLLIN) {
			char message[128];
			ssize_t got;

			while ((got = recv(g->bans_fd, message, sizeof(message) - 1, 0)) > 0) {
				message[got] = '\0';
				take_ban(g, message, now);
			}
		}
		if (fds[2].revents & POLLIN)
			accept_client(g, g->policy_fd, false, now);
		if (fds[3].revents & POLLIN)
			accept_client(g, g->dict_fd, true, now);
		if (fds[4].revents & POLLIN) {
			char events[4096];

			while (read(g->inotify_fd, events, sizeof(events)) > 0)
				;
			reread(g, now);
		}
		for (size_t i = 0; i < GUARD_CLIENTS_MAX; i++) {
			if (g->client[i].fd >= 0 &&
			    (fds[5 + i].revents & (POLLIN | POLLHUP | POLLERR)))
				read_client(g, &g->client[i], now);
		}
	}
}

int guard_run(const struct guard_config *config)
{
	struct guard *g = calloc(1, sizeof(*g));
	char dir[PATH_MAX], path[PATH_MAX];
	int status = EX_OSERR;

	if (g == NULL || (g->list = ban_list_new()) == NULL ||
	    (g->before = ban_list_new()) == NULL) {
		log_error("guard: out of memory");
		goto out;
	}
	g->config = config;
	g->checked = time(NULL);
	/* Told apart from PID 1 (also "mailinit") in ps and /proc. */
	prctl(PR_SET_NAME, "mailinit-guard", 0, 0, 0);
	for (size_t i = 0; i < GUARD_CLIENTS_MAX; i++)
		g->client[i].fd = -1;
	snprintf(dir, sizeof(dir), "%s", config->bans_file);
	if (file_mkdirs(config->directory, 0711, 0, 0) != 0)
		goto out;
	snprintf(path, sizeof(path), "%s/bans.sock", config->directory);
	g->bans_fd = listen_on(path, SOCK_DGRAM, 0600, 0);
	snprintf(path, sizeof(path), "%s/policy", config->directory);
	g->policy_fd = listen_on(path, SOCK_STREAM, 0660, config->postfix_gid);
	snprintf(path, sizeof(path), "%s/dict", config->directory);
	g->dict_fd = listen_on(path, SOCK_STREAM, 0660, config->dovecot_gid);
	g->signal_fd = signals_stop_and_reread();
	if (g->bans_fd < 0 || g->policy_fd < 0 || g->dict_fd < 0 || g->signal_fd < 0) {
		log_error_sys("guard: cannot start");
		goto out;
	}
	/* A read-only configuration volume: bans hold in memory, until the next start. */
	g->inotify_fd = inotify_init1(IN_CLOEXEC | IN_NONBLOCK);
	if (file_mkdirs(dirname(dir), 0700, 0, 0) != 0 || g->inotify_fd < 0 ||
	    inotify_add_watch(g->inotify_fd, dir, IN_CLOSE_WRITE | IN_MOVED_TO | IN_DELETE) < 0)
		log_warn("guard: %s cannot be kept (%s): bans last until the next start, and "
			 "mailinit ban cannot change them",
			 config->bans_file, strerror(errno));
	{
		struct problems problems = {0};

		ban_list_load(g->list, config->bans_file, &problems);
		*g->before = *g->list;
		stat(config->bans_file, &g->read_stat);
	}
	g->active_written = (size_t)-1; /* written at the first turn */
	/* Its sockets made and given to Postfix's and Dovecot's groups, it needs no capability:
	   what it writes is root's own (the bans file, its directory's lock). */
	cap_t none = cap_init();
	if (none == NULL || cap_set_proc(none) != 0) {
		log_error_sys("guard: cannot drop its capabilities");
		cap_free(none);
		goto out;
	}
	cap_free(none);
	log_info("guard: %zu bans in %s, serving Postfix and Dovecot", g->list->count,
		 config->bans_file);
	serve(g);
	status = 0;
out:
	if (g) {
		ban_list_free(g->list);
		ban_list_free(g->before);
	}
	free(g);
	return status;
}
