/*
 * NAME
 *	caps - the capabilities the mail daemons need, and no others
 *
 * DESCRIPTION
 *	See caps.h. Uses libcap.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sys/capability.h>
#include <sysexits.h>

#include "init/caps.h"
#include "base/log.h"

static const cap_value_t needed[] = {
    CAP_CHOWN,  CAP_DAC_OVERRIDE,     CAP_FOWNER, CAP_SETUID,
    CAP_SETGID, CAP_NET_BIND_SERVICE, CAP_KILL,   CAP_SYS_CHROOT,
};

static bool is_needed(cap_value_t cap)
{
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (needed[i] == cap)
			return true;
	}
	return false;
}

/* PID 1 itself: the runtime's defaults (NET_RAW, MKNOD, SETFCAP ...) go from its own sets too. */
static int keep_only_needed(void)
{
	cap_t caps = cap_init();
	int status = 0;

	if (caps == NULL ||
	    cap_set_flag(caps, CAP_PERMITTED, (int)(sizeof(needed) / sizeof(needed[0])), needed,
			 CAP_SET) != 0 ||
	    cap_set_flag(caps, CAP_EFFECTIVE, (int)(sizeof(needed) / sizeof(needed[0])), needed,
			 CAP_SET) != 0 ||
	    cap_set_proc(caps) != 0) {
		log_error_sys("cannot drop the capabilities mailinit does not need");
		status = EX_OSERR;
	}
	cap_free(caps);
	return status;
}

int caps_check(void)
{
	cap_t now = cap_get_proc();
	unsigned missing = 0;
	cap_flag_value_t on;

	if (now == NULL) {
		log_error_sys("cannot read this process's capabilities");
		return EX_OSERR;
	}
	for (size_t i = 0; i < sizeof(needed) / sizeof(needed[0]); i++) {
		if (cap_get_flag(now, needed[i], CAP_EFFECTIVE, &on) != 0 || on != CAP_SET) {
			char *name = cap_to_name(needed[i]);

			log_error("capability %s is missing: Postfix and Dovecot need it (run with "
				  "--cap-add %s)",
				  name, name + 4);
			cap_free(name);
			missing++;
		}
	}
	cap_free(now);
	return missing ? EX_CONFIG : 0;
}

int caps_check_and_drop(void)
{
	int status = caps_check();

	if (status != 0)
		return status;
	/* CAP_SETPCAP does the dropping, so it goes last (it is not needed after). */
	for (cap_value_t cap = 0; cap <= CAP_LAST_CAP; cap++) {
		if (!is_needed(cap) && cap != CAP_SETPCAP && CAP_IS_SUPPORTED(cap))
			cap_drop_bound(cap);
	}
	/* Not in the bounding set (--cap-drop ALL): nothing to drop, nothing to say. */
	if (CAP_IS_SUPPORTED(CAP_SETPCAP) && cap_get_bound(CAP_SETPCAP) == 1 &&
	    cap_drop_bound(CAP_SETPCAP) != 0)
		log_warn("cannot drop CAP_SETPCAP from the bounding set");
	return keep_only_needed();
}
