/*
 * NAME
 *	ban_command - mailinit ban list|add|del, and mailinit guard
 *
 * SYNOPSIS
 *	mailinit ban list                 the bans in force, with their end
 *	mailinit ban add ADDRESS[/PREFIX] [SECONDS]    BAN_TIME by default
 *	mailinit ban del ADDRESS[/PREFIX]
 *	mailinit guard                    the service that serves them (guard.h)
 *
 * DESCRIPTION
 *	The bans file (CONFIG_DIR/state/bans) is edited under its directory's
 *	lock, read, changed and written whole; the guard sees the change and
 *	logs it. An IPv6 address is taken with BAN_IPV6_PREFIX, as the counts
 *	are. Addresses that are never banned (loopback, TRUSTED_NETWORKS,
 *	BAN_IGNORE, PROXY_PROTOCOL_NETWORKS) are refused with the setting to change.
 */
#include <grp.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "base/lock.h"
#include "base/log.h"
#include "cli/cli.h"
#include "mail/ban_list.h"
#include "mail/guard.h"

static void bans_path(const struct provision_options *options, char *dir, char *file, size_t size)
{
	snprintf(dir, size, "%s/state", options->config_dir);
	snprintf(file, size, "%s/state/bans", options->config_dir);
}

static int list_bans(const char *file)
{
	struct ban_list *list = ban_list_new();
	struct problems problems = {0};
	time_t now = time(NULL);
	unsigned shown = 0;

	if (list == NULL)
		return EX_OSERR;
	ban_list_load(list, file, &problems);
	for (size_t i = 0; i < list->count; i++) {
		const struct ban_entry *e = &list->entry[i];
		char text[BAN_TEXT_MAX], until[32];
		struct tm tm;

		if (e->until <= now)
			continue;
		ban_address_format(&e->address, text, sizeof(text));
		gmtime_r(&e->until, &tm);
		strftime(until, sizeof(until), "%Y-%m-%d %H:%M:%S UTC", &tm);
		printf("%-42s until %s (%lld s left, ban %u)\n", text, until,
		       (long long)(e->until - now), e->bans);
		shown++;
	}
	if (shown == 0)
		printf("no address is banned\n");
	ban_list_free(list);
	return problems.count ? EX_DATAERR : 0;
}

/* add or del ADDRESS under the lock; 0 or the exit status. */
static int edit_bans(const struct settings *s, const char *dir, const char *file, bool add,
		     int argc, char **argv)
{
	struct ban_address a;
	struct problems problems = {0};
	char never[BAN_NEVER_MAX], text[BAN_TEXT_MAX];
	unsigned long seconds = (unsigned long)settings_number(s, S_BAN_TIME);
	struct ban_list *list;
	int lock, status = 0;

	if (argc < 1 || argc > (add ? 2 : 1) ||
	    !ban_address_parse(argv[0], (unsigned)settings_number(s, S_BAN_IPV6_PREFIX), &a)) {
		log_error("ban %s: give one address (192.0.2.7, 2001:db8::7, or with /PREFIX)%s",
			  add ? "add" : "del", add ? " and, if you like, the seconds" : "");
		return EX_USAGE;
	}
	if (add && argc == 2 &&
	    ((seconds = strtoul(argv[1], NULL, 10)) == 0 || seconds > BAN_TIME_MAX)) {
		log_error("ban add: \"%s\" is not a number of seconds from 1 to %ld", argv[1],
			  BAN_TIME_MAX);
		return EX_USAGE;
	}
	ban_never_networks(s, never, sizeof(never));
	if (add && ban_networks_overlap(never, &a)) {
		ban_address_format(&a, text, sizeof(text));
		log_error("ban add: %s is never banned: it is or holds loopback, or an address of "
			  "TRUSTED_NETWORKS, BAN_IGNORE or PROXY_PROTOCOL_NETWORKS (take it out "
			  "there first)",
			  text);
		return EX_DATAERR;
	}
	if ((lock = lock_directory(dir)) < 0 || (list = ban_list_new()) == NULL)
		return EX_OSERR;
	ban_list_load(list, file, &problems);
	ban_address_format(&a, text, sizeof(text));
	if (add && ban_list_add(list, &a, time(NULL), (unsigned)seconds) == NULL) {
		printf("%s is banned already\n", text);
	} else if (!add && !ban_list_remove(list, &a)) {
		log_error("ban del: %s is not in the list (mailinit ban list shows it)", text);
		status = EX_DATAERR;
	} else if (ban_list_save(list, file) != 0) {
		status = EX_CANTCREAT;
	} else {
		printf("%s %s\n", text, add ? "banned" : "no longer banned");
	}
	ban_list_free(list);
	close(lock);
	return status;
}

