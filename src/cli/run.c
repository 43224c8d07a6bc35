/*
 * NAME
 *	run - mailinit-init, PID 1: provision, then supervise; the live reload
 *
 * SYNOPSIS
 *	mailinit [run] [--config FILE]      (execs mailinit-init [--config FILE])
 *
 * DESCRIPTION
 *	PID 1 is mailinit-init, a program of its own (init_main.c): the
 *	supervisor and the settings, linked without OpenSSL, libcrypt and the
 *	rendering. Provisioning runs in a child that execs mailinit's
 *	"provision" step (provision_command.c): OpenSSL and the rendering
 *	buffers are never mapped into PID 1, whose memory stays small for as
 *	long as the container runs (bench/RESULTS.md). Then the
 *	supervisor (init/supervise.h) runs the services of the service file,
 *	with reprovision() as its reconfigure step: the supervisor knows no
 *	mail daemon, and reaches provisioning only through that callback.
 *
 *	Switched services: a service with enabled_by = "ENABLE_X" runs only
 *	when that yes/no setting is on (rspamd and Redis, by ENABLE_RSPAMD), or
 *	when that network list is not empty (the gate, PROXY_PROTOCOL_NETWORKS). The
 *	set is fixed for the run: a live reload that turns a switch over is
 *	refused, saying a restart applies it, and the running server keeps on.
 *
 *	STOP_GRACE: the service file's stop_grace is the default; the
 *	STOP_GRACE setting (environment, or /etc/mailinit/mailinit.conf)
 *	replaces it when given, and the start line says which is in force.
 */
#include <errno.h>
#include <libgen.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/file.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/signals.h"
#include "base/text.h"
#include "cli/ban_watch.h"
#include "cli/metrics_watch.h"
#include "cli/cli.h"
#include "init/caps.h"
#include "init/service_file.h"
#include "init/supervise.h"

/*
 * Waits for the provisioning child. A SIGTERM or SIGINT meanwhile (blocked since
 * command_run began: as PID 1 they would otherwise be ignored) ends it, so a stop
 * during a long CERT_WAIT is prompt and nothing starts after it; SIGKILL if it has
 * not gone a second later. *stop gets the signal, or 0. Returns the wait status.
 */
static int wait_provisioning(pid_t pid, int *stop)
{
	const struct timespec second = {1, 0};
	sigset_t set;
	int status;

	sigemptyset(&set);
	sigaddset(&set, SIGCHLD);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	*stop = 0;
	for (;;) {
		pid_t done = waitpid(pid, &status, WNOHANG);

		if (done == pid)
			return status;
		if (done < 0 && errno != EINTR) {
			log_error_sys("waitpid");
			return -1;
		}
		int sig = *stop ? sigtimedwait(&set, NULL, &second) : sigwaitinfo(&set, NULL);
		if ((sig == SIGTERM || sig == SIGINT) && *stop == 0) {
			*stop = sig;
			log_info("received SIG%s during provisioning: stopping before anything "
				 "starts",
				 signal_name(sig));
			kill(pid, SIGTERM);
		} else if (sig < 0 && errno == EAGAIN && *stop != 0) {
			kill(pid, SIGKILL);
		}
	}
}

/*
 * In a child: the provisioning step, mailinit's own program (PID 1 holds no OpenSSL),
 * with PID 1's log level and format (the settings file may have set them); a reload's
 * with RELOAD, its options (NULL: the start's). Never returns.
 */
static _Noreturn void exec_provisioning(const struct provision_options *reload)
{
	char program[PATH_MAX];
	char *argv[] = {"mailinit", "provision", "--log", NULL, NULL, NULL, NULL};
	static char *const levels[] = {"debug", "info", "warn", "error"};
	size_t n = 3;

	argv[n++] = levels[log_get_level()];
	argv[n++] = log_is_json() ? "json" : "text";
	if (reload)
		argv[n++] = "--reload";
	fflush(stdout);
	if (cli_sibling_path("mailinit", program, sizeof(program)) == 0) {
		execv(program, argv);
		log_error_sys("cannot run %s", program);
	}
	if (reload)
		cli_record_reload(reload, EX_OSERR); /* mailinit health says it was refused */
	_exit(EX_OSERR);
}

