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
#include <sys/inotify.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/file.h"
#include "base/lock.h"
#include "base/log.h"
#include "mail/ban_list.h"
#include "mail/guard.h"

struct client {
	int fd; /* -1: free */
	bool dict;
	size_t len;
	char buffer[GUARD_LINE_MAX];
};

struct guard {
	const struct guard_config *config;
	struct ban_list *list, *before; /* before: the list as last read, for what changed */
	struct client client[GUARD_CLIENTS_MAX];
	int bans_fd, policy_fd, dict_fd, inotify_fd, signal_fd;
	time_t checked; /* bans that ended up to here are logged */
	bool stop;
};

static void format_time(time_t t, char *out, size_t size)
{
	struct tm tm;

	gmtime_r(&t, &tm);
	strftime(out, size, "%Y-%m-%d %H:%M UTC", &tm);
}

void guard_policy_answer(const struct ban_list *list, const char *request, time_t now, char *answer,
			 size_t size)
{
	const char *line = strstr(request, "client_address=");
	char address[BAN_TEXT_MAX], until[32];
	struct ban_address host;
	const struct ban_entry *e = NULL;

	/* The attribute at the start of a line, not inside another's value. */
	while (line && line != request && line[-1] != '\n')
		line = strstr(line + 1, "client_address=");
	if (line && sscanf(line, "client_address=%63[0-9a-fA-F.:]", address) == 1 &&
	    ban_address_parse(address, 128, &host))
		e = ban_list_find(list, host.bytes, now);
	if (e == NULL) {
		snprintf(answer, size, "action=DUNNO\n\n");
		return;
	}
	format_time(e->until, until, sizeof(until));
	snprintf(answer, size, "action=REJECT too many failed logins from %s: banned until %s\n\n",
		 address, until);
}

void guard_dict_answer(const struct ban_list *list, const char *line, time_t now, char *answer,
		       size_t size)
{
	static const char prefix[] = "Lshared/ban/";
	char address[BAN_TEXT_MAX];
	struct ban_address host;
	size_t len;

	answer[0] = '\0';
	if (line[0] == 'H')
		return; /* the hello: no answer */
	if (strncmp(line, prefix, sizeof(prefix) - 1) != 0) {
		snprintf(answer, size, "F\n");
		return;
	}
	line += sizeof(prefix) - 1;
	len = strcspn(line, "\t\n");
	if (len >= sizeof(address)) {
		snprintf(answer, size, "N\n");
		return;
	}
	memcpy(address, line, len);
	address[len] = '\0';
	if (ban_address_parse(address, 128, &host) && ban_list_find(list, host.bytes, now))
		/* Found: the passdb "succeeds" with no password check, and its
		   result_success = return-fail fails the login (dovecot.conf). */
		snprintf(answer, size, "O{\"nopassword\":\"y\"}\n");
	else
		snprintf(answer, size, "N\n");
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

/* The file as it is now; what changed since the last read is logged (mailinit ban). */
static void reread(struct guard *g, time_t now)
{
	struct problems problems = {0};
	char text[BAN_TEXT_MAX], until[32];

	ban_list_load(g->list, g->config->bans_file, &problems);
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
	    ban_networks_contain(g->config->never, a.bytes))
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
	c->len = 0;
}

static void accept_client(struct guard *g, int listener, bool dict)
{
	int fd = accept4(listener, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

	if (fd < 0)
		return;
	for (size_t i = 0; i < GUARD_CLIENTS_MAX; i++) {
		if (g->client[i].fd < 0) {
			g->client[i] = (struct client){.fd = fd, .dict = dict};
			return;
		}
	}
	log_warn("guard: more than %d connections at once: one refused", GUARD_CLIENTS_MAX);
	close(fd);
}

/* Answer every complete request in the client's buffer; false to drop it. */
static bool answer_client(struct guard *g, struct client *c, time_t now)
{
	char answer[256];
	char *end;

	while ((end = c->dict ? memchr(c->buffer, '\n', c->len)
			      : memmem(c->buffer, c->len, "\n\n", 2)) != NULL) {
		size_t used = (size_t)(end - c->buffer) + (c->dict ? 1 : 2);

		*end = '\0';
		if (c->dict)
			guard_dict_answer(g->list, c->buffer, now, answer, sizeof(answer));
		else
			guard_policy_answer(g->list, c->buffer, now, answer, sizeof(answer));
		if (answer[0] && send(c->fd, answer, strlen(answer), MSG_NOSIGNAL) < 0)
			return false;
		memmove(c->buffer, c->buffer + used, c->len - used);
		c->len -= used;
	}
	return true;
}

static void read_client(struct guard *g, struct client *c, time_t now)
{
	ssize_t got = recv(c->fd, c->buffer + c->len, sizeof(c->buffer) - 1 - c->len, 0);

	if (got < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (got <= 0) {
		drop_client(c);
		return;
	}
	c->len += (size_t)got;
	c->buffer[c->len] = '\0';
	/* A NUL inside, or a request longer than the buffer: not a daemon of ours. */
	if (memchr(c->buffer, '\0', c->len) || !answer_client(g, c, now) ||
	    c->len == sizeof(c->buffer) - 1)
		drop_client(c);
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
			accept_client(g, g->policy_fd, false);
		if (fds[3].revents & POLLIN)
			accept_client(g, g->dict_fd, true);
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

static int open_signals(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
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
	g->signal_fd = open_signals();
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
	}
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
