/*
 * NAME
 *	metrics - the OpenMetrics endpoint: what PID 1 counted, the queue, the certificates
 *
 * DESCRIPTION
 *	See metrics.h.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "base/signals.h"
#include "mail/mail_events.h"
#include "mail/metrics.h"
#include "mail/networks.h"

static const char *const queue_names[QUEUES] = {"incoming", "active", "deferred", "hold",
						"maildrop"};

/* Start of line LINE (NUL-ended) is "KEY = ": the value after it, else NULL. */
static const char *value_of(const char *line, const char *key)
{
	size_t n = strlen(key);

	if (strncmp(line, key, n) != 0)
		return NULL;
	line += n;
	while (*line == ' ' || *line == '\t')
		line++;
	if (*line++ != '=')
		return NULL;
	while (*line == ' ' || *line == '\t')
		line++;
	return line;
}

/* LINE and a newline into OUT if both fit whole (a line cut short would be another
   date); else OUT is marked cut. */
static void keep_line(struct buffer *out, const char *line)
{
	if (out->len + strlen(line) + 2 > out->cap)
		out->cut = true;
	else
		buffer_printf(out, "%s\n", line);
}

/* "certificate NAME TIME" or "dkim DOMAIN SELECTOR TIME", with no quote, backslash or brace
   (they become label values). */
static bool fact_line(const char *line)
{
	char name[256], selector[64];
	long long when;

	if (strpbrk(line, "\"\\{}") != NULL)
		return false;
	return sscanf(line, "certificate %255s %lld", name, &when) == 2 ||
	       sscanf(line, "dkim %255s %63s %lld", name, selector, &when) == 3;
}

int metrics_read_conf(struct metrics_config *config)
{
	char *text = file_read(config->conf, NULL), *line, *next;
	unsigned number = 0;
	struct buffer certificates;
	int status = 0;

	if (text == NULL) {
		log_error_sys("metrics: cannot read %s", config->conf);
		return -1;
	}
	buffer_over(&certificates, config->certificates, sizeof(config->certificates));
	config->certificates[0] = '\0';
	for (line = text; line && *line; line = next) {
		const char *value;

		number++;
		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (*line == '#' || *line == '\0')
			continue;
		if ((value = value_of(line, "listen")) != NULL) {
			snprintf(config->listen, sizeof(config->listen), "%s", value);
		} else if ((value = value_of(line, "scoreboard")) != NULL) {
			snprintf(config->scoreboard, sizeof(config->scoreboard), "%s", value);
		} else if ((value = value_of(line, "dovecot")) != NULL) {
			snprintf(config->dovecot, sizeof(config->dovecot), "%s", value);
		} else if ((value = value_of(line, "bans")) != NULL) {
			snprintf(config->bans, sizeof(config->bans), "%s", value);
		} else if (fact_line(line)) {
			keep_line(&certificates, line);
		} else {
			log_error("%s:%u: not understood: \"%s\" (the file is mailinit's own: "
				  "a reload renders it again)",
				  config->conf, number, line);
			status = -1;
		}
	}
	free(text);
	if (certificates.cut)
		log_warn("%s: more certificates than the metrics show (%zu bytes of them)",
			 config->conf, sizeof(config->certificates));
	return status;
}

static void help(struct buffer *out, const char *family, const char *type, const char *text)
{
	buffer_printf(out, "# TYPE %s %s\n# HELP %s %s\n", family, type, family, text);
}

/* The number a shell gives a process's end: its exit status, or 128 + its signal. */
static int exit_number(int64_t status)
{
	int s = (int)status;

	return WIFSIGNALED(s) ? 128 + WTERMSIG(s) : WEXITSTATUS(s);
}

