/*
 * NAME
 *	gate - Postfix's PROXY protocol ports, open to the load balancers only
 *
 * DESCRIPTION
 *	See gate.h. One poll loop: a listening socket per Postfix proxy port
 *	and SIGTERM/SIGHUP by signalfd. Each connection is decided and handed
 *	over at once; nothing waits on a client.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/prctl.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "base/signals.h"
#include "mail/ban_list.h"
#include "mail/gate.h"

/* The conventional numbers (10000 + the port; 12525 for 25, as 10025 is a content filter's). */
const struct gate_port gate_ports[GATE_PORT_COUNT] = {
    {"smtp", 12525, "proxy-smtp"},
    {"submissions", 10465, "proxy-submissions"},
    {"submission", 10587, "proxy-submission"},
    {"imap", 10143, NULL},
    {"imaps", 10993, NULL},
    {"pop3", 10110, NULL},
    {"pop3s", 10995, NULL},
    {"managesieve", 14190, NULL},
};

const char *gate_template_value(const char *name)
{
	static char number[8];

	if (strncmp(name, "PROXY_PORT_", 11) != 0)
		return NULL;
	for (size_t i = 0; i < GATE_PORT_COUNT; i++) {
		if (strcasecmp(name + 11, gate_ports[i].name) == 0) {
			snprintf(number, sizeof(number), "%u", gate_ports[i].port);
			return number;
		}
	}
	return NULL;
}

int gate_read_conf(const char *conf, char *out, size_t size)
{
	static const char key[] = "networks = ";
	char *text = file_read(conf, NULL);
	const char *line = text;

	if (text == NULL) {
		log_error_sys("gate: cannot read %s", conf);
		return -1;
	}
	/* The line that starts with the key (comments above it may name it too). */
	while (line && strncmp(line, key, strlen(key)) != 0)
		line = (line = strchr(line, '\n')) ? line + 1 : NULL;
	size_t len = line ? strcspn(line + strlen(key), "\n") : 0;

	if (line == NULL || len >= size) {
		log_error("gate: %s has no \"networks = ...\" line (provisioning renders it): run "
			  "mailinit check",
			  conf);
		free(text);
		return -1;
	}
	memcpy(out, line + strlen(key), len);
	out[len] = '\0';
	free(text);
	return 0;
}

/* The peer of FD as 16 bytes (IPv4 as ::ffff:a.b.c.d) and as text. */
static bool peer_of(int fd, unsigned char ip[16], char *text, size_t size)
{
	struct sockaddr_storage ss = {0};
	socklen_t len = sizeof(ss);
	static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

	if (getpeername(fd, (struct sockaddr *)&ss, &len) != 0)
		return false;
	if (ss.ss_family == AF_INET) {
		const struct sockaddr_in *in = (const struct sockaddr_in *)&ss;

		memcpy(ip, v4_mapped, sizeof(v4_mapped));
		memcpy(ip + 12, &in->sin_addr, 4);
	} else if (ss.ss_family == AF_INET6) {
		memcpy(ip, &((const struct sockaddr_in6 *)&ss)->sin6_addr, 16);
	} else {
		return false;
	}
	if (memcmp(ip, v4_mapped, sizeof(v4_mapped)) == 0)
		inet_ntop(AF_INET, ip + 12, text, (socklen_t)size);
	else
		inet_ntop(AF_INET6, ip, text, (socklen_t)size);
	return true;
}

/* Postfix's LOCAL_SEND_FD then attr_print of no attribute: one byte carrying FD, then the
   list's terminator (an empty name). */
