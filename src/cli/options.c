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
#include <time.h>
#include <unistd.h>

#include "base/file.h"
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

void cli_record_reload(const struct provision_options *options, int status)
{
	char path[PATH_MAX], text[64];
	int len = snprintf(text, sizeof(text), "%s %lld\n", status == 0 ? "ok" : "refused",
			   (long long)time(NULL));

	cli_reload_status_path(options, path, sizeof(path));
	if (file_write(path, text, (size_t)len, 0644, 0, 0) != 0)
		log_warn("reload: cannot record the outcome in %s for mailinit health", path);
}

int cli_sibling_path(const char *name, char *path, size_t size)
{
	char self[PATH_MAX];
	ssize_t len = readlink("/proc/self/exe", self, sizeof(self) - 1);
	char *slash;

	if (len <= 0 || (self[len] = '\0', slash = strrchr(self, '/')) == NULL) {
		log_error_sys("cannot read /proc/self/exe to find %s", name);
		return -1;
	}
	*slash = '\0';
	if ((size_t)snprintf(path, size, "%s/%s", self, name) >= size) {
		log_error("%s/%s: path too long", self, name);
		return -1;
	}
	return 0;
}
