/*
 * NAME
 *	metrics_watch - PID 1 counts what the log lines say, for the metrics
 *
 * SYNOPSIS
 *	metrics_watch_start(&settings, &options);   with METRICS=yes, before the services start
 *
 * DESCRIPTION
 *	Makes the scoreboard (base/scoreboard.h) in the render root, where the
 *	supervisor then counts each service's starts and exits, and observes
 *	the syslog sink: each line from root or Postfix's uid
 *	(log_sender_believed) that is a mail event (mail/mail_events.h) adds
 *	to its counter. Fixed memory, no allocation, no system call per line.
 *	"mailinit metrics" serves what is counted.
 */
#ifndef MAILINIT_METRICS_WATCH_H
#define MAILINIT_METRICS_WATCH_H

#include "mail/provision.h"
#include "mail/settings.h"

void metrics_watch_start(const struct settings *settings, const struct provision_options *options);

#endif