static void render_services(const struct scoreboard *board, struct buffer *out)
{
	static const struct {
		const char *family, *type, *help;
	} families[] = {
	    {"mailinit_service_up", "gauge", "1 while the service runs."},
	    {"mailinit_service_restarts", "counter", "Restarts since mailinit started."},
	    {"mailinit_service_last_exit_status", "gauge",
	     "How the service last ended: its exit status, or 128 + the signal."},
	    {"mailinit_service_start_time_seconds", "gauge", "When the service last started."},
	};

	help(out, "mailinit_start_time_seconds", "gauge", "When mailinit started.");
	buffer_printf(out, "mailinit_start_time_seconds %lld\n", (long long)board->began);
	for (size_t f = 0; f < sizeof(families) / sizeof(families[0]); f++) {
		help(out, families[f].family, families[f].type, families[f].help);
		for (size_t i = 0; i < SCOREBOARD_SERVICES; i++) {
			const struct scoreboard_service *s = &board->services[i];
			char name[SCOREBOARD_NAME_MAX];

			/* The board is another process's: a name is trusted only once ended. */
			memcpy(name, s->name, sizeof(name));
			name[sizeof(name) - 1] = '\0';
			if (name[0] == '\0' || strpbrk(name, "\"\\\n") != NULL)
				continue;
			if (f == 0)
				buffer_printf(out, "%s{service=\"%s\"} %llu\n", families[f].family,
					      name, (unsigned long long)s->up);
			else if (f == 1)
				buffer_printf(out, "%s_total{service=\"%s\"} %llu\n",
					      families[f].family, name,
					      (unsigned long long)(s->starts ? s->starts - 1 : 0));
			else if (f == 2 && s->last_exit >= 0)
				buffer_printf(out, "%s{service=\"%s\"} %d\n", families[f].family,
					      name, exit_number(s->last_exit));
			else if (f == 3 && s->starts > 0)
				buffer_printf(out, "%s{service=\"%s\"} %lld\n", families[f].family,
					      name, (long long)s->started);
		}
	}
}

void metrics_render_bans(const char *bans, struct buffer *out)
{
	char *end;
	unsigned long long active = bans ? strtoull(bans, &end, 10) : 0;

	if (bans == NULL || end == bans || (*end != '\n' && *end != '\0'))
		return;
	help(out, "mailinit_bans_active", "gauge",
	     "Client addresses (or IPv6 networks) banned now (ENABLE_BANS).");
	buffer_printf(out, "mailinit_bans_active %llu\n", active);
}

static void render_counters(const struct scoreboard *board, struct buffer *out)
{
	static const char *const helps[] = {
	    "mailinit_messages_received",
	    "Messages Postfix took in (cleanup), by any route.",
	    "mailinit_deliveries",
	    "Deliveries to a recipient, by transport and outcome.",
	    "mailinit_rejections",
	    "What Postfix refused, by reason.",
	    "mailinit_logins",
	    "Logins by protocol and result (a failure per attempt).",
	    "mailinit_spam_scans",
	    "Messages rspamd scanned, by the action it chose.",
	};
	const char *family = "";

	for (unsigned i = 0; i < MAIL_COUNTERS; i++) {
		const struct mail_counter_info *c = &mail_counters[i];

		if (c->family == NULL)
			continue;
		if (strcmp(c->family, family) != 0) {
			const char *text = "";

			for (size_t h = 0; h < sizeof(helps) / sizeof(helps[0]); h += 2)
				if (strcmp(helps[h], c->family) == 0)
					text = helps[h + 1];
			help(out, c->family, "counter", text);
			family = c->family;
		}
		buffer_printf(out, "%s_total%s%s%s %llu\n", c->family, c->labels[0] ? "{" : "",
			      c->labels, c->labels[0] ? "}" : "",
			      (unsigned long long)board->counters[i]);
	}
}

/* The lines of FACTS that start with KIND ("certificate NAME TIME", "dkim DOMAIN SELECTOR
   TIME"), as samples. */
static void render_facts(const char *facts, const char *kind, struct buffer *out)
{
	size_t n = strlen(kind);

	for (const char *line = facts; *line;) {
		const char *end = strchr(line, '\n');
		char name[256], selector[64];
		long long when;

		if (strncmp(line, kind, n) == 0 && line[n] == ' ') {
			if (strcmp(kind, "certificate") == 0 &&
			    sscanf(line + n, "%255s %lld", name, &when) == 2)
				buffer_printf(out,
					      "mailinit_tls_certificate_expiry_timestamp_seconds"
					      "{name=\"%s\"} %lld\n",
					      name, when);
			else if (sscanf(line + n, "%255s %63s %lld", name, selector, &when) == 3)
				buffer_printf(out,
					      "mailinit_dkim_key_created_timestamp_seconds"
					      "{domain=\"%s\",selector=\"%s\"} %lld\n",
					      name, selector, when);
		}
		line = end ? end + 1 : line + strlen(line);
	}
}