static int provision_in_child(int *stop)
{
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		log_error_sys("fork");
		return EX_OSERR;
	}
	if (pid == 0) {
		proc_reset_signals(); /* the child dies of SIGTERM, as any process does */
		exec_provisioning(NULL);
	}
	status = wait_provisioning(pid, stop);
	if (*stop)
		return 0;
	if (status < 0)
		return EX_OSERR;
	if (WIFEXITED(status))
		return WEXITSTATUS(status);
	log_error("provisioning was killed by signal %d", WTERMSIG(status));
	return EX_SOFTWARE;
}

/* ROLE at the start: it chooses services, so a reload may not change it. */
static enum mail_role start_role;

/* The switches the run started with (enabled_by of the service file): on or off. */
static struct {
	char name[2 * SERVICES_MAX][SERVICE_NAME_MAX]; /* enabled_by and disabled_by */
	bool on[2 * SERVICES_MAX];
	size_t count;
} switches;

/* SETTINGS' value of the yes/no setting NAME, its default when unset, or whether the
   network list or server NAME is set (PROXY_PROTOCOL_NETWORKS, REDIS_SERVER); -1: no
   such setting. */
static int switch_value(const struct settings *settings, const char *name)
{
	int id = settings_id(name);
	const char *value, *why;
	bool on = false;

	if (id < 0 ||
	    (setting_defs[id].kind != KIND_BOOL && setting_defs[id].kind != KIND_NETWORK_LIST &&
	     setting_defs[id].kind != KIND_SERVER))
		return -1;
	value = settings_get(settings, (enum setting_id)id);
	if (value == NULL)
		value = setting_defs[id].fallback;
	if (setting_defs[id].kind != KIND_BOOL)
		return settings_list_set(settings, (enum setting_id)id);
	return value && valid_bool(value, &on, &why) && on;
}

/* Whether the service runs in ROLE: it names it, or names no role at all. */
static bool in_role(const struct service_spec *spec, enum mail_role role)
{
	char word[SERVICE_ROLES_MAX];

	snprintf(word, sizeof(word), " %s ", settings_role_name(role));
	return spec->roles[0] == '\0' || strstr(spec->roles, word) != NULL;
}

/* The roles a service names are ROLE's values: a misspelt one would stop it everywhere. */
static bool roles_known(const char *path, const struct service_spec *spec)
{
	const char *cursor = spec->roles;
	char word[SERVICE_ROLES_MAX];

	while (text_next_word(&cursor, word, sizeof(word))) {
		bool known = false;

		for (int r = ROLE_ALL; r <= ROLE_PROXY; r++)
			known = known || strcmp(word, settings_role_name((enum mail_role)r)) == 0;
		if (!known) {
			log_error("%s: service %s: roles: \"%s\" is not a ROLE (all, mx, mailbox, "
				  "proxy)",
				  path, spec->name, word);
			return false;
		}
	}
	return true;
}

/* NAME's value now, remembered for the reloads when REMEMBER; -1 (said) when it names no
   switch. */
static int take_switch(const char *path, const struct service_spec *spec, const char *option,
		       const char *name, const struct settings *settings, bool remember)
{
	int on = switch_value(settings, name);

	if (on < 0) {
		log_error("%s: service %s: %s = \"%s\" names no yes/no setting, network list or "
			  "server (mailinit help settings lists them)",
			  path, spec->name, option, name);
		return -1;
	}
	if (remember && switches.count < sizeof(switches.on) / sizeof(switches.on[0])) {
		snprintf(switches.name[switches.count], SERVICE_NAME_MAX, "%s", name);
		switches.on[switches.count++] = on;
	}
	return on;
}

/* Leave out the services whose switch is off or whose roles are not ROLE, and remember
   the switches and the role. -1: a bad switch. */
