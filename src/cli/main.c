/*
 * NAME
 *	mailinit - PID 1 of the mail container
 *
 * SYNOPSIS
 *	mailinit [run] [--config FILE]
 *	mailinit check [--output DIR]
 *	mailinit health [--json]
 *	mailinit dns DOMAIN
 *	mailinit autoconfig DOMAIN [mozilla|microsoft]
 *	mailinit reload
 *	mailinit user|alias|domain|dkim ...    (admin.h)
 *	mailinit import DIR
 *	mailinit help [settings [--markdown]]
 *	mailinit version
 *
 * DESCRIPTION
 *	"run" (the default) provisions the mail configuration from the
 *	settings and /etc/mailinit (unless the service file says
 *	provision = false), then supervises the services until SIGTERM or
 *	SIGINT. The service file (docs/supervisor.md) is --config FILE, else
 *	$MAILINIT_CONF, else /usr/share/mailinit/mailinit.conf.
 *
 *	While it runs, a change in the configuration directory or in the
 *	certificate's directory, or SIGHUP, re-runs provisioning into a staging
 *	directory and, when that passes, reloads the services (reprovision()).
 *	"reload" checks the configuration as "check" does and then sends PID 1
 *	SIGHUP.
 *
 *	"check" runs every provisioning step into a scratch directory (or
 *	--output DIR, kept), starts nothing, and exits 0 or 78.
 *
 *	For tests and unusual layouts: MAILINIT_CONFIG_DIR (default
 *	/etc/mailinit), MAILINIT_TEMPLATES (default
 *	/usr/share/mailinit/templates), MAILINIT_MAIL_DIR (default /var/mail),
 *	MAILINIT_ROOT (where the daemons' configuration is rendered, default
 *	"": /etc itself; the image sets /run/mailinit and links /etc to it).
 *
 * DIAGNOSTICS
 *	Exit status: docs/exit-codes.md.
 */
#define _XOPEN_SOURCE 700
#include <errno.h>
#include <ftw.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <libgen.h>
#include <signal.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <time.h>
#include <unistd.h>

#include "base/clock.h"
#include "cli/admin.h"
#include "mail/autoconfig.h"
#include "init/caps.h"
#include "mail/dns.h"
#include "mail/health.h"
#include "base/log.h"
#include "base/proc.h"
#include "mail/provision.h"
#include "base/file.h"
#include "init/services.h"
#include "mail/settings.h"
#include "base/signals.h"
#include "init/supervise.h"

#ifndef MAILINIT_VERSION
#define MAILINIT_VERSION "unknown"
#endif
#ifndef MAILINIT_SHAREDIR
#define MAILINIT_SHAREDIR "/usr/share/mailinit"
#endif

extern char **environ;

static void usage(FILE *out)
{
	fputs(
	    "usage: mailinit [run] [--config FILE]   provision, then supervise the mail services\n"
	    "       mailinit check [--output DIR]    validate and render the configuration, start "
	    "nothing\n"
	    "       mailinit health [--json]         probe every listener: exit 0 healthy, 1 not\n"
	    "       mailinit dns DOMAIN              the DNS records to publish (MX, SPF, DKIM, "
	    "DMARC, MTA-STS, TLS-RPT)\n"
	    "       mailinit autoconfig DOMAIN [mozilla|microsoft]   what mail clients "
	    "configure themselves from\n"
	    "       mailinit reload                  check the configuration, then make the "
	    "server reload it\n"
	    "       mailinit user add ADDRESS [--password-stdin] [--quota SIZE]\n"
	    "       mailinit user passwd ADDRESS [--password-stdin]\n"
	    "       mailinit user del ADDRESS | user list\n"
	    "       mailinit alias add SOURCE TARGET... | alias del SOURCE [TARGET] | alias "
	    "list\n"
	    "       mailinit domain list\n"
	    "       mailinit dkim show [DOMAIN] | dkim rotate DOMAIN | dkim remove DOMAIN "
	    "SELECTOR\n"
	    "       mailinit import DIR              accounts and aliases from "
	    "docker-mailserver's files\n"
	    "       mailinit help [settings [--markdown]]   this text, or every setting\n"
	    "       mailinit version\n",
	    out);
}