void metrics_render(const struct scoreboard *board, const struct queue_counts *queue,
		    const char *certificates, const char *dovecot, struct buffer *out)
{
	if (board != NULL) {
		render_services(board, out);
		render_counters(board, out);
	}
	if (queue != NULL && queue->known) {
		help(out, "mailinit_queue_messages", "gauge", "Messages in Postfix's queues.");
		for (int q = 0; q < QUEUES; q++)
			buffer_printf(out, "mailinit_queue_messages{queue=\"%s\"} %llu\n",
				      queue_names[q], (unsigned long long)queue->messages[q]);
	}
	if (certificates != NULL && strstr(certificates, "certificate ") != NULL) {
		help(out, "mailinit_tls_certificate_expiry_timestamp_seconds", "gauge",
		     "When the certificate served for the name expires.");
		render_facts(certificates, "certificate", out);
	}
	if (certificates != NULL && strstr(certificates, "dkim ") != NULL) {
		help(
		    out, "mailinit_dkim_key_created_timestamp_seconds", "gauge",
		    "When the domain's signing key was made (mailinit dkim rotate makes another).");
		render_facts(certificates, "dkim", out);
	}
	if (dovecot != NULL) {
		const char *eof = strstr(dovecot, "# EOF\n");

		help(out, "mailinit_dovecot_stats_up", "gauge",
		     "1 when Dovecot's own counters (dovecot_*) were read for this scrape.");
		buffer_printf(out, "mailinit_dovecot_stats_up %d\n", eof != NULL);
		if (eof != NULL)
			buffer_append(out, dovecot, (size_t)(eof - dovecot));
	}
	buffer_puts(out, "# EOF\n");
}