static int take_switches(struct supervisor_config *config, const char *path,
			 const struct settings *settings)
{
	start_role = settings_role(settings);
	for (size_t i = 0; i < config->count;) {
		const struct service_spec *spec = &config->services[i];
		int on = 1, off = 0;

		bool here = in_role(spec, start_role);

		if (!roles_known(path, spec))
			return -1;
		/* Checked in every role; remembered only where the service could run: a switch
		   of a service another role runs does not hold a reload up. */
		if (spec->enabled_by[0] && (on = take_switch(path, spec, "enabled_by",
							     spec->enabled_by, settings, here)) < 0)
			return -1;
		if (spec->disabled_by[0] &&
		    (off = take_switch(path, spec, "disabled_by", spec->disabled_by, settings,
				       here)) < 0)
			return -1;
		if (!here) {
			log_info("ROLE is %s: %s does not run", settings_role_name(start_role),
				 spec->name);
			services_remove(config, i);
			continue;
		}
		if (on && !off) {
			i++;
			continue;
		}
		if (!on)
			log_info("%s is off: %s does not run", spec->enabled_by, spec->name);
		else
			log_info("%s is set: %s does not run", spec->disabled_by, spec->name);
		services_remove(config, i);
	}
	return 0;
}

/*
 * A reload cannot start or stop a service: a switch turned over since the start
 * is refused (0: none was). The settings' own problems are provisioning's to say.
 */
static int switches_unchanged(const struct provision_options *options)
{
	struct settings now;
	int status = 0;

	if (cli_load_settings(options, &now, true) == 0) {
		if (settings_role(&now) != start_role) {
			log_error("reload: ROLE is now %s (%s) but was %s at the start: it starts "
				  "or stops services, so it takes a restart of the container; "
				  "nothing was changed",
				  settings_role_name(settings_role(&now)), now.origin[S_ROLE],
				  settings_role_name(start_role));
			status = EX_CONFIG;
		}
		for (size_t i = 0; i < switches.count; i++) {
			int on = switch_value(&now, switches.name[i]);
			int id = settings_id(switches.name[i]);
			bool list = id >= 0 && setting_defs[id].kind != KIND_BOOL;

			if (on < 0 || on == switches.on[i])
				continue;
			log_error(
			    "reload: %s is now %s (%s) but was %s at the start: it starts or "
			    "stops services, so it takes a restart of the container; nothing "
			    "was changed",
			    switches.name[i], on ? (list ? "set" : "yes") : (list ? "empty" : "no"),
			    now.origin[id],
			    switches.on[i] ? (list ? "set" : "yes") : (list ? "empty" : "no"));
			status = EX_CONFIG;
		}
	}
	settings_free(&now);
	return status;
}

/*
 * The supervisor's reconfigure step: provisioning again in a child, staged
 * in a scratch directory and verified there before the live files change
 * (mailinit provision --reload). A switch turned over is refused here first.
 */
static pid_t reprovision(void *context)
{
	const struct provision_options *options = context;
	int status;
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* PID 1 blocks and catches these for its signalfd; this child dies of SIGTERM. */
	proc_reset_signals();
	if ((status = switches_unchanged(options)) != 0) {
		cli_record_reload(options, status);
		fflush(stdout);
		_exit(status);
	}
	exec_provisioning(options);
}

static void add_watch(struct supervisor_config *config, const char *dir)
{
	size_t n = 0;

	while (config->watch[n]) {
		if (strcmp(config->watch[n], dir) == 0)
			return;
		n++;
	}
	if (n == WATCH_MAX) {
		log_warn("cannot watch %s too: %d directories are watched already", dir, WATCH_MAX);
		return;
	}
	config->watch[n] = strdup(dir);
}

/* The configuration directory, the directories the certificate files are in, CERTS_DIR. */
static void watch_inputs(struct supervisor_config *config, const struct provision_options *options,
			 const struct settings *settings)
{
	const enum setting_id files[] = {S_TLS_CERT_FILE, S_TLS_KEY_FILE};
	char dir[PATH_MAX];

	add_watch(config, options->config_dir);
	if (settings_get(settings, S_CERT_PATH))
		add_watch(config, settings_get(settings, S_CERT_PATH));
	if (settings_get(settings, S_CERTS_DIR)) {
		/* "/+": each certificate's subdirectory too (watch.h). */
		snprintf(dir, sizeof(dir), "%s/+", settings_get(settings, S_CERTS_DIR));
		add_watch(config, dir);
	}
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (settings_get(settings, files[i]) == NULL)
			continue;
		snprintf(dir, sizeof(dir), "%s", settings_get(settings, files[i]));
		add_watch(config, dirname(dir));
	}
}

