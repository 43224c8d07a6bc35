/*
 * NAME
 *	options - where the commands find things, and the settings as they read them
 *
 * DESCRIPTION
 *	See cli.h.
 */
#define _XOPEN_SOURCE 700
#include <ftw.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/log.h"
#include "cli/cli.h"

const char *cli_env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	return value && *value ? value : fallback;
}

struct provision_options cli_options(void)
{
	return (struct provision_options){
	    .config_dir = cli_env_or("MAILINIT_CONFIG_DIR", "/etc/mailinit"),
	    .templates_dir = cli_env_or("MAILINIT_TEMPLATES", MAILINIT_SHAREDIR "/templates"),
	    /* The image renders into /run (MAILINIT_ROOT=/run/mailinit): fresh at every
	       start, and the root file system can be read-only. */
	    .root = cli_env_or("MAILINIT_ROOT", ""),
	    .mail_dir = cli_env_or("MAILINIT_MAIL_DIR", "/var/mail"),
	};
}

/*
 * From the environment before anything logs; settings_resolve checks them
 * later, and the file may set them too. LOG_FORMAT=json is for the server's
 * log (run); a command typed by an operator through "podman exec" answers in
 * plain lines.
 */
void cli_log_format(bool server_log)
{
	enum log_level level;
	const char *text = getenv("LOG_LEVEL"), *format = getenv("LOG_FORMAT");

	if (text && log_level_parse(text, &level))
		log_set_level(level);
	log_set_json(server_log && format && strcmp(format, "json") == 0);
}

unsigned cli_load_settings(const struct provision_options *options, struct settings *settings,
			   bool quiet)
{
	struct problems problems = {.quiet = quiet};
	char path[PATH_MAX];

	settings_init(settings);
	snprintf(path, sizeof(path), "%s/mailinit.conf", options->config_dir);
	settings_read_file(settings, path, &problems);
	settings_read_environment(settings, environ, &problems);
	settings_resolve(settings, &problems);
	return problems.count;
}

void cli_reload_status_path(const struct provision_options *options, char *path, size_t size)
{
	snprintf(path, size, "%s/reload-status", options->root[0] ? options->root : "/run");
}

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

void cli_remove_tree(const char *path)
{
	nftw(path, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

int cli_check_configuration(const char *output, struct settings *settings)
{
	struct provision_options options = cli_options();
	char scratch[] = "/tmp/mailinit-check.XXXXXX";
	int status;

	if ((options.root = output ? output : mkdtemp(scratch)) == NULL) {
		log_error_sys("cannot make a scratch directory in /tmp");
		settings_init(settings);
		return EX_OSERR;
	}
	options.check = true;
	status = provision(&options, environ, settings);
	if (output == NULL)
		cli_remove_tree(options.root);
	return status;
}
