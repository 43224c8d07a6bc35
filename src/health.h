/*
 * NAME
 *	health - real protocol probes of every enabled listener and socket
 *
 * SYNOPSIS
 *	mailinit health [--json]
 *	int status = health_run(&settings, json);   0 healthy, 1 not
 *
 * DESCRIPTION
 *	For the container's HEALTHCHECK and Kubernetes probes. Each check is a
 *	real exchange, not just a connect: SMTP greeting and EHLO on 25;
 *	STARTTLS handshake and EHLO on 587; TLS and greeting on 465, 993, 995;
 *	IMAP and POP3 greetings on 143 and 110; ManageSieve on 4190 when
 *	enabled; LHLO on Dovecot's LMTP socket; the auth protocol handshake on
 *	its auth socket; milter option negotiation with OpenDKIM when DKIM is
 *	enabled. The certificate the TLS ports present must not be expired
 *	(under 14 days is a warning). One line per check, or one JSON object.
 *	The whole run is bounded: 5 s, then what was not tried fails.
 */
#ifndef MAILINIT_HEALTH_H
#define MAILINIT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "settings.h"

#define HEALTH_BUDGET_MS 5000

int health_run(const struct settings *settings, bool json);
/* One exchange without TLS over a connected FD ("smtp", "lmtp", "imap", "pop3", "sieve",
   "auth", "milter"): what health_run does per listener; for tests and fuzzing. */
bool health_speak_plain(int fd, const char *protocol, char *detail, size_t size);

#endif
