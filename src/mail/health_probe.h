/*
 * NAME
 *	health_probe - one listener probed: connect, speak its protocol, say goodbye
 *
 * SYNOPSIS
 *	struct probe p = {"imaps", "127.0.0.1:993", IMAP, true, NULL};
 *	struct result r;
 *	health_probe_run(&p, ssl_ctx, deadline_ms, &peer_certificate, &r);
 *	r.ok, r.detail ("* OK [CAPABILITY ...]"), r.ms
 *
 * DESCRIPTION
 *	Internal to mail/health*.c. Every connect, read and write waits only
 *	for what is left until DEADLINE (CLOCK_MONOTONIC ms); the first TLS
 *	peer certificate seen is kept in *PEER for the expiry check.
 */
#ifndef MAILINIT_HEALTH_PROBE_H
#define MAILINIT_HEALTH_PROBE_H

/* What the probes say in EHLO and LHLO: the metrics leave out what Postfix refuses them. */
#define HEALTH_HELO "health.mailinit"

#include <stdbool.h>
#include <stddef.h>

#include <openssl/ssl.h>

#include "mail/listeners.h"

struct probe {
	const char *name;
	const char *where; /* "127.0.0.1:25" or a unix socket path */
	enum listener_protocol protocol;
	bool tls;              /* TLS from the first byte */
	const char *recipient; /* SMTP: RCPT TO this after EHLO; NULL: none */
};

struct result {
	bool ok;
	char detail[256];
	long ms;
};

void health_probe_run(const struct probe *p, SSL_CTX *ctx, long deadline, X509 **peer,
		      struct result *r);

#endif