static int pass_to(const char *socket_path, int fd)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	union {
		struct cmsghdr align;
		char control[CMSG_SPACE(sizeof(int))];
	} u;
	struct iovec iov = {.iov_base = "", .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = u.control,
			     .msg_controllen = sizeof(u.control)};
	struct cmsghdr *c;
	int sock, status = -1;

	if (strlen(socket_path) >= sizeof(sun.sun_path)) {
		errno = ENAMETOOLONG;
		return -1;
	}
	memcpy(sun.sun_path, socket_path, strlen(socket_path) + 1);
	memset(&u, 0, sizeof(u));
	c = CMSG_FIRSTHDR(&msg);
	c->cmsg_level = SOL_SOCKET;
	c->cmsg_type = SCM_RIGHTS;
	c->cmsg_len = CMSG_LEN(sizeof(int));
	memcpy(CMSG_DATA(c), &fd, sizeof(int));
	/* Non-blocking: a Postfix that does not take it now (master's backlog full, or it is
	   stopping) costs this one connection, never the gate's loop. */
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (sock >= 0 && connect(sock, (struct sockaddr *)&sun, sizeof(sun)) == 0 &&
	    sendmsg(sock, &msg, MSG_NOSIGNAL) == 1 && send(sock, "", 1, MSG_NOSIGNAL) == 1)
		status = 0;
	if (sock >= 0) {
		int saved = errno;

		close(sock);
		errno = saved;
	}
	return status;
}

enum gate_outcome gate_take(int client, const char *networks, const char *socket_path)
{
	unsigned char ip[16];
	char text[INET6_ADDRSTRLEN];

	if (!peer_of(client, ip, text, sizeof(text)) || !ban_networks_contain(networks, ip))
		return GATE_REFUSED;
	return pass_to(socket_path, client) == 0 ? GATE_PASSED : GATE_FAILED;
}

/* A listening socket of FAMILY on PORT (IPv6: taking IPv4 too); -1 with errno. */
static int listen_on(int family, unsigned port)
{
	struct sockaddr_in6 in6 = {.sin6_family = AF_INET6,
				   .sin6_port = htons((uint16_t)port),
				   .sin6_addr = IN6ADDR_ANY_INIT};
	struct sockaddr_in in = {.sin_family = AF_INET,
				 .sin_port = htons((uint16_t)port),
				 .sin_addr.s_addr = htonl(INADDR_ANY)};
	int one = 1, zero = 0;
	int fd = socket(family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	bool v6 = family == AF_INET6;

	if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof(one)) != 0 ||
	    (v6 && setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &zero, sizeof(zero)) != 0) ||
	    (v6 ? bind(fd, (struct sockaddr *)&in6, sizeof(in6))
		: bind(fd, (struct sockaddr *)&in, sizeof(in))) != 0 ||
	    listen(fd, SOMAXCONN) != 0) {
		int saved = errno;

		if (fd >= 0)
			close(fd);
		errno = saved;
		return -1;
	}
	return fd;
}

/* [::]:PORT, or 0.0.0.0:PORT where the container has no IPv6. -1 said. */
static int listen_port(unsigned port)
{
	int fd = listen_on(AF_INET6, port);

	if (fd < 0 && errno != EADDRINUSE && errno != EACCES)
		fd = listen_on(AF_INET, port);
	if (fd < 0)
		log_error_sys("gate: cannot listen on port %u", port);
	return fd;
}

/* Lines of one kind, GATE_LINES_A_MINUTE a minute; the rest counted in one line. A scan of
   the proxy ports, or a flood while Postfix is down, must not flood the log. */
struct log_budget {
	time_t minute;    /* the minute being counted */
	unsigned logged;  /* lines of it so far */
	unsigned quiet;   /* beyond the budget, not logged one by one */
	const char *what; /* "refused ...", for the count's line */
};

static bool log_allowed(struct log_budget *b)
{
	time_t minute = time(NULL) / 60;

	if (minute != b->minute) {
		if (b->quiet)
			log_warn("gate: %u more connections %s in a minute", b->quiet, b->what);
		b->minute = minute;
		b->logged = b->quiet = 0;
	}
	if (b->logged >= GATE_LINES_A_MINUTE) {
		b->quiet++;
		return false;
	}
	b->logged++;
	return true;
}

