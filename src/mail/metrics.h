/*
 * NAME
 *	metrics - the OpenMetrics endpoint: what PID 1 counted, the queue, the certificates
 *
 * SYNOPSIS
 *	mailinit metrics CONF          a supervised service (services.conf) when METRICS=yes
 *	int status = metrics_run(&config);
 *
 *	metrics_render(board, &queue, "certificate mail.example.test 1767225600\n", &out)
 *	queue_count(spool_fd, &queue)   Postfix's queue directories, counted
 *
 * DESCRIPTION
 *	PID 1 only counts, into the scoreboard (base/scoreboard.h): the services
 *	(up, restarts, last exit, start time) and what the daemons' log lines say
 *	(mail/mail_events.h). This service maps the scoreboard read-only and
 *	answers "GET /metrics" over HTTP with it in the OpenMetrics text format
 *	(Prometheus reads it), with the queue and the certificates' expiry.
 *
 *	It starts as root, binds METRICS_LISTEN, then splits in two. The part
 *	that counts the queue becomes Postfix's uid (its queue directories are
 *	Postfix's alone, mode 0700) and does only that, when asked by one byte
 *	over a socket pair: it reads no network input. The part that speaks HTTP
 *	becomes _mailmetrics, a user that owns nothing, with no capability and
 *	no new privileges. A request is read within METRICS_READ_MS, at most
 *	METRICS_REQUEST_MAX bytes; one at a time (a scrape every few seconds is
 *	the load it is for). The queue is counted by its directory entries, not
 *	by reading each message (postqueue -p does), and at most once per
 *	METRICS_QUEUE_MIN_MS: a scrape of a queue of 100,000 messages costs one
 *	pass over their names.
 *
 *	Dovecot counts logins, IMAP commands and deliveries itself (its stats
 *	service, on a unix socket only _mailmetrics may use): each scrape asks
 *	it (METRICS_DOVECOT_MS at most) and adds its dovecot_* families.
 *
 *	CONF, rendered by provisioning (templates/mailinit/metrics.conf):
 *	"listen = ADDRESS:PORT", "scoreboard = PATH", "dovecot = SOCKET", "bans =
 *	FILE" (the guard's count of bans in force)
 *	a line "certificate NAME NOT_AFTER" (unix seconds) per name served and
 *	a line "dkim DOMAIN SELECTOR MADE" per signing key. SIGHUP reads its
 *	certificates again (a reload renders them anew); SIGTERM ends it.
 */
#ifndef MAILINIT_METRICS_H
#define MAILINIT_METRICS_H

#include <stdint.h>

#include "base/buffer.h"
#include "base/scoreboard.h"

#define METRICS_USER             "_mailmetrics"
#define METRICS_SPOOL            "/var/spool/postfix"
#define METRICS_REQUEST_MAX      4096
#define METRICS_READ_MS          2000
#define METRICS_QUEUE_MIN_MS     5000
#define METRICS_CERTIFICATES_MAX 8192  /* bytes of "certificate" and "dkim" lines kept */
#define METRICS_DOVECOT_MS       1000  /* Dovecot's stats answer within this, or are left out */
#define METRICS_REUSE_MS         1000  /* a body rendered is served again for this long */
#define METRICS_RETRY_MS         10000 /* the port or the counts missing: tried again */
#define METRICS_DOVECOT_MAX      (1 << 20)

enum queue { QUEUE_INCOMING, QUEUE_ACTIVE, QUEUE_DEFERRED, QUEUE_HOLD, QUEUE_MAILDROP, QUEUES };

struct queue_counts {
	uint64_t messages[QUEUES];
	int known; /* 0: the count failed (not shown) */
};

struct metrics_config {
	const char *conf;
	const char *spool; /* METRICS_SPOOL, or a test's */
	char listen[128];
	char scoreboard[256];
	char dovecot[108]; /* Dovecot's stats service, a unix socket; "" none */
	char bans[256];    /* the guard's count of bans in force; "" none (ENABLE_BANS=no) */
	char certificates[METRICS_CERTIFICATES_MAX]; /* its "certificate" and "dkim" lines */
};

/* CONF into CONFIG; 0, or -1 said (naming the file and line). */
int metrics_read_conf(struct metrics_config *config);
/* The body of a scrape: OpenMetrics text, ending "# EOF\n". BOARD may be NULL; FACTS, the
   conf's "certificate" and "dkim" lines; DOVECOT,
   Dovecot's own OpenMetrics text, is added up to its "# EOF" (NULL: not asked for; without
   its "# EOF": it did not answer, mailinit_dovecot_stats_up 0). */
void metrics_render(const struct scoreboard *board, const struct queue_counts *queue,
		    const char *facts, const char *dovecot, struct buffer *out);
/* BANS (the guard's file): mailinit_bans_active, when it reads as a number. */
void metrics_render_bans(const char *bans, struct buffer *out);
/* The messages in each queue directory under SPOOL_FD (the hashed ones one level down). */
int queue_count(int spool_fd, struct queue_counts *out);
int metrics_run(struct metrics_config *config);

#endif
