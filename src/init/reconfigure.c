/*
 * NAME
 *	reconfigure - the live reload: the reconfigure step, then every service reloads
 *
 * DESCRIPTION
 *	See supervisor_state.h and service_file.h (struct supervisor_config). One
 *	step runs at a time; a change during it runs it again after.
 */
#include <errno.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <sys/pidfd.h>
#include <sys/wait.h>
#include <sysexits.h>
#include <unistd.h>

#include "base/clock.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/signals.h"
#include "init/supervisor_state.h"

bool reconfigure_allowed(const struct supervisor *sv)
{
	return sv->config->reconfigure || sv->config->reconfigure_argv[0];
}

/*
 * A change was seen or asked for: reconfigure after delay_ms of quiet, so a
 * burst of writes (an editor, certbot's four files) makes one reload; but
 * no later than four delays after the first change of the burst.
 */
void reconfigure_schedule(struct supervisor *sv, unsigned delay_ms)
{
	int64_t now = clock_ms();

	if (sv->reconfigure_pid > 0) {
		sv->reconfigure_again = true;
		return;
	}
	if (sv->reconfigure_at == 0)
		sv->reconfigure_first = now;
	sv->reconfigure_at = now + delay_ms;
	if (sv->reconfigure_at > sv->reconfigure_first + 4 * (int64_t)delay_ms)
		sv->reconfigure_at = sv->reconfigure_first + 4 * (int64_t)delay_ms;
}

void reconfigure_start(struct supervisor *sv)
{
	const struct supervisor_config *config = sv->config;
	pid_t pid = config->reconfigure ? config->reconfigure(config->reconfigure_context)
					: proc_spawn(config->reconfigure_argv);

	sv->reconfigure_at = 0;
	if (pid < 0) {
		log_error("reload: cannot start the reconfiguration: %s; the running "
			  "configuration keeps serving",
			  strerror((int)-pid));
		return;
	}
	log_info("reload: reconfiguring (pid %d)", (int)pid);
	sv->reconfigure_pid = pid;
}

void reconfigure_exited(struct supervisor *sv, int status)
{
	char how[96];

	sv->reconfigure_pid = 0;
	if (WIFEXITED(status) && WEXITSTATUS(status) == 0) {
		log_info("reload: configuration verified and in place; reloading the services");
		for (size_t i = 0; i < sv->count; i++) {
			if (sv->services[i].state == SVC_RUNNING)
				service_reload(sv, &sv->services[i]);
		}
	} else {
		proc_describe_status(status, how, sizeof(how));
		log_error("reload: the new configuration was refused (reconfiguration %s); the "
			  "running configuration keeps serving: fix what is reported above",
			  how);
	}
	if (sv->reconfigure_again) {
		sv->reconfigure_again = false;
		reconfigure_schedule(sv, sv->config->reconfigure_delay);
	}
}
