/*
 * NAME
 *	gate - Postfix's PROXY protocol ports, open to the load balancers only
 *
 * SYNOPSIS
 *	mailinit gate CONF             a supervised service (services.conf), as _mailgate
 *	int status = gate_run(&config);
 *
 *	gate_take(client_fd, "10.0.0.5/32", "/var/spool/postfix/public/proxy-smtp")
 *	    GATE_PASSED, GATE_REFUSED (not from those networks) or GATE_FAILED
 *
 * DESCRIPTION
 *	With PROXY_PROTOCOL_NETWORKS set, a load balancer in front sends each
 *	connection's real client address first, in a PROXY header (v1 or v2),
 *	on ports of their own (gate_ports). Dovecot checks where such a header
 *	comes from itself (haproxy_trusted_networks). Postfix cannot: its
 *	smtpd_upstream_proxy_protocol believes whoever connects. So Postfix's
 *	proxy ports are the gate's: it accepts each connection, closes it at
 *	once unless it comes from PROXY_PROTOCOL_NETWORKS, and otherwise hands
 *	the connection itself (its file descriptor, SCM_RIGHTS) to a Postfix
 *	"pass" service in master.cf, exactly as postscreen hands a client to
 *	smtpd: one byte with the descriptor, then an empty attribute list
 *	(Postfix's pass_accept_attr). The header is still unread; Postfix
 *	reads it (postscreen_upstream_proxy_protocol on 12525, smtpd's on the
 *	others), so no PROXY parser of ours sits in front of the mail.
 *
 *	The gate reads nothing from a client and writes nothing to it. It runs
 *	as its own user with group postdrop alone (Postfix's public/ directory
 *	is open to that group: pickup, qmgr, flush, showq and these pass
 *	services), with no capability: its ports are above 1024. SIGHUP reads
 *	CONF's networks again (unreadable: closed to everyone until the next
 *	one); SIGTERM ends it. Refused and failed connections are logged at
 *	most GATE_LINES_A_MINUTE a minute each, the rest counted.
 */
#ifndef MAILINIT_GATE_H
#define MAILINIT_GATE_H

#include <stddef.h>

/* The proxy ports: the usual port's name, its number, and for Postfix's the pass service
   in master.cf that takes the connections (NULL: Dovecot's, which it listens on itself). */
struct gate_port {
	const char *name;
	unsigned port;
	const char *pass_service;
};

#define GATE_PORT_COUNT 8
extern const struct gate_port gate_ports[GATE_PORT_COUNT];

#define GATE_POSTFIX_PUBLIC "/var/spool/postfix/public"
#define GATE_USER           "_mailgate" /* services.conf runs it so; health checks it */
#define GATE_NETWORKS_MAX   4096
/* Refused (or failed) connections logged one by one, per minute; the rest in one line. */
#define GATE_LINES_A_MINUTE 10
#define GATE_ACCEPTS_A_TURN 64  /* then the other ports and the signals get their turn */
#define GATE_PAUSE_MS       100 /* out of descriptors: the listeners rest this long */

struct gate_config {
	const char *conf;        /* CONF: "networks = ...", read at start and on SIGHUP */
	const char *postfix_dir; /* GATE_POSTFIX_PUBLIC, or a test's */
	char networks[GATE_NETWORKS_MAX];
};

enum gate_outcome { GATE_PASSED, GATE_REFUSED, GATE_FAILED };

/* PROXY_PORT_NAME, the name upper-cased (PROXY_PORT_IMAPS): "10993"; NULL: no such name. */
const char *gate_template_value(const char *name);
/* "networks = LIST" of CONF into OUT. 0, or -1 said. */
int gate_read_conf(const char *conf, char *out, size_t size);
/* Hand CLIENT to the pass service at SOCKET_PATH if its peer is within NETWORKS. CLIENT is
   the caller's to close either way (Postfix holds its own copy once passed). */
enum gate_outcome gate_take(int client, const char *networks, const char *socket_path);
int gate_run(struct gate_config *config);

#endif
