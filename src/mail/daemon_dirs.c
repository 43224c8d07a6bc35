/*
 * NAME
 *	daemon_dirs - the directories the daemons expect before they start
 *
 * DESCRIPTION
 *	See daemon_dirs.h.
 */
#include <fcntl.h>
#include <limits.h>
#include <pwd.h>
#include <stdio.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/file.h"
#include "base/log.h"
#include "mail/daemon_dirs.h"

/*
 * "postfix start-fg" runs "postfix check" first (~300 ms) unless the queue
 * holds a quick-start file. Once the queue exists the check adds nothing: the
 * configuration was just verified and mailinit owns the rest. A queue that
 * lacks any of its directories still gets the full check, which creates them.
 */
void daemon_dirs_skip_postfix_check(void)
{
	/* Every directory "postfix check" would create (post-install create-missing). */
	static const char *const queue[] = {"active",  "bounce", "corrupt",  "defer",    "deferred",
					    "flush",   "hold",   "incoming", "maildrop", "pid",
					    "private", "public", "saved",    "trace"};
	char path[PATH_MAX];
	int fd;

	for (size_t i = 0; i < sizeof(queue) / sizeof(queue[0]); i++) {
		snprintf(path, sizeof(path), "/var/spool/postfix/%s", queue[i]);
		if (access(path, F_OK) != 0)
			return;
	}
	snprintf(path, sizeof(path), "/var/spool/postfix/quick-start");
	if ((fd = open(path, O_WRONLY | O_CREAT | O_CLOEXEC, 0644)) >= 0)
		close(fd);
}

/*
 * A volume's directory may come from the host (or an older image), owned by
 * anyone: the directory itself is given to its daemon, through a descriptor opened
 * without following a link; what the daemon wrote in it is left alone.
 */
static int own_directory(const char *path, uid_t uid, gid_t gid, mode_t mode)
{
	int fd, status = 0;

	if (file_mkdirs(path, mode, uid, gid) != 0)
		return -1;
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0 || fchown(fd, uid, gid) != 0 || fchmod(fd, mode) != 0) {
		log_error_sys("%s: cannot give it to uid %u, gid %u", path, (unsigned)uid,
			      (unsigned)gid);
		status = -1;
	}
	if (fd >= 0)
		close(fd);
	return status;
}

/*
 * Dovecot puts its LMTP and auth sockets in Postfix's private/ directory and
 * starts alongside Postfix; on an empty queue volume Postfix creates that
 * directory only during its own start-up check. Make it first, as Postfix does.
 * The same for the daemons' state directories under the render root (in the
 * image: /run/mailinit, a fresh tmpfs), which their packages made in /var/lib.
 */
int daemon_dirs_make(const char *root)
{
	struct passwd *pw = getpwnam("postfix");
	char path[PATH_MAX];

	if (pw == NULL)
		return 0; /* no Postfix here: a test machine */
	snprintf(path, sizeof(path), "/var/spool/postfix/private");
	if (access(path, F_OK) != 0 && file_mkdirs(path, 0700, pw->pw_uid, 0) != 0)
		return -1;
	/* postscreen's memory of the clients that passed, kept with the queue (main.cf). */
	if (own_directory("/var/spool/postfix/postscreen", pw->pw_uid, pw->pw_gid, 0700) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/var/lib/postfix", root);
	if (access(path, F_OK) != 0 && file_mkdirs(path, 0755, pw->pw_uid, pw->pw_gid) != 0)
		return -1;
	snprintf(path, sizeof(path), "%s/var/lib/dovecot", root);
	return file_mkdirs(path, 0755, 0, 0);
}

/* The milters' sockets are open to all (OpenDKIM's, rspamd's 0666) inside a directory
   only Postfix's group may enter besides the milter: OpenDKIM's own (it may make its socket
   after it has left root), root's for rspamd (its root process makes it). */
int daemon_dirs_make_milters(bool dkim, bool rspamd)
{
	struct passwd *pw = getpwnam("postfix"); /* getpwnam's answer lasts to its next call */
	gid_t postfix_gid;

	if (pw == NULL)
		return 0; /* no Postfix here: a test machine */
	postfix_gid = pw->pw_gid;
	if (dkim && (pw = getpwnam("opendkim")) != NULL &&
	    own_directory("/run/opendkim", pw->pw_uid, postfix_gid, 0750) != 0)
		return -1;
	if (rspamd && getpwnam("_rspamd") &&
	    own_directory("/run/rspamd-milter", 0, postfix_gid, 0710) != 0)
		return -1;
	return 0;
}

int daemon_dirs_make_rspamd(gid_t vmail_gid)
{
	static const struct {
		const char *path, *user;
	} dirs[] = {{"/run/rspamd", "_rspamd"},
		    {"/var/lib/rspamd", "_rspamd"},
		    {"/run/redis", "redis"},
		    {"/var/lib/redis", "redis"}};

	for (size_t i = 0; i < sizeof(dirs) / sizeof(dirs[0]); i++) {
		struct passwd *pw = getpwnam(dirs[i].user);

		if (pw == NULL)
			continue; /* not installed here: a test machine */
		if (own_directory(dirs[i].path, pw->pw_uid, pw->pw_gid, 0750) != 0)
			return -1;
	}
	/* The controller's socket (0666) is reached through this directory: root's, which
	   neither rspamd's user nor vmail can change (rspamd's root process sets the socket's
	   mode by its path), and only vmail's group (Dovecot's learning from Junk) and root
	   may enter. */
	if (getpwnam("_rspamd") == NULL)
		return 0; /* no rspamd here: a test machine */
	return own_directory("/run/rspamd-controller", 0, vmail_gid, 0710);
}