static const char *env_or(const char *name, const char *fallback)
{
	const char *value = getenv(name);

	return value && *value ? value : fallback;
}

static struct provision_options default_options(void)
{
	return (struct provision_options){
	    .config_dir = env_or("MAILINIT_CONFIG_DIR", "/etc/mailinit"),
	    .templates_dir = env_or("MAILINIT_TEMPLATES", MAILINIT_SHAREDIR "/templates"),
	    /* The image renders into /run (MAILINIT_ROOT=/run/mailinit): fresh at every
	       start, and the root file system can be read-only. */
	    .root = env_or("MAILINIT_ROOT", ""),
	    .mail_dir = env_or("MAILINIT_MAIL_DIR", "/var/mail"),
	};
}

/*
 * LOG_LEVEL and LOG_FORMAT before anything logs; settings_resolve checks them
 * later. LOG_FORMAT=json is for the server's log (run); a command typed by an
 * operator through "podman exec" answers in plain lines.
 */
static void early_log_level(bool server_log)
{
	enum log_level level;
	const char *text = getenv("LOG_LEVEL"), *format = getenv("LOG_FORMAT");

	if (text && log_level_parse(text, &level))
		log_set_level(level);
	log_set_json(server_log && format && strcmp(format, "json") == 0);
}

/* The supervisor-only path (provision = false) reads its three variables itself. */
static bool supervisor_environment(struct supervisor_config *config)
{
	struct settings s;
	struct problems problems = {0};

	settings_init(&s);
	settings_read_environment(&s, environ, &problems);
	for (int id = 0; id < SETTING_COUNT; id++) {
		if (id != S_STOP_GRACE && id != S_LOG_LEVEL && id != S_LOG_FORMAT && s.value[id]) {
			free(s.value[id]);
			s.value[id] = NULL;
		}
	}
	if (s.value[S_STOP_GRACE]) {
		unsigned long grace;
		const char *why;

		if (valid_uint(s.value[S_STOP_GRACE], 0, 3600, &grace, &why))
			config->stop_grace = (unsigned)grace;
		else
			problem(&problems,
				"STOP_GRACE: \"%s\" is not a number of seconds from 0 to 3600",
				s.value[S_STOP_GRACE]);
	}
	if (s.value[S_LOG_LEVEL]) {
		enum log_level level;

		if (!log_level_parse(s.value[S_LOG_LEVEL], &level))
			problem(&problems, "LOG_LEVEL: \"%s\" is not one of debug|info|warn|error",
				s.value[S_LOG_LEVEL]);
	}
	if (s.value[S_LOG_FORMAT] && strcmp(s.value[S_LOG_FORMAT], "plain") != 0 &&
	    strcmp(s.value[S_LOG_FORMAT], "json") != 0)
		problem(&problems, "LOG_FORMAT: \"%s\" is not one of plain|json",
			s.value[S_LOG_FORMAT]);
	settings_free(&s);
	return problems.count == 0;
}

