/*
 * NAME
 *	ban_watch - PID 1 counts failed logins in the log lines, and asks for bans
 *
 * DESCRIPTION
 *	See ban_watch.h.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "base/log.h"
#include "cli/ban_watch.h"
#include "init/syslog_sink.h"
#include "mail/auth_failures.h"
#include "mail/ban_count.h"
#include "mail/guard.h"

static struct {
	struct ban_count counts;
	unsigned after, window, ipv6_prefix;
	char never[BAN_NEVER_MAX]; /* ban_never_networks */
	struct sockaddr_un guard;
	bool any_sender; /* tests */
	int fd;
} watch = {.fd = -1};

bool log_sender_believed(uid_t uid)
{
	static uid_t postfix_uid = (uid_t)-1;
	struct stat st;

	if (uid == 0)
		return true;
	if (postfix_uid == (uid_t)-1 && stat("/var/spool/postfix/active", &st) == 0)
		postfix_uid = st.st_uid;
	return uid != (uid_t)-1 && uid == postfix_uid;
}

static void ask_for_ban(const struct ban_address *a, const struct auth_failure *f)
{
	char text[BAN_TEXT_MAX], message[128];
	int len;

	ban_address_format(a, text, sizeof(text));
	len = snprintf(message, sizeof(message), "ban %s %u %s", text, watch.after, f->service);
	if (watch.fd < 0)
		watch.fd = socket(AF_UNIX, SOCK_DGRAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (watch.fd < 0 || sendto(watch.fd, message, (size_t)len, 0,
				   (const struct sockaddr *)&watch.guard, sizeof(watch.guard)) < 0)
		log_warn("ban: %s failed to log in %u times, but the guard is not there to ban it "
			 "(%s): the next failures ask again",
			 text, watch.after, strerror(errno));
}

static void observe(const char *line, size_t len, uid_t uid, void *context)
{
	struct auth_failure f;
	struct ban_address host, counted;

	(void)context;
	if (!auth_failure_parse(line, len, &f) || !(watch.any_sender || log_sender_believed(uid)) ||
	    !ban_address_parse(f.address, 128, &host) ||
	    ban_networks_contain(watch.never, host.bytes) ||
	    !ban_address_parse(f.address, watch.ipv6_prefix, &counted))
		return;
	if (ban_count_add(&watch.counts, &counted, f.attempts, time(NULL), watch.after,
			  watch.window))
		ask_for_ban(&counted, &f);
}

void ban_watch_start_at(const struct settings *s, const char *guard_socket)
{
	watch.after = (unsigned)settings_number(s, S_BAN_AFTER);
	watch.window = (unsigned)settings_number(s, S_BAN_WINDOW);
	watch.ipv6_prefix = (unsigned)settings_number(s, S_BAN_IPV6_PREFIX);
	ban_never_networks(s, watch.never, sizeof(watch.never));
	watch.guard.sun_family = AF_UNIX;
	snprintf(watch.guard.sun_path, sizeof(watch.guard.sun_path), "%s", guard_socket);
	watch.any_sender = strcmp(guard_socket, GUARD_BANS_SOCKET) != 0;
	syslog_sink_observe(observe, NULL);
}

void ban_watch_start(const struct settings *s)
{
	if (settings_bool(s, S_ENABLE_BANS))
		ban_watch_start_at(s, GUARD_BANS_SOCKET);
}
