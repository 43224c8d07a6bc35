/*
 * NAME
 *	caps - the capabilities the mail daemons need, and no others
 *
 * SYNOPSIS
 *	int status = caps_check();            0, or 78 naming each one missing
 *	int status = caps_check_and_drop();   0, 78 when one is missing, 71
 *
 * DESCRIPTION
 *	Postfix and Dovecot start as root and need CHOWN, DAC_OVERRIDE, FOWNER,
 *	SETUID, SETGID, NET_BIND_SERVICE, KILL and SYS_CHROOT. A missing one is
 *	named with the flag that adds it; every other capability is dropped
 *	from the bounding set before any daemon starts, so nothing started
 *	later can regain it, and from mailinit's own permitted and effective
 *	sets (PID 1 keeps the eight: it provisions and signals the daemons).
 *	caps_check runs before provisioning, which needs some of them too (it
 *	sets owners), so a missing one is named rather than failing there.
 */
#ifndef MAILINIT_CAPS_H
#define MAILINIT_CAPS_H

int caps_check(void);
int caps_check_and_drop(void);

#endif
