/*
 * NAME
 *	metrics_watch - PID 1 counts what the log lines say, for the metrics
 *
 * DESCRIPTION
 *	See metrics_watch.h.
 */
#include <limits.h>
#include <stdio.h>

#include "base/scoreboard.h"
#include "cli/ban_watch.h"
#include "cli/cli.h"
#include "cli/metrics_watch.h"
#include "init/syslog_sink.h"
#include "mail/mail_events.h"

_Static_assert(MAIL_COUNTERS <= SCOREBOARD_COUNTERS, "the scoreboard holds every counter");

static void observe(const char *line, size_t len, uid_t uid, void *context)
{
	struct mail_event event;

	(void)context;
	if (mail_event_parse(line, len, &event) && log_sender_believed(uid))
		scoreboard_count(event.counter, event.amount);
}

void metrics_watch_start(const struct settings *s, const struct provision_options *options)
{
	char path[PATH_MAX];

	if (!settings_bool(s, S_METRICS))
		return;
	scoreboard_path(options->root, path, sizeof(path));
	if (scoreboard_create(path) != NULL)
		syslog_sink_observe(observe, NULL);
}