static void log_outcome(struct log_budget budget[2], enum gate_outcome outcome, int client,
			unsigned port, const char *socket_path, int error)
{
	unsigned char ip[16];
	char text[INET6_ADDRSTRLEN] = "an unknown address";

	if (outcome == GATE_PASSED || !log_allowed(&budget[outcome == GATE_FAILED]))
		return;
	peer_of(client, ip, text, sizeof(text));
	if (outcome == GATE_REFUSED)
		log_warn("gate: refused a connection from %s to port %u: not in "
			 "PROXY_PROTOCOL_NETWORKS (only a load balancer sends the PROXY protocol "
			 "there)",
			 text, port);
	else
		log_warn("gate: a connection from %s could not be handed to Postfix (%s: %s); it "
			 "was closed, the load balancer's client may try again",
			 text, socket_path, strerror(error));
}

/* CONF's networks again (SIGHUP). Unreadable, none: closed to everyone until the next. */
static void reread(struct gate_config *config)
{
	if (gate_read_conf(config->conf, config->networks, sizeof(config->networks)) == 0) {
		log_info("gate: Postfix's proxy ports open to %s", config->networks);
		return;
	}
	config->networks[0] = '\0';
	log_error("gate: Postfix's proxy ports are closed to everyone until %s can be read",
		  config->conf);
}

int gate_run(struct gate_config *config)
{
	struct pollfd fds[1 + GATE_PORT_COUNT];
	const struct gate_port *port[GATE_PORT_COUNT];
	char path[GATE_PORT_COUNT][256];
	struct log_budget budget[2] = {{.what = "refused, from outside PROXY_PROTOCOL_NETWORKS"},
				       {.what = "not handed to Postfix"}};
	nfds_t n = 1;
	bool stop = false, paused = false;

	prctl(PR_SET_NAME, "mailinit-gate", 0, 0, 0);
	if (gate_read_conf(config->conf, config->networks, sizeof(config->networks)) != 0)
		return EX_CONFIG;
	if ((fds[0].fd = signals_stop_and_reread()) < 0) {
		log_error_sys("gate: signals");
		return EX_OSERR;
	}
	fds[0].events = POLLIN;
	for (size_t i = 0; i < GATE_PORT_COUNT; i++) {
		if (gate_ports[i].pass_service == NULL)
			continue;
		port[n - 1] = &gate_ports[i];
		snprintf(path[n - 1], sizeof(path[0]), "%s/%s", config->postfix_dir,
			 gate_ports[i].pass_service);
		fds[n] = (struct pollfd){.fd = listen_port(gate_ports[i].port), .events = POLLIN};
		if (fds[n++].fd < 0)
			return EX_OSERR;
	}
	log_info("gate: Postfix's proxy ports open to %s", config->networks);
	while (!stop) {
		/* Out of descriptors or memory: the listeners rest GATE_PAUSE_MS, not spin. */
		for (nfds_t i = 1; i < n; i++)
			fds[i].events = paused ? 0 : POLLIN;
		int ready = poll(fds, n, paused ? GATE_PAUSE_MS : -1);

		if (ready < 0 && errno != EINTR) {
			log_error_sys("gate: poll");
			return EX_OSERR;
		}
		paused = false;
		if (fds[0].revents & POLLIN) {
			struct signalfd_siginfo info;

			while (read(fds[0].fd, &info, sizeof(info)) == sizeof(info)) {
				if (info.ssi_signo == SIGHUP)
					reread(config);
				else
					stop = true;
			}
		}
		for (nfds_t i = 1; i < n && !paused; i++) {
			int client;

			if (!(fds[i].revents & POLLIN))
				continue;
			/* A few at a time, each port and the signals in turn. Blocking, as Postfix
			   wants it: the descriptor is shared with it. */
			for (int k = 0; k < GATE_ACCEPTS_A_TURN; k++) {
				client = accept4(fds[i].fd, NULL, NULL, SOCK_CLOEXEC);
				if (client < 0) {
					if (errno == EMFILE || errno == ENFILE ||
					    errno == ENOBUFS || errno == ENOMEM)
						paused = true;
					break;
				}
				enum gate_outcome outcome =
				    gate_take(client, config->networks, path[i - 1]);
				log_outcome(budget, outcome, client, port[i - 1]->port, path[i - 1],
					    errno);
				close(client);
			}
		}
	}
	return 0;
}