/* Regular entries of DIR_FD's directory NAME, and of its subdirectories (hashed queues). */
static int count_entries(int dir_fd, const char *name, int depth, uint64_t *count)
{
	int fd = openat(dir_fd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct dirent *entry;
	DIR *d;

	if (fd < 0)
		return errno == ENOENT ? 0 : -1;
	if ((d = fdopendir(fd)) == NULL) {
		close(fd);
		return -1;
	}
	while ((entry = readdir(d)) != NULL) {
		if (entry->d_name[0] == '.')
			continue;
		unsigned char type = entry->d_type;
		struct stat st;

		if (type == DT_UNKNOWN &&
		    fstatat(dirfd(d), entry->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
			type = S_ISDIR(st.st_mode)   ? DT_DIR
			       : S_ISREG(st.st_mode) ? DT_REG
						     : DT_UNKNOWN;
		if (type == DT_DIR && depth > 0)
			count_entries(dirfd(d), entry->d_name, depth - 1, count);
		else if (type == DT_REG)
			(*count)++;
	}
	closedir(d);
	return 0;
}

int queue_count(int spool_fd, struct queue_counts *out)
{
	*out = (struct queue_counts){.known = 1};
	for (int q = 0; q < QUEUES; q++) {
		if (count_entries(spool_fd, queue_names[q], 2, &out->messages[q]) != 0)
			out->known = 0;
	}
	return out->known ? 0 : -1;
}

/* The state of the serving half. */
struct server {
	struct metrics_config *config;
	const struct scoreboard *board;
	int channel;   /* to the queue counter; -1: none (the queue not shown) */
	int64_t asked; /* when the queue was last counted, ms */
	struct queue_counts queue;
	struct buffer body; /* the last body rendered, reused within METRICS_REUSE_MS */
	int64_t rendered;
};

/* The queue counter: Postfix's uid, one byte in, the counts out, until the pair closes. */
static void queue_counter(int channel, const char *spool)
{
	int spool_fd = open(spool, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	char request;

	prctl(PR_SET_NAME, "mailinit-queue", 0, 0, 0);
	while (read(channel, &request, 1) == 1) {
		struct queue_counts counts = {0};

		if (spool_fd >= 0)
			queue_count(spool_fd, &counts);
		if (send(channel, &counts, sizeof(counts), MSG_NOSIGNAL) != (ssize_t)sizeof(counts))
			break;
	}
	_exit(0);
}

static int become(const struct passwd *pw, const char *who)
{
	if (setgroups(0, NULL) != 0 || setresgid(pw->pw_gid, pw->pw_gid, pw->pw_gid) != 0 ||
	    setresuid(pw->pw_uid, pw->pw_uid, pw->pw_uid) != 0 ||
	    prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0) {
		log_error_sys("metrics: cannot become %s", who);
		return -1;
	}
	return 0;
}

/* Fork the queue counter (as Postfix when root), without the descriptors in CLOSE_FDS; the
   channel to it, or -1 (the queue then not shown). */
static int start_queue_counter(struct server *sv, const struct pollfd close_fds[2])
{
	struct passwd *pw = getpwnam("postfix");
	pid_t parent = getpid();
	sigset_t none;
	int pair[2];

	if (pw == NULL || socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, pair) != 0) {
		log_warn("metrics: no postfix user or socket pair: the queue is not shown");
		return -1;
	}
	struct passwd postfix = *pw;
	pid_t counter;

	/* Reaped by the kernel: a counter given up on may end long after (a hung volume). */
	signal(SIGCHLD, SIG_IGN);
	if ((counter = fork()) == 0) {
		close(pair[0]);
		close(close_fds[0].fd);
		close(close_fds[1].fd);
		sigemptyset(&none);
		sigprocmask(SIG_SETMASK, &none, NULL); /* a stop signal ends it */
		if (getuid() == 0 && become(&postfix, "postfix") != 0)
			_exit(EX_OSERR);
		/* After the change of uid, which clears it; and if the parent is already gone. */
		prctl(PR_SET_PDEATHSIG, SIGKILL, 0, 0, 0);
		if (getppid() != parent)
			_exit(0);
		queue_counter(pair[1], sv->config->spool);
	}
	close(pair[1]);
	if (counter < 0) {
		close(pair[0]);
		return -1;
	}
	/* An answer within METRICS_READ_MS, or the counter is given up (a hung volume). */
	struct timeval timeout = {.tv_sec = METRICS_READ_MS / 1000};
	setsockopt(pair[0], SOL_SOCKET, SO_RCVTIMEO, &timeout, sizeof(timeout));
	return pair[0];
}

static void ask_queue(struct server *sv)
{
	int64_t now = clock_ms();
	struct queue_counts fresh;

	if (sv->channel < 0 || (sv->asked != 0 && now - sv->asked < METRICS_QUEUE_MIN_MS))
		return;
	sv->asked = now;
	if (send(sv->channel, "q", 1, MSG_NOSIGNAL) == 1 &&
	    recv(sv->channel, &fresh, sizeof(fresh), MSG_WAITALL) == (ssize_t)sizeof(fresh)) {
		sv->queue = fresh;
		return;
	}
	/* Its answers would come out of turn now: it goes, and the queue with it. */
	log_warn("metrics: the queue counter did not answer within %d ms: the queue is no longer "
		 "shown (a restart of the metrics service brings it back)",
		 METRICS_READ_MS);
	close(sv->channel); /* it ends at its next read; SIGCHLD is ignored: no zombie */
	sv->channel = -1;
	sv->queue.known = 0;
}

/* Everything before the deadline: false on a timeout or an error. */
static bool exchange(int fd, bool sending, char *data, size_t len, size_t *done, int64_t deadline,
		     bool until_closed)
{
	while (*done < len) {
		struct pollfd p = {.fd = fd, .events = sending ? POLLOUT : POLLIN};
		int64_t left = deadline - clock_ms();
		ssize_t n;

		if (left <= 0 || poll(&p, 1, (int)left) <= 0)
			return false;
		n = sending ? send(fd, data + *done, len - *done, MSG_NOSIGNAL | MSG_DONTWAIT)
			    : recv(fd, data + *done, len - *done, MSG_DONTWAIT);
		if (n < 0 && (errno == EAGAIN || errno == EINTR))
			continue;
		if (n <= 0)
			return !sending && n == 0 && until_closed;
		*done += (size_t)n;
		if (!sending && !until_closed &&
		    (memmem(data, *done, "\r\n\r\n", 4) != NULL ||
		     memmem(data, *done, "\n\n", 2) != NULL))
			return true;
	}
	return !until_closed;
}

/* Dovecot's stats at the unix socket PATH: the body of GET /metrics into OUT, within
   METRICS_DOVECOT_MS, at most METRICS_DOVECOT_MAX bytes; false if it did not answer 200. */
static bool fetch_dovecot(const char *path, struct buffer *out)
{
	static char request[] = "GET /metrics HTTP/1.0\r\n\r\n";
	static char answer[METRICS_DOVECOT_MAX + 1];
	int64_t deadline = clock_ms() + METRICS_DOVECOT_MS;
	struct sockaddr_un address = {.sun_family = AF_UNIX};
	size_t sent = 0, got = 0;
	bool ok = false;
	int fd;

	if (strlen(path) >= sizeof(address.sun_path) ||
	    (fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0)) < 0)
		return false;
	snprintf(address.sun_path, sizeof(address.sun_path), "%s", path);
	if ((connect(fd, (struct sockaddr *)&address, sizeof(address)) == 0 ||
	     errno == EINPROGRESS || errno == EAGAIN) &&
	    exchange(fd, true, request, sizeof(request) - 1, &sent, deadline, false) &&
	    exchange(fd, false, answer, METRICS_DOVECOT_MAX, &got, deadline, true)) {
		answer[got] = '\0';
		char *body = strstr(answer, "\r\n\r\n");

		if (strncmp(answer, "HTTP/1.", 7) == 0 && strncmp(answer + 8, " 200", 4) == 0 &&
		    body != NULL) {
			buffer_puts(out, body + 4);
			ok = true;
		}
	}
	close(fd);
	return ok;
}

/* The body of a scrape, rendered afresh at most once per METRICS_REUSE_MS: a client asking
   in a loop costs neither the queue counter nor Dovecot more. */
static const struct buffer *body_of(struct server *sv)
{
	int64_t now = clock_ms();
	struct buffer dovecot = {0};

	if (sv->body.data != NULL && now - sv->rendered < METRICS_REUSE_MS)
		return &sv->body;
	bool asked = sv->config->dovecot[0] != '\0';
	bool read = asked && fetch_dovecot(sv->config->dovecot, &dovecot);

	char *bans = sv->config->bans[0] ? file_read(sv->config->bans, NULL) : NULL;

	ask_queue(sv);
	sv->body.len = 0;
	metrics_render_bans(bans, &sv->body);
	free(bans);
	metrics_render(sv->board, &sv->queue, sv->config->certificates,
		       asked ? (read ? dovecot.data : "") : NULL, &sv->body);
	buffer_free(&dovecot);
	sv->rendered = clock_ms();
	return &sv->body;
}

/* One client: its request within METRICS_READ_MS, then the answer within as long again. */
static void serve(struct server *sv, int client)
{
	static char request[METRICS_REQUEST_MAX + 1];
	int64_t deadline = clock_ms() + METRICS_READ_MS;
	struct buffer head = {0};
	const struct buffer *body = NULL;
	size_t got = 0, sent = 0;

	if (!exchange(client, false, request, METRICS_REQUEST_MAX, &got, deadline, false))
		goto done;
	request[got] = '\0';
	if (strncmp(request, "GET /metrics ", 13) == 0 || strncmp(request, "GET / ", 6) == 0) {
		body = body_of(sv); /* its own bounds: Dovecot's and the queue counter's */
		deadline = clock_ms() + METRICS_READ_MS;
		buffer_printf(&head,
			      "HTTP/1.1 200 OK\r\nContent-Type: application/openmetrics-text; "
			      "version=1.0.0; charset=utf-8\r\nContent-Length: %zu\r\n"
			      "Connection: close\r\n\r\n",
			      body->len);
	} else if (strncmp(request, "GET ", 4) == 0) {
		buffer_puts(&head, "HTTP/1.1 404 Not Found\r\nContent-Type: text/plain\r\n"
				   "Content-Length: 22\r\nConnection: close\r\n\r\n"
				   "only /metrics is here\n");
	} else {
		buffer_puts(&head, "HTTP/1.1 405 Method Not Allowed\r\nAllow: GET\r\n"
				   "Content-Length: 0\r\nConnection: close\r\n\r\n");
	}
	if (exchange(client, true, head.data, head.len, &sent, deadline, false) && body) {
		sent = 0;
		exchange(client, true, body->data, body->len, &sent, deadline, false);
	}
done:
	buffer_free(&head);
	close(client);
}

static int listen_on(const char *listen_text)
{
	struct sockaddr_storage address;
	unsigned length;
	int fd;

	if (!listen_address_parse(listen_text, &address, &length)) {
		log_error("metrics: METRICS_LISTEN \"%s\" is not ADDRESS:PORT", listen_text);
		return -1;
	}
	fd = socket(address.ss_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &(int){1}, sizeof(int)) != 0 ||
	    bind(fd, (struct sockaddr *)&address, length) != 0 || listen(fd, 16) != 0) {
		if (fd >= 0)
			close(fd);
		return -1;
	}
	return fd;
}

/* SIGTERM or SIGINT among the signals waiting (SIGHUP: CONF's certificates again). */
static bool stop_asked(struct server *sv, int signal_fd)
{
	struct signalfd_siginfo info;
	bool stop = false;

	while (read(signal_fd, &info, sizeof(info)) == sizeof(info)) {
		if (info.ssi_signo != SIGHUP) {
			stop = true;
			continue;
		}
		/* Read into a copy: a file that fails halfway changes nothing. */
		static struct metrics_config fresh;

		fresh =
		    (struct metrics_config){.conf = sv->config->conf, .spool = sv->config->spool};
		if (metrics_read_conf(&fresh) == 0) {
			memcpy(sv->config->certificates, fresh.certificates,
			       sizeof(fresh.certificates));
			sv->rendered = 0;
		} else {
			log_warn("metrics: %s unreadable: serving what it said before",
				 sv->config->conf);
		}
	}
	return stop;
}

/*
 * What is needed to serve (the counts, the port), tried every METRICS_RETRY_MS until it
 * is there or a stop is asked: a port taken or a scoreboard missing must not make the
 * service fail until the supervisor gives up on the whole server. false: stop.
 */
static bool wait_for_board_and_port(struct server *sv, struct pollfd *fds)
{
	bool said = false;

	for (;;) {
		if (sv->board == NULL)
			sv->board = scoreboard_open(sv->config->scoreboard);
		if (sv->board != NULL && fds[1].fd < 0)
			fds[1].fd = listen_on(sv->config->listen);
		if (sv->board != NULL && fds[1].fd >= 0)
			return true;
		if (!said)
			log_error("metrics: %s %s: %s; trying again every %d s (mail is not "
				  "affected; mailinit health warns)",
				  sv->board ? "cannot listen on" : "cannot read the counts in",
				  sv->board ? sv->config->listen : sv->config->scoreboard,
				  strerror(errno), METRICS_RETRY_MS / 1000);
		said = true;
		if (poll(fds, 1, METRICS_RETRY_MS) > 0 && stop_asked(sv, fds[0].fd))
			return false;
	}
}

int metrics_run(struct metrics_config *config)
{
	static struct server sv;
	struct pollfd fds[2] = {{.fd = -1, .events = POLLIN}, {.fd = -1, .events = POLLIN}};
	struct passwd *pw = NULL, own = {0};

	sv = (struct server){.config = config, .channel = -1};
	prctl(PR_SET_NAME, "mailinit-metric", 0, 0, 0);
	if (metrics_read_conf(config) != 0)
		return EX_CONFIG;
	if (getuid() == 0 && (pw = getpwnam(METRICS_USER)) == NULL) {
		log_error("metrics: no user %s in the image", METRICS_USER);
		return EX_NOUSER;
	}
	if (pw != NULL)
		own = *pw;
	if ((fds[0].fd = signals_stop_and_reread()) < 0) {
		log_error_sys("metrics: signals");
		return EX_OSERR;
	}
	if (!wait_for_board_and_port(&sv, fds))
		return 0;
	sv.channel = start_queue_counter(&sv, fds);
	if (getuid() == 0 && become(&own, METRICS_USER) != 0)
		return EX_OSERR;
	log_info("metrics: serving http://%s/metrics", config->listen);
	for (;;) {
		if (poll(fds, 2, -1) < 0 && errno != EINTR) {
			log_error_sys("metrics: poll");
			return EX_OSERR;
		}
		if ((fds[0].revents & POLLIN) && stop_asked(&sv, fds[0].fd))
			return 0;
		if (!(fds[1].revents & POLLIN))
			continue;
		int client = accept4(fds[1].fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);

		if (client >= 0)
			serve(&sv, client);
		else if (errno == EMFILE || errno == ENFILE)
			poll(NULL, 0, 100);
	}
}
