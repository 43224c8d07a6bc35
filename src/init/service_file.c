/*
 * NAME
 *	service_file - what mailinit supervises: services.conf, read with libconfuse
 *
 * DESCRIPTION
 *	See service_file.h. Values are checked while libconfuse parses, so each
 *	error carries the file and line of the offending option.
 */
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <confuse.h>

#include "base/log.h"
#include "init/service_file.h"
#include "base/signals.h"

__attribute__((format(printf, 2, 0))) static void config_error(cfg_t *cfg, const char *fmt,
							       va_list ap)
{
	char message[1024];

	vsnprintf(message, sizeof(message), fmt, ap);
	log_error("%s:%d: %s", cfg && cfg->filename ? cfg->filename : "<config>",
		  cfg ? cfg->line : 0, message);
}

static int validate_signal(cfg_t *cfg, cfg_opt_t *opt)
{
	const char *value = cfg_opt_getnstr(opt, cfg_opt_size(opt) - 1);

	if (value == NULL || signal_from_name(value) == 0) {
		cfg_error(cfg, "%s: unknown signal \"%s\" (use a name such as TERM, HUP, USR1)",
			  cfg_opt_name(opt), value ? value : "");
		return -1;
	}
	return 0;
}

static int validate_argv(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned size = cfg_opt_size(opt);

	if (size > SERVICE_ARGV_MAX) {
		cfg_error(cfg, "%s: %u words is more than the %d allowed", cfg_opt_name(opt), size,
			  SERVICE_ARGV_MAX);
		return -1;
	}
	if (size > 0 && cfg_opt_getnstr(opt, 0)[0] == '\0') {
		cfg_error(cfg, "%s: the program name is empty", cfg_opt_name(opt));
		return -1;
	}
	return 0;
}

static int validate_range(cfg_t *cfg, cfg_opt_t *opt, long low, long high)
{
	long value = cfg_opt_getnint(opt, cfg_opt_size(opt) - 1);

	if (value < low || value > high) {
		cfg_error(cfg, "%s: %ld is out of range (%ld to %ld)", cfg_opt_name(opt), value,
			  low, high);
		return -1;
	}
	return 0;
}

static int validate_seconds(cfg_t *cfg, cfg_opt_t *opt)
{
	return validate_range(cfg, opt, 0, 3600);
}
static int validate_window(cfg_t *cfg, cfg_opt_t *opt)
{
	return validate_range(cfg, opt, 1, 3600);
}
static int validate_limit(cfg_t *cfg, cfg_opt_t *opt)
{
	return validate_range(cfg, opt, 1, RESTART_LIMIT_MAX);
}

static int validate_watch(cfg_t *cfg, cfg_opt_t *opt)
{
	unsigned size = cfg_opt_size(opt);

	if (size > WATCH_MAX) {
		cfg_error(cfg, "watch: %u directories is more than the %d allowed", size,
			  WATCH_MAX);
		return -1;
	}
	if (size > 0 && cfg_opt_getnstr(opt, size - 1)[0] != '/') {
		cfg_error(cfg, "watch: \"%s\" is not an absolute path",
			  cfg_opt_getnstr(opt, size - 1));
		return -1;
	}
	return 0;
}

static int validate_delay(cfg_t *cfg, cfg_opt_t *opt)
{
	return validate_range(cfg, opt, 0, 60000);
}

