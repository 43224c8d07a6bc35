/*
 * NAME
 *	auth_failures - failed logins, read from the daemons' log lines
 *
 * SYNOPSIS
 *	struct auth_failure f;
 *	if (auth_failure_parse("dovecot: imap-login: Disconnected: ... (auth failed, 3 "
 *			       "attempts in 9 secs): user=<a@b>, method=PLAIN, rip=192.0.2.7, ...",
 *			       len, &f))
 *		f.address "192.0.2.7", f.attempts 3, f.service "imap"
 *
 * DESCRIPTION
 *	Two kinds of line, as syslog_format leaves them ("TAG[PID]: message"):
 *	Dovecot's login processes at the end of a connection that failed to log
 *	in (imap-login, pop3-login, managesieve-login: "(auth failed, N
 *	attempts"), and Postfix's smtpd for each failed SMTP AUTH ("warning:
 *	HOST[ADDRESS]: SASL MECH authentication failed"; not when the reason is
 *	that Dovecot's auth could not be reached: that is not the client's
 *	fault). The user name in Dovecot's line is the client's to choose, so
 *	the address is the last "rip=" of the line, which Dovecot writes after it.
 */
#ifndef MAILINIT_AUTH_FAILURES_H
#define MAILINIT_AUTH_FAILURES_H

#include <stdbool.h>
#include <stddef.h>

struct auth_failure {
	char address[64];
	unsigned attempts;
	char service[16]; /* imap, pop3, managesieve, smtp */
};

bool auth_failure_parse(const char *line, size_t len, struct auth_failure *out);

#endif