int command_ban(int argc, char **argv)
{
	struct provision_options options = cli_options();
	struct settings settings;
	char dir[PATH_MAX], file[PATH_MAX + 8];
	int status;

	if (argc < 1 || (strcmp(argv[0], "list") != 0 && strcmp(argv[0], "add") != 0 &&
			 strcmp(argv[0], "del") != 0)) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	if (cli_load_settings(&options, &settings, false) != 0) {
		settings_free(&settings);
		return EX_CONFIG;
	}
	bans_path(&options, dir, file, sizeof(dir));
	if (strcmp(argv[0], "list") == 0)
		status = argc == 1 ? list_bans(file) : EX_USAGE;
	else
		status = edit_bans(&settings, dir, file, strcmp(argv[0], "add") == 0, argc - 1,
				   argv + 1);
	settings_free(&settings);
	return status;
}

static gid_t group_id(const char *name)
{
	struct group *g = getgrnam(name);

	return g ? g->gr_gid : 0;
}

/* The value of "KEY = VALUE" in TEXT, into OUT; false when there is none. */
static bool conf_value(const char *text, const char *key, char *out, size_t size)
{
	size_t n = strlen(key);

	for (const char *line = text; line && *line;
	     line = strchr(line, '\n') ? strchr(line, '\n') + 1 : NULL) {
		if (strncmp(line, key, n) == 0 && strncmp(line + n, " = ", 3) == 0) {
			size_t len = strcspn(line + n + 3, "\n");

			if (len >= size)
				return false;
			memcpy(out, line + n + 3, len);
			out[len] = '\0';
			return true;
		}
	}
	return false;
}

/* guard.conf, rendered by provisioning (templates/mailinit/guard.conf): services get no
   settings from the environment (proc.c). 0, or -1 said. */
static int read_guard_conf(const char *path, struct guard_config *config, char *file, char *never,
			   size_t size)
{
	char *text = file_read(path, NULL);
	char number[32];
	bool ok = text && conf_value(text, "bans_file", file, size) &&
		  conf_value(text, "never", never, size) &&
		  conf_value(text, "ban_time", number, sizeof(number)) &&
		  (config->ban_time = (unsigned)strtoul(number, NULL, 10)) > 0 &&
		  conf_value(text, "ipv6_prefix", number, sizeof(number)) &&
		  (config->ipv6_prefix = (unsigned)strtoul(number, NULL, 10)) > 0;

	free(text);
	if (!ok)
		log_error("guard: %s is not what provisioning renders (bans_file, never, ban_time, "
			  "ipv6_prefix): run mailinit check",
			  path);
	return ok ? 0 : -1;
}

int command_guard(int argc, char **argv)
{
	static char file[PATH_MAX], never[BAN_NEVER_MAX];
	struct guard_config config = {
	    .bans_file = file,
	    .never = never,
	    .postfix_gid = group_id("postfix"),
	    .dovecot_gid = group_id("dovecot"),
	    .directory = cli_env_or("MAILINIT_GUARD_DIR", GUARD_DIR),
	};

	if (argc != 1) {
		cli_usage(stderr);
		return EX_USAGE;
	}
	if (read_guard_conf(argv[0], &config, file, never, sizeof(file)) != 0)
		return EX_CONFIG;
	return guard_run(&config);
}