static int validate_service(cfg_t *cfg, cfg_opt_t *opt)
{
	cfg_t *sec = cfg_opt_getnsec(opt, cfg_opt_size(opt) - 1);
	const char *name = cfg_title(sec);

	if (name == NULL || name[0] == '\0' || strlen(name) >= SERVICE_NAME_MAX) {
		cfg_error(cfg, "service: a name of 1 to %d characters is required",
			  SERVICE_NAME_MAX - 1);
		return -1;
	}
	for (const char *p = name; *p; p++) {
		if (!isalnum((unsigned char)*p) && *p != '-' && *p != '_') {
			cfg_error(cfg,
				  "service \"%s\": use only letters, digits, - and _ in a name",
				  name);
			return -1;
		}
	}
	if (cfg_size(sec, "command") == 0) {
		cfg_error(cfg, "service \"%s\": command is required", name);
		return -1;
	}
	for (int i = 0; i < 2; i++) {
		const char *option = i ? "disabled_by" : "enabled_by",
			   *value = cfg_getstr(sec, option);

		if (value && (value[0] == '\0' || strlen(value) >= SERVICE_NAME_MAX)) {
			cfg_error(cfg, "service \"%s\": %s: a switch name of 1 to %d characters",
				  name, option, SERVICE_NAME_MAX - 1);
			return -1;
		}
	}
	size_t roles_length = 1;
	for (unsigned i = 0; i < cfg_size(sec, "roles"); i++) {
		const char *role = cfg_getnstr(sec, "roles", i);
		size_t n = strlen(role);

		roles_length += n + 1;
		if (n == 0 || strspn(role, "abcdefghijklmnopqrstuvwxyz0123456789_-") != n ||
		    roles_length >= SERVICE_ROLES_MAX) {
			cfg_error(cfg,
				  "service \"%s\": roles: names of lower-case letters, digits, - "
				  "and _, %d characters in all at most",
				  name, SERVICE_ROLES_MAX - 2);
			return -1;
		}
	}
	if (cfg_size(sec, "reload_command") > 0 && cfg_getstr(sec, "reload_signal") != NULL) {
		cfg_error(cfg, "service \"%s\": give reload_signal or reload_command, not both",
			  name);
		return -1;
	}
	return 0;
}