/* The settings the running server started with: file, then environment. */
static unsigned load_settings(const struct provision_options *options, struct settings *settings,
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

static void load_running_settings(const struct provision_options *options,
				  struct settings *settings)
{
	load_settings(options, settings, false);
}

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
 * Provisioning runs in a child: OpenSSL, libconfuse and the rendering buffers
 * then never touch PID 1's memory, which stays small for as long as the
 * container runs (bench/RESULTS.md).
 */
static int provision_in_child(const struct provision_options *options, int *stop)
{
	struct settings settings;
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		log_error_sys("fork");
		return EX_OSERR;
	}
	if (pid == 0) {
		/* The child dies of SIGTERM, as any process does. */
		proc_reset_signals();
		status = provision(options, environ, &settings);
		settings_free(&settings);
		fflush(stdout);
		_exit(status);
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

static int remove_entry(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	return remove(path);
}

/* Where the last live reload's outcome is kept for "mailinit health". */
static void reload_status_path(const struct provision_options *options, char *path, size_t size)
{
	snprintf(path, size, "%s/reload-status", options->root[0] ? options->root : "/run");
}

/* "ok TIME" or "refused TIME", replaced whole (health may read it meanwhile). */
static void record_reload(const struct provision_options *options, int status)
{
	char path[PATH_MAX], text[64];
	int len = snprintf(text, sizeof(text), "%s %lld\n", status == 0 ? "ok" : "refused",
			   (long long)time(NULL));

	reload_status_path(options, path, sizeof(path));
	if (file_write(path, text, (size_t)len, 0644, 0, 0) != 0)
		log_warn("reload: cannot record the outcome in %s for mailinit health", path);
}

/*
 * The supervisor's reconfigure step: provisioning again in a child, staged
 * in a scratch directory and verified there before the live files change.
 */
static pid_t reprovision(void *context)
{
	struct provision_options options = *(const struct provision_options *)context;
	char staging[] = "/tmp/mailinit-reload.XXXXXX";
	struct settings settings;
	int64_t began;
	int status;
	pid_t pid = fork();

	if (pid != 0)
		return pid < 0 ? -errno : pid;
	/* PID 1 blocks and catches these for its signalfd; this child dies of SIGTERM. */
	proc_reset_signals();
	began = clock_ms();
	if (mkdtemp(staging) == NULL) {
		log_error_sys("reload: cannot make a staging directory in /tmp");
		_exit(EX_OSERR);
	}
	options.staging = staging;
	status = provision(&options, environ, &settings);
	settings_free(&settings);
	nftw(staging, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	record_reload(&options, status);
	if (status == 0)
		log_info("reload: configuration rendered and verified in %lld ms",
			 (long long)(clock_ms() - began));
	fflush(stdout);
	_exit(status);
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

/* The configuration directory, and the directories the certificate files are in. */
static void watch_inputs(struct supervisor_config *config, const struct provision_options *options,
			 const struct settings *settings)
{
	const enum setting_id files[] = {S_TLS_CERT_FILE, S_TLS_KEY_FILE};
	char dir[PATH_MAX];

	add_watch(config, options->config_dir);
	if (settings_get(settings, S_CERT_PATH))
		add_watch(config, settings_get(settings, S_CERT_PATH));
	for (size_t i = 0; i < sizeof(files) / sizeof(files[0]); i++) {
		if (settings_get(settings, files[i]) == NULL)
			continue;
		snprintf(dir, sizeof(dir), "%s", settings_get(settings, files[i]));
		add_watch(config, dirname(dir));
	}
}

static int command_run(int argc, char **argv)
{
	const char *path = env_or("MAILINIT_CONF", MAILINIT_SHAREDIR "/mailinit.conf");
	static struct provision_options options; /* the reconfigure step's, for the run */
	struct supervisor_config config;
	struct settings settings;
	int status;

	sigset_t handled;
	int stop;

	/* From the first moment: as PID 1, a signal with no handler is ignored. */
	signals_handled(&handled);
	sigprocmask(SIG_BLOCK, &handled, NULL);
	options = default_options();
	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--config") == 0 && i + 1 < argc) {
			path = argv[++i];
		} else {
			log_error("run: unknown argument \"%s\"", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	early_log_level(true);
	if (services_load(path, &config) != 0)
		return EX_CONFIG;
	if (config.provision) {
		int64_t began;

		/* Provisioning sets owners: name a missing capability before it fails on one. */
		if ((status = caps_check()) != 0) {
			services_free(&config);
			return status;
		}
		began = clock_ms();
		if ((status = provision_in_child(&options, &stop)) != 0 || stop) {
			services_free(&config);
			return status;
		}
		log_info("configuration rendered and verified in %lld ms",
			 (long long)(clock_ms() - began));
		load_running_settings(&options, &settings);
		config.stop_grace = (unsigned)settings_number(&settings, S_STOP_GRACE);
		enum log_level level;
		if (log_level_parse(settings_get(&settings, S_LOG_LEVEL), &level))
			log_set_level(level); /* the file may set them too */
		log_set_json(strcmp(settings_get(&settings, S_LOG_FORMAT), "json") == 0);
		watch_inputs(&config, &options, &settings);
		config.reconfigure = reprovision;
		config.reconfigure_context = &options;
		settings_free(&settings);
		if ((status = caps_check_and_drop()) != 0) {
			services_free(&config);
			return status;
		}
	} else if (!supervisor_environment(&config)) {
		services_free(&config);
		return EX_CONFIG;
	}
	log_info("mailinit %s: supervising %zu services from %s", MAILINIT_VERSION, config.count,
		 path);
	status = supervise_run(&config);
	services_free(&config);
	return status;
}

/*
 * What "check" does: provisioning in check mode into OUTPUT, or into a
 * scratch directory removed after. 0 when the server would take the
 * configuration. *settings as read: settings_free it.
 */
static int check_configuration(const char *output, struct settings *settings)
{
	struct provision_options options = default_options();
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
		nftw(options.root, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
	return status;
}

static int command_check(int argc, char **argv)
{
	const char *output = NULL;
	struct settings settings;
	int status;

	for (int i = 0; i < argc; i++) {
		if (strcmp(argv[i], "--output") == 0 && i + 1 < argc) {
			output = argv[++i];
		} else {
			log_error("check: unknown argument \"%s\"", argv[i]);
			usage(stderr);
			return EX_USAGE;
		}
	}
	early_log_level(false);
	status = check_configuration(output, &settings);
	if (status == 0) {
		printf("configuration OK: %s for %s", settings_get(&settings, S_MAIL_HOSTNAME),
		       settings_get(&settings, S_MAIL_DOMAIN));
		if (*settings_get(&settings, S_MAIL_DOMAINS))
			printf(" %s", settings_get(&settings, S_MAIL_DOMAINS));
		/* "dovecot (imap 143/993, pop3 110/995, sieve 4190)": the parts that are on. */
		const struct {
			enum setting_id on;
			const char *what;
		} parts[] = {{S_ENABLE_IMAP, "imap 143/993"},
			     {S_ENABLE_POP3, "pop3 110/995"},
			     {S_ENABLE_MANAGESIEVE, "sieve 4190"}};
		const char *sep = "";

		printf("\nwould start: dovecot (");
		for (size_t i = 0; i < sizeof(parts) / sizeof(parts[0]); i++) {
			if (settings_bool(&settings, parts[i].on)) {
				printf("%s%s", sep, parts[i].what);
				sep = ", ";
			}
		}
		printf("%s), %spostfix (smtp 25, submission 587, submissions 465)\n",
		       *sep ? "" : "lmtp",
		       settings_bool(&settings, S_ENABLE_DKIM) ? "opendkim, " : "");
		if (output)
			printf("rendered into %s\n", output);
	}
	settings_free(&settings);
	return status;
}

static int command_health(int argc, char **argv)
{
	struct provision_options options = default_options();
	struct settings settings;
	char path[PATH_MAX];
	bool json = argc > 0 && strcmp(argv[0], "--json") == 0;
	int status;

	if (argc > (json ? 1 : 0)) {
		usage(stderr);
		return EX_USAGE;
	}
	load_running_settings(&options, &settings);
	reload_status_path(&options, path, sizeof(path));
	status = health_run(&settings, json, path);
	settings_free(&settings);
	return status;
}

static int command_reload(int argc, char **argv)
{
	int status;

	(void)argv;
	if (argc != 0) {
		usage(stderr);
		return EX_USAGE;
	}
	/* The same checks the server will make, with their messages here. */
	char *check_argv[] = {NULL};
	if ((status = command_check(0, check_argv)) != 0) {
		log_error("reload: not asked for: the configuration has problems (above); the "
			  "running server keeps its configuration");
		return status;
	}
	if (!admin_signal_server()) {
		log_error("reload: PID 1 is not mailinit (run this inside the mail container: "
			  "podman exec NAME mailinit reload)");
		return EX_UNAVAILABLE;
	}
	printf("reload asked for: the server re-renders its configuration and reloads (see its "
	       "log)\n");
	return 0;
}

static bool admin_changes_files(const char *command, int argc, char **argv)
{
	const char *verb = argc > 0 ? argv[0] : "";

	return strcmp(command, "import") == 0 ||
	       (strcmp(command, "domain") != 0 && strcmp(verb, "list") != 0 &&
		strcmp(verb, "show") != 0);
}

static int command_admin(const char *command, int argc, char **argv)
{
	struct provision_options options = default_options();
	struct settings settings;
	bool settings_complete;
	enum log_level level;
	int status;

	early_log_level(false);
	/* Quiet: the commands need only the domains; "import" runs without MAIL_DOMAIN. */
	settings_complete = load_settings(&options, &settings, true) == 0;
	status = admin_main(command, argc, argv, options.config_dir, &settings);
	settings_free(&settings);
	/*
	 * The change is valid on its own; the server takes the files as a whole. A
	 * problem elsewhere (a hand edit, a setting) would refuse the reload and the
	 * next start, so say it here rather than report success. Not when there is
	 * no server and no settings to judge by (the one-off "import" container).
	 */
	if (status != 0 || !admin_changes_files(command, argc, argv) ||
	    (!settings_complete && !admin_server_runs()))
		return status;
	level = log_get_level();
	/* Its problems and warnings, not the scratch keys and certificate it makes. */
	if (level < LOG_LEVEL_WARN)
		log_set_level(LOG_LEVEL_WARN);
	status = check_configuration(NULL, &settings);
	settings_free(&settings);
	log_set_level(level);
	if (status != 0)
		log_error("%s: written, but the configuration as a whole is refused (the problems "
			  "are above): the running server keeps its last good configuration, and "
			  "the next start fails until they are fixed",
			  command);
	return status;
}

static int command_dns(int argc, char **argv)
{
	struct provision_options options = default_options();
	struct settings settings;
	char dkim_dir[PATH_MAX];
	int status;

	if (argc != 1) {
		usage(stderr);
		return EX_USAGE;
	}
	load_running_settings(&options, &settings);
	snprintf(dkim_dir, sizeof(dkim_dir), "%s/dkim", options.config_dir);
	status = dns_print(&settings, dkim_dir, argv[0]);
	settings_free(&settings);
	return status;
}

static int command_autoconfig(int argc, char **argv)
{
	struct provision_options options = default_options();
	struct settings settings;
	int status;

	if (argc < 1 || argc > 2) {
		usage(stderr);
		return EX_USAGE;
	}
	load_running_settings(&options, &settings);
	status = autoconfig_print(&settings, argv[0], argc == 2 ? argv[1] : NULL);
	settings_free(&settings);
	return status;
}

/* "--help" or "-h" anywhere: the usage, on stdout, and nothing else is done. */
static bool help_asked(int argc, char **argv)
{
	for (int i = 1; i < argc; i++) {
		if (strcmp(argv[i], "--help") == 0 || strcmp(argv[i], "-h") == 0)
			return true;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *command = argc > 1 ? argv[1] : "run";

	if (help_asked(argc, argv) || strcmp(command, "--version") == 0) {
		if (strcmp(command, "--version") == 0)
			printf("mailinit %s\n", MAILINIT_VERSION);
		else
			usage(stdout);
		return 0;
	}

	if (argc > 1 && strncmp(argv[1], "--", 2) == 0)
		return command_run(argc - 1, argv + 1); /* "mailinit --config FILE" */
	if (strcmp(command, "run") == 0)
		return command_run(argc > 1 ? argc - 2 : 0, argv + 2);
	if (strcmp(command, "check") == 0)
		return command_check(argc - 2, argv + 2);
	if (strcmp(command, "health") == 0)
		return command_health(argc - 2, argv + 2);
	if (strcmp(command, "dns") == 0)
		return command_dns(argc - 2, argv + 2);
	if (strcmp(command, "autoconfig") == 0)
		return command_autoconfig(argc - 2, argv + 2);
	if (strcmp(command, "reload") == 0)
		return command_reload(argc - 2, argv + 2);
	if (strcmp(command, "user") == 0 || strcmp(command, "alias") == 0 ||
	    strcmp(command, "domain") == 0 || strcmp(command, "dkim") == 0 ||
	    strcmp(command, "import") == 0)
		return command_admin(command, argc - 2, argv + 2);
	if (strcmp(command, "version") == 0) {
		printf("mailinit %s\n", MAILINIT_VERSION);
		return 0;
	}
	if (strcmp(command, "help") == 0) {
		if (argc > 2 && strcmp(argv[2], "settings") == 0) {
			settings_print_table(argc > 3 && strcmp(argv[3], "--markdown") == 0);
			return 0;
		}
		usage(stdout);
		return 0;
	}
	log_error("unknown command \"%s\"", command);
	usage(stderr);
	return EX_USAGE;
}
