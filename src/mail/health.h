/*
 * NAME
 *	health - real protocol probes of every enabled listener and socket
 *
 * SYNOPSIS
 *	mailinit health [--json]
 *	int status = health_run(&settings, json, "/run/mailinit/reload-status",
 *				"/run/mailinit/etc/postfix/sni");   0 healthy, 1 not
 *
 * DESCRIPTION
 *	For the container's HEALTHCHECK and Kubernetes probes. Each check is a
 *	real exchange, not just a connect: SMTP greeting, EHLO, and a
 *	MAIL FROM:<> and RCPT TO:<postmaster@MAIL_DOMAIN> answered by the maps
 *	and the milter (a 4xx there, "temporary lookup failure", is mail
 *	stopped; no message is sent) on 25;
 *	STARTTLS handshake and EHLO on 587; TLS and greeting on 465, 993, 995;
 *	IMAP and POP3 greetings on 143 and 110; ManageSieve on 4190 when
 *	enabled; LHLO on Dovecot's LMTP socket; the auth protocol handshake on
 *	its auth socket; milter option negotiation with OpenDKIM when DKIM is
 *	enabled. The certificate the TLS ports present must not be expired
 *	(under 14 days is a warning), nor any served by SNI (CERTS_DIR),
 *	each reported with the names it serves. A live change that the server refused
 *	is a warning line: mail flows on the last good configuration (so the
 *	exit status stays 0: an orchestrator must not restart into the refused
 *	one), but the next start would fail. One line per check, or one JSON
 *	object.
 *	The whole run is bounded: 5 s, then what was not tried fails.
 */
#ifndef MAILINIT_HEALTH_H
#define MAILINIT_HEALTH_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/settings.h"

#define HEALTH_BUDGET_MS 5000

/* SNI_TABLE: Postfix's table of the certificates served by SNI (CERTS_DIR), each one's
   expiry checked. */
int health_run(const struct settings *settings, bool json, const char *reload_status,
	       const char *sni_table);
/* One exchange without TLS over a connected FD ("smtp", "lmtp", "imap", "pop3", "sieve",
   "auth", "milter"): what health_run does per listener; for tests and fuzzing. */
bool health_speak_plain(int fd, const char *protocol, char *detail, size_t size);

#endif
