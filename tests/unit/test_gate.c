/* The gate in front of Postfix's proxy ports (mail/gate.h), over real sockets: a TCP
   connection from loopback, and a unix socket standing for Postfix's pass service. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <poll.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "capture.h"
#include "unit.h"
#include "mail/gate.h"

struct pair {
	int client, server; /* the two ends of one TCP connection on loopback */
};

static struct pair tcp_pair(void)
{
	struct sockaddr_in in = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
	socklen_t len = sizeof(in);
	int listener = socket(AF_INET, SOCK_STREAM, 0);
	struct pair p;

	assert_true(listener >= 0);
	assert_int_equal(bind(listener, (struct sockaddr *)&in, sizeof(in)), 0);
	assert_int_equal(listen(listener, 1), 0);
	assert_int_equal(getsockname(listener, (struct sockaddr *)&in, &len), 0);
	p.client = socket(AF_INET, SOCK_STREAM, 0);
	assert_int_equal(connect(p.client, (struct sockaddr *)&in, sizeof(in)), 0);
	p.server = accept(listener, NULL, NULL);
	assert_true(p.server >= 0);
	close(listener);
	return p;
}

/* A unix listener at PATH, as Postfix's master makes for a pass service. */
static int pass_listener(const char *path)
{
	struct sockaddr_un sun = {.sun_family = AF_UNIX};
	int fd = socket(AF_UNIX, SOCK_STREAM, 0);

	snprintf(sun.sun_path, sizeof(sun.sun_path), "%s", path);
	unlink(path);
	assert_int_equal(bind(fd, (struct sockaddr *)&sun, sizeof(sun)), 0);
	assert_int_equal(listen(fd, 4), 0);
	return fd;
}

static bool pending(int listener)
{
	struct pollfd p = {.fd = listener, .events = POLLIN};

	return poll(&p, 1, 0) == 1;
}

static void a_load_balancer_s_connection_is_handed_to_postfix_as_postscreen_does(void **state)
{
	char path[] = "/tmp/mailinit-gate-test-XXXXXX";
	char sock[128], byte, got[16];
	char control[CMSG_SPACE(sizeof(int))];
	struct iovec iov = {.iov_base = &byte, .iov_len = 1};
	struct msghdr msg = {.msg_iov = &iov,
			     .msg_iovlen = 1,
			     .msg_control = control,
			     .msg_controllen = sizeof(control)};
	struct pair p = tcp_pair();
	int listener, postfix, passed = -1;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/proxy-smtp", path);
	listener = pass_listener(sock);
	assert_int_equal(gate_take(p.server, "10.0.0.0/8 127.0.0.1/32", sock), GATE_PASSED);
	close(p.server); /* the gate's copy: the connection lives on in Postfix's */
	/* Postfix's pass_accept_attr: one byte with the descriptor, then the attributes, here
	   none (the terminator alone): Postfix reads the PROXY header itself. */
	postfix = accept(listener, NULL, NULL);
	assert_true(postfix >= 0);
	assert_int_equal(recvmsg(postfix, &msg, 0), 1);
	struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
	if (c == NULL)
		fail_msg("no descriptor came with the byte");
	else {
		assert_int_equal(c->cmsg_type, SCM_RIGHTS);
		memcpy(&passed, CMSG_DATA(c), sizeof(int));
	}
	assert_int_equal(read(postfix, got, sizeof(got)), 1);
	assert_int_equal(got[0], '\0');
	assert_int_equal(read(postfix, got, sizeof(got)), 0); /* and nothing more */
	/* It is the client's connection, unread: what the client sent is there for Postfix. */
	assert_int_equal(write(p.client, "PROXY TCP4 ", 11), 11);
	assert_int_equal(read(passed, got, sizeof(got)), 11);
	assert_memory_equal(got, "PROXY TCP4 ", 11);
	assert_int_equal(write(passed, "220 hi\r\n", 8), 8);
	assert_int_equal(read(p.client, got, sizeof(got)), 8);
	close(passed);
	close(postfix);
	close(listener);
	close(p.client);
	unlink(sock);
	rmdir(path);
}

static void anyone_else_is_refused_and_postfix_never_sees_it(void **state)
{
	char path[] = "/tmp/mailinit-gate-test-XXXXXX";
	char sock[128], got[4];
	struct pair p = tcp_pair();
	int listener;

	(void)state;
	assert_non_null(mkdtemp(path));
	snprintf(sock, sizeof(sock), "%s/proxy-smtp", path);
	listener = pass_listener(sock);
	/* Loopback is not a load balancer unless listed; nor is a neighbour of one. */
	assert_int_equal(gate_take(p.server, "10.0.0.5/32 [2001:db8::]/64", sock), GATE_REFUSED);
	assert_int_equal(gate_take(p.server, "127.0.0.2/32", sock), GATE_REFUSED);
	assert_false(pending(listener));
	close(p.server);
	/* The client sees the connection closed, without a word. */
	assert_int_equal(read(p.client, got, sizeof(got)), 0);
	close(p.client);
	close(listener);
	unlink(sock);
	rmdir(path);
}

static void a_postfix_that_is_not_there_costs_the_connection_and_says_why(void **state)
{
	struct pair p = tcp_pair();

	(void)state;
	errno = 0;
	assert_int_equal(gate_take(p.server, "127.0.0.0/8", "/nonexistent/public/proxy-submission"),
			 GATE_FAILED);
	assert_int_equal(errno, ENOENT); /* what the gate's log line says (gate_run) */
	close(p.server);
	close(p.client);
}

static void the_ports_and_the_conf(void **state)
{
	char path[] = "/tmp/mailinit-gate-conf-XXXXXX", networks[64], log[512];
	int fd;

	(void)state;
	assert_string_equal(gate_template_value("PROXY_PORT_SMTP"), "12525");
	assert_string_equal(gate_template_value("PROXY_PORT_IMAPS"), "10993");
	assert_string_equal(gate_template_value("PROXY_PORT_MANAGESIEVE"), "14190");
	assert_null(gate_template_value("PROXY_PORT_FTP"));
	assert_null(gate_template_value("LISTEN_IMAPS"));
	fd = mkstemp(path);
	assert_true(fd >= 0);
	dprintf(fd, "# a comment\nnetworks = 10.0.0.5/32 2001:db8::/64\n");
	close(fd);
	assert_int_equal(gate_read_conf(path, networks, sizeof(networks)), 0);
	assert_string_equal(networks, "10.0.0.5/32 2001:db8::/64");
	fd = open(path, O_WRONLY | O_TRUNC);
	dprintf(fd, "# networks = 0.0.0.0/0 is a comment\n");
	close(fd);
	capture_begin();
	assert_int_equal(gate_read_conf(path, networks, sizeof(networks)), -1);
	capture_end(log, sizeof(log));
	assert_non_null(strstr(log, path));
	unlink(path);
	capture_begin();
	assert_int_equal(gate_read_conf(path, networks, sizeof(networks)), -1);
	capture_end(log, sizeof(log));
	assert_non_null(strstr(log, "cannot read"));
}

int run_gate_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(a_load_balancer_s_connection_is_handed_to_postfix_as_postscreen_does),
	    cmocka_unit_test(anyone_else_is_refused_and_postfix_never_sees_it),
	    cmocka_unit_test(a_postfix_that_is_not_there_costs_the_connection_and_says_why),
	    cmocka_unit_test(the_ports_and_the_conf),
	};
	return cmocka_run_group_tests_name("gate", tests, NULL, NULL);
}