static cfg_opt_t service_opts[] = {
    CFG_STR_LIST("command", NULL, CFGF_NODEFAULT),
    CFG_INT("order", 0, CFGF_NONE),
    CFG_STR("pidfile", NULL, CFGF_NODEFAULT),
    CFG_STR("stop_signal", "TERM", CFGF_NONE),
    CFG_STR("reload_signal", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("reload_command", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("drain_command", NULL, CFGF_NODEFAULT),
    CFG_STR("enabled_by", NULL, CFGF_NODEFAULT),
    CFG_STR("disabled_by", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("roles", NULL, CFGF_NODEFAULT),
    CFG_BOOL("reloads", cfg_true, CFGF_NONE),
    CFG_STR("reload_when_changed", NULL, CFGF_NODEFAULT),
    CFG_END(),
};

static cfg_opt_t supervisor_opts[] = {
    CFG_BOOL("provision", cfg_true, CFGF_NONE),
    CFG_STR("syslog_socket", NULL, CFGF_NODEFAULT),
    CFG_INT("stop_grace", 8, CFGF_NONE),
    CFG_INT("restart_delay", 1, CFGF_NONE),
    CFG_INT("restart_delay_max", 30, CFGF_NONE),
    CFG_INT("restart_limit", 5, CFGF_NONE),
    CFG_INT("restart_window", 60, CFGF_NONE),
    CFG_STR_LIST("watch", NULL, CFGF_NODEFAULT),
    CFG_STR_LIST("reconfigure_command", NULL, CFGF_NODEFAULT),
    CFG_INT("reconfigure_delay", 250, CFGF_NONE),
    CFG_END(),
};

static cfg_opt_t top_opts[] = {
    CFG_SEC("supervisor", supervisor_opts, CFGF_NONE),
    CFG_SEC("service", service_opts, CFGF_MULTI | CFGF_TITLE | CFGF_NO_TITLE_DUPES),
    CFG_END(),
};

static cfg_t *config_new(void)
{
	cfg_t *cfg = cfg_init(top_opts, CFGF_NONE);

	if (cfg == NULL)
		return NULL;
	cfg_set_error_function(cfg, config_error);
	cfg_set_validate_func(cfg, "service", validate_service);
	cfg_set_validate_func(cfg, "service|command", validate_argv);
	cfg_set_validate_func(cfg, "service|reload_command", validate_argv);
	cfg_set_validate_func(cfg, "service|drain_command", validate_argv);
	cfg_set_validate_func(cfg, "service|stop_signal", validate_signal);
	cfg_set_validate_func(cfg, "service|reload_signal", validate_signal);
	cfg_set_validate_func(cfg, "supervisor|stop_grace", validate_seconds);
	cfg_set_validate_func(cfg, "supervisor|restart_delay", validate_seconds);
	cfg_set_validate_func(cfg, "supervisor|restart_delay_max", validate_seconds);
	cfg_set_validate_func(cfg, "supervisor|restart_limit", validate_limit);
	cfg_set_validate_func(cfg, "supervisor|restart_window", validate_window);
	cfg_set_validate_func(cfg, "supervisor|watch", validate_watch);
	cfg_set_validate_func(cfg, "supervisor|reconfigure_command", validate_argv);
	cfg_set_validate_func(cfg, "supervisor|reconfigure_delay", validate_delay);
	return cfg;
}

static int copy_argv(cfg_t *sec, const char *option, char **argv)
{
	unsigned n = cfg_size(sec, option);

	for (unsigned i = 0; i < n; i++) {
		argv[i] = strdup(cfg_getnstr(sec, option, i));
		if (argv[i] == NULL)
			return -1;
	}
	argv[n] = NULL;
	return 0;
}

static int copy_service(cfg_t *sec, struct service_spec *spec)
{
	const char *pidfile = cfg_getstr(sec, "pidfile");
	const char *reload = cfg_getstr(sec, "reload_signal");
	const char *enabled_by = cfg_getstr(sec, "enabled_by");

	snprintf(spec->name, sizeof(spec->name), "%s", cfg_title(sec));
	snprintf(spec->enabled_by, sizeof(spec->enabled_by), "%s", enabled_by ? enabled_by : "");
	snprintf(spec->disabled_by, sizeof(spec->disabled_by), "%s",
		 cfg_getstr(sec, "disabled_by") ? cfg_getstr(sec, "disabled_by") : "");
	for (unsigned i = 0; i < cfg_size(sec, "roles"); i++) {
		size_t used = strlen(spec->roles);

		snprintf(spec->roles + used, sizeof(spec->roles) - used, "%s%s ", used ? "" : " ",
			 cfg_getnstr(sec, "roles", i));
	}
	spec->order = cfg_getint(sec, "order");
	spec->stop_signal = signal_from_name(cfg_getstr(sec, "stop_signal"));
	spec->reload_signal = reload ? signal_from_name(reload) : SIGHUP;
	spec->reloads = cfg_getbool(sec, "reloads") == cfg_true;
	if (pidfile && (spec->pidfile = strdup(pidfile)) == NULL)
		return -1;
	if (cfg_getstr(sec, "reload_when_changed") &&
	    (spec->reload_when_changed = strdup(cfg_getstr(sec, "reload_when_changed"))) == NULL)
		return -1;
	if (copy_argv(sec, "command", spec->argv) != 0 ||
	    copy_argv(sec, "reload_command", spec->reload_argv) != 0 ||
	    copy_argv(sec, "drain_command", spec->drain_argv) != 0)
		return -1;
	return 0;
}

/* Insertion sort: stable, and the table is at most SERVICES_MAX long. */
static void sort_by_order(struct supervisor_config *config)
{
	for (size_t i = 1; i < config->count; i++) {
		struct service_spec key = config->services[i];
		size_t j = i;

		for (; j > 0 && config->services[j - 1].order > key.order; j--)
			config->services[j] = config->services[j - 1];
		config->services[j] = key;
	}
}

static int config_copy(cfg_t *cfg, const char *where, struct supervisor_config *config)
{
	cfg_t *sup = cfg_getsec(cfg, "supervisor");
	unsigned count = cfg_size(cfg, "service");

	if (count == 0) {
		log_error("%s: no service is defined (add a \"service NAME { command = ... }\")",
			  where);
		return -1;
	}
	if (count > SERVICES_MAX) {
		log_error("%s: %u services is more than the %d supported", where, count,
			  SERVICES_MAX);
		return -1;
	}
	config->provision = cfg_getbool(sup, "provision") == cfg_true;
	if (cfg_getstr(sup, "syslog_socket") &&
	    (config->syslog_socket = strdup(cfg_getstr(sup, "syslog_socket"))) == NULL)
		return -1;
	config->stop_grace = (unsigned)cfg_getint(sup, "stop_grace");
	snprintf(config->stop_grace_origin, sizeof(config->stop_grace_origin), "stop_grace of %s",
		 where);
	config->restart.initial = (unsigned)cfg_getint(sup, "restart_delay");
	config->restart.max = (unsigned)cfg_getint(sup, "restart_delay_max");
	config->restart.limit = (unsigned)cfg_getint(sup, "restart_limit");
	config->restart.window = (unsigned)cfg_getint(sup, "restart_window");
	config->reconfigure_delay = (unsigned)cfg_getint(sup, "reconfigure_delay");
	if (copy_argv(sup, "watch", config->watch) != 0 ||
	    copy_argv(sup, "reconfigure_command", config->reconfigure_argv) != 0) {
		log_error_sys("%s: cannot store the supervisor section", where);
		return -1;
	}
	for (unsigned i = 0; i < count; i++) {
		config->count = i + 1;
		if (copy_service(cfg_getnsec(cfg, "service", i), &config->services[i]) != 0) {
			log_error_sys("%s: cannot store service %u", where, i + 1);
			return -1;
		}
	}
	sort_by_order(config);
	return 0;
}

static int config_finish(cfg_t *cfg, int parsed, const char *where,
			 struct supervisor_config *config)
{
	int status = -1;

	if (parsed == CFG_SUCCESS)
		status = config_copy(cfg, where, config);
	cfg_free(cfg);
	if (status != 0)
		services_free(config);
	return status;
}

int services_load(const char *path, struct supervisor_config *config)
{
	cfg_t *cfg;
	int parsed;

	memset(config, 0, sizeof(*config));
	if ((cfg = config_new()) == NULL) {
		log_error_sys("cannot set up the configuration parser");
		return -1;
	}
	errno = 0;
	parsed = cfg_parse(cfg, path);
	if (parsed == CFG_FILE_ERROR)
		log_error("%s: cannot read the service configuration: %s (set MAILINIT_CONF or "
			  "--config to an existing file)",
			  path, strerror(errno ? errno : ENOENT));
	return config_finish(cfg, parsed, path, config);
}

int services_parse_buf(const char *text, struct supervisor_config *config)
{
	cfg_t *cfg;

	memset(config, 0, sizeof(*config));
	if ((cfg = config_new()) == NULL) {
		log_error_sys("cannot set up the configuration parser");
		return -1;
	}
	return config_finish(cfg, cfg_parse_buf(cfg, text), "<config>", config);
}

static void spec_free(struct service_spec *spec)
{
	for (char **arg = spec->argv; *arg; arg++)
		free(*arg);
	for (char **arg = spec->reload_argv; *arg; arg++)
		free(*arg);
	for (char **arg = spec->drain_argv; *arg; arg++)
		free(*arg);
	free(spec->pidfile);
	free(spec->reload_when_changed);
}

void services_remove(struct supervisor_config *config, size_t index)
{
	spec_free(&config->services[index]);
	memmove(&config->services[index], &config->services[index + 1],
		(config->count - index - 1) * sizeof(config->services[0]));
	config->count--;
}

void services_free(struct supervisor_config *config)
{
	for (size_t i = 0; i < config->count; i++)
		spec_free(&config->services[i]);
	for (char **arg = config->watch; *arg; arg++)
		free(*arg);
	for (char **arg = config->reconfigure_argv; *arg; arg++)
		free(*arg);
	free(config->syslog_socket);
	memset(config, 0, sizeof(*config));
}
