/*
 * NAME
 *	metrics_watch - PID 1 counts what the log lines say, for the metrics
 *
 * DESCRIPTION
 *	See metrics_watch.h.
 */
#include <limits.h>
#include <stdio.h>
#include <sys/stat.h>

#include "base/scoreboard.h"
#include "cli/ban_watch.h"
#include "cli/cli.h"
#include "cli/metrics_watch.h"
#include "init/syslog_sink.h"
#include "mail/mail_events.h"

_Static_assert(MAIL_COUNTERS <= SCOREBOARD_COUNTERS, "the scoreboard holds every counter");

/* rspamd's uid, the owner of its run directory (PID 1 looks up no user name), or root. */
static bool rspamd_sender(uid_t uid)
{
	static uid_t rspamd_uid = (uid_t)-1;
	struct stat st;

	if (rspamd_uid == (uid_t)-1 && stat("/run/rspamd", &st) == 0 && st.st_uid != 0)
		rspamd_uid = st.st_uid;
	return uid == 0 || (uid != (uid_t)-1 && uid == rspamd_uid);
}

static void observe(const char *line, size_t len, uid_t uid, void *context)
{
	struct mail_event event;

	(void)context;
	if (!mail_event_parse(line, len, &event))
		return;
	if (mail_event_from_rspamd(event.counter) ? rspamd_sender(uid) : log_sender_believed(uid))
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
