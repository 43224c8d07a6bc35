/*
 * NAME
 *	mail_events - what the daemons' log lines say happened to mail and logins
 *
 * SYNOPSIS
 *	struct mail_event e;
 *	if (mail_event_parse("postfix/lmtp[9]: 4Q2: to=<a@b>, ..., status=sent (250 ...)",
 *			     len, &e))
 *		e.counter MAIL_DELIVERED + MAIL_VIA_LMTP, e.amount 1
 *	mail_counters[e.counter].family    "mailinit_deliveries"
 *	mail_counters[e.counter].labels    "transport=\"lmtp\",status=\"sent\""
 *
 * DESCRIPTION
 *	One log line, as syslog_format leaves it ("TAG[PID]: message"), is
 *	at most one event, named by the counter it moves (the scoreboard's
 *	counters, base/scoreboard.h):
 *	  received   Postfix's cleanup took a message in (its "message-id=" line):
 *	             by any route, a message a milter then refuses included;
 *	  deliveries each recipient's outcome, from the delivery agents' "status="
 *	             (sent, deferred, bounced), by transport: lmtp (the mailboxes),
 *	             smtp (other servers), other (local, virtual, error, ...);
 *	  rejections what Postfix refused, by reason: rbl (a DNS blocklist, in
 *	             postscreen or smtpd), spam and dmarc (rspamd's milter at the
 *	             end of DATA), unknown_user, quota (a full mailbox), rate_limit
 *	             (Postfix's anvil, rspamd's ratelimit), banned (the guard),
 *	             other;
 *	  logins     by protocol (imap, pop3, managesieve, smtp) and result: a
 *	             success per login, a failure per attempt Dovecot counted; no
 *	             SMTP success (Postfix logs none; that counter's family is NULL,
 *	             and it is not served);
 *	  scans      rspamd's action for each message it scanned (its task line,
 *	             whose format mailinit sets: the action comes first). Those lines
 *	             come from rspamd's uid: mail_event_from_rspamd() says which.
 *	Which lines are believed (their sender's uid) is the caller's concern.
 */
#ifndef MAILINIT_MAIL_EVENTS_H
#define MAILINIT_MAIL_EVENTS_H

#include <stdbool.h>
#include <stddef.h>

enum mail_via { MAIL_VIA_LMTP, MAIL_VIA_SMTP, MAIL_VIA_OTHER, MAIL_VIAS };
enum mail_reason {
	MAIL_REASON_RBL,
	MAIL_REASON_SPAM,
	MAIL_REASON_DMARC,
	MAIL_REASON_UNKNOWN_USER,
	MAIL_REASON_QUOTA,
	MAIL_REASON_RATE_LIMIT,
	MAIL_REASON_BANNED,
	MAIL_REASON_OTHER,
	MAIL_REASONS
};
enum mail_scan {
	MAIL_SCAN_NO_ACTION,
	MAIL_SCAN_GREYLIST,
	MAIL_SCAN_ADD_HEADER,
	MAIL_SCAN_REWRITE_SUBJECT,
	MAIL_SCAN_SOFT_REJECT,
	MAIL_SCAN_REJECT,
	MAIL_SCAN_OTHER, /* discard, quarantine, an action of the operator's own */
	MAIL_SCANS
};
enum mail_protocol {
	MAIL_PROTOCOL_IMAP,
	MAIL_PROTOCOL_POP3,
	MAIL_PROTOCOL_MANAGESIEVE,
	MAIL_PROTOCOL_SMTP,
	MAIL_PROTOCOLS
};

/* The counters: the first of each kind, plus a via, reason or protocol. */
enum {
	MAIL_RECEIVED = 0,
	MAIL_DELIVERED = MAIL_RECEIVED + 1,
	MAIL_DEFERRED = MAIL_DELIVERED + MAIL_VIAS,
	MAIL_BOUNCED = MAIL_DEFERRED + MAIL_VIAS,
	MAIL_REJECTED = MAIL_BOUNCED + MAIL_VIAS,
	MAIL_LOGIN_OK = MAIL_REJECTED + MAIL_REASONS,
	MAIL_LOGIN_FAILED = MAIL_LOGIN_OK + MAIL_PROTOCOLS,
	MAIL_SCANNED = MAIL_LOGIN_FAILED + MAIL_PROTOCOLS,
	MAIL_COUNTERS = MAIL_SCANNED + MAIL_SCANS
};

struct mail_event {
	unsigned counter;
	unsigned amount;
};

struct mail_counter_info {
	const char *family; /* an OpenMetrics counter family; its sample adds "_total"; NULL:
			       none (never counted, not served) */
	const char *labels; /* its labels, as written inside {} */
};
extern const struct mail_counter_info mail_counters[MAIL_COUNTERS];

bool mail_event_parse(const char *line, size_t len, struct mail_event *out);
/* Whether COUNTER is one rspamd's own lines move (believed from rspamd's uid only). */
bool mail_event_from_rspamd(unsigned counter);

#endif