/* STOP_GRACE, when the settings give it, replaces the service file's stop_grace. */
static void take_stop_grace(struct supervisor_config *config, const struct settings *settings)
{
	if (strcmp(settings->origin[S_STOP_GRACE], "default") == 0)
		return;
	config->stop_grace = (unsigned)settings_number(settings, S_STOP_GRACE);
	snprintf(config->stop_grace_origin, sizeof(config->stop_grace_origin), "STOP_GRACE from %s",
		 settings->origin[S_STOP_GRACE]);
}

/* The supervisor-only path (provision = false) reads its three variables itself. */
static bool supervisor_environment(struct supervisor_config *config, const char *path)
{
	static const enum setting_id own[] = {S_STOP_GRACE, S_LOG_LEVEL, S_LOG_FORMAT, S_ROLE};
	struct settings s;
	struct problems problems = {0};

	settings_init(&s);
	settings_read_environment(&s, environ, &problems);
	for (size_t i = 0; i < sizeof(own) / sizeof(own[0]); i++)
		settings_check(&s, own[i], &problems);
	if (problems.count == 0 && s.value[S_STOP_GRACE])
		take_stop_grace(config, &s);
	bool ok = problems.count == 0 && take_switches(config, path, &s) == 0;
	settings_free(&s);
	return ok;
}

/*
 * Provisioning in a child, then what the running server takes from the
 * settings: the log format, STOP_GRACE, what to watch, the reload step.
 * Returns 0, or the exit status (*stop: a stop signal came meanwhile).
 */
static int provision_and_configure(struct supervisor_config *config, const char *path,
				   struct provision_options *options, int *stop)
{
	struct settings settings;
	enum log_level level;
	int64_t began;
	int status;

	/* Provisioning sets owners: name a missing capability before it fails on one. */
	if ((status = caps_check()) != 0)
		return status;
	began = clock_ms();
	if ((status = provision_in_child(stop)) != 0 || *stop)
		return status;
	log_info("configuration rendered and verified in %lld ms", (long long)(clock_ms() - began));
	cli_load_settings(options, &settings, false);
	if (take_switches(config, path, &settings) != 0) {
		settings_free(&settings);
		return EX_CONFIG;
	}
	take_stop_grace(config, &settings);
	if (log_level_parse(settings_get(&settings, S_LOG_LEVEL), &level))
		log_set_level(level); /* the file may set them too */
	log_set_json(strcmp(settings_get(&settings, S_LOG_FORMAT), "json") == 0);
	watch_inputs(config, options, &settings);
	ban_watch_start(&settings);
	metrics_watch_start(&settings, options);
	config->reconfigure = reprovision;
	config->reconfigure_context = options;
	settings_free(&settings);
	return caps_check_and_drop();
}

int command_run(int argc, char **argv)
{
	const char *path = cli_env_or("MAILINIT_CONF", MAILINIT_SHAREDIR "/services.conf");
	static struct provision_options options; /* the reconfigure step's, for the run */
	struct supervisor_config config;
	sigset_t handled;
	int status, stop = 0;

	/* From the first moment: as PID 1, a signal with no handler is ignored. */
	signals_handled(&handled);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	options = cli_options();
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else {
			log_error("run: unknown argument \"%s\"", argv[i]);
			cli_usage(stderr);
			return EX_USAGE;
		}
	}
	cli_log_format(true);
	log_never_block();
	if (services_load(path, &config) != 0)
		return EX_CONFIG;
	if (config.provision)
		status = provision_and_configure(&config, path, &options, &stop);
	else
		status = supervisor_environment(&config, path) ? 0 : EX_CONFIG;
	if (status == 0 && !stop) {
		log_info("mailinit %s: supervising %zu services from %s (stop grace %u s: %s)",
			 MAILINIT_VERSION, config.count, path, config.stop_grace,
			 config.stop_grace_origin);
		status = supervise_run(&config);
	}
	services_free(&config);
	return status;
}
