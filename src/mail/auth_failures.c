/*
 * NAME
 *	auth_failures - failed logins, read from the daemons' log lines
 *
 * DESCRIPTION
 *	See auth_failures.h. Runs in PID 1 for every log line: no allocation,
 *	and a line that is not one of the two kinds is left at its first bytes.
 */
#include <stdio.h>
#include <string.h>

#include "mail/auth_failures.h"

/* The last occurrence of NEEDLE in [text, text + len). */
static const char *find_last(const char *text, size_t len, const char *needle)
{
	size_t n = strlen(needle);
	const char *last = NULL;

	for (const char *p = text; (size_t)(text + len - p) >= n;) {
		const char *hit = memmem(p, (size_t)(text + len - p), needle, n);

		if (hit == NULL)
			break;
		last = hit;
		p = hit + 1;
	}
	return last;
}

static bool starts(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

/* Copy [from, to) into out if it is made of address characters only. */
static bool take_address(const char *from, const char *to, struct auth_failure *out)
{
	size_t n = (size_t)(to - from);

	if (n == 0 || n >= sizeof(out->address))
		return false;
	for (size_t i = 0; i < n; i++) {
		if (from[i] == '\0' || strchr("0123456789abcdefABCDEF.:", from[i]) == NULL)
			return false;
	}
	memcpy(out->address, from, n);
	out->address[n] = '\0';
	return true;
}

/* "dovecot: imap-login: Disconnected: ... (auth failed, 3 attempts in 9 secs): ... rip=A, " */
static bool parse_dovecot(const char *p, const char *end, struct auth_failure *out)
{
	static const char *const services[] = {"imap", "pop3", "managesieve", "submission"};
	const char *rip, *comma, *failed;
	size_t n = 0;

	for (size_t i = 0; i < sizeof(services) / sizeof(services[0]); i++) {
		n = strlen(services[i]);
		if (starts(p, end, services[i]) && starts(p + n, end, "-login: ")) {
			snprintf(out->service, sizeof(out->service), "%s", services[i]);
			break;
		}
		n = 0;
	}
	if (n == 0)
		return false;
	p += n + strlen("-login: ");
	/* Dovecot's own words, before the client's user name. */
	if ((failed = memmem(p, (size_t)(end - p), "(auth failed, ", 14)) == NULL ||
	    memmem(p, (size_t)(failed - p), "user=<", 6) != NULL)
		return false;
	out->attempts = 0;
	for (const char *q = failed + 14; q < end && *q >= '0' && *q <= '9'; q++)
		if (out->attempts < 1000)
			out->attempts = out->attempts * 10 + (unsigned)(*q - '0');
	if (out->attempts == 0 || (rip = find_last(p, (size_t)(end - p), ", rip=")) == NULL)
		return false;
	rip += 6;
	comma = memchr(rip, ',', (size_t)(end - rip));
	return take_address(rip, comma ? comma : end, out);
}

/* "postfix/submission/smtpd[41]: warning: host[192.0.2.7]: SASL PLAIN authentication
   failed: REASON" */
static bool parse_postfix(const char *tag_end, const char *end, struct auth_failure *out)
{
	const char *p = tag_end, *open, *close;

	while (p < end && *p != ':')
		p++;
	if (!starts(p, end, ": warning: "))
		return false;
	p += strlen(": warning: ");
	if ((open = memchr(p, '[', (size_t)(end - p))) == NULL ||
	    (close = memchr(open, ']', (size_t)(end - open))) == NULL ||
	    !starts(close, end, "]: SASL "))
		return false;
	p = close + strlen("]: SASL ");
	const char *failed = memmem(p, (size_t)(end - p), " authentication failed", 22);
	if (failed == NULL || memchr(p, ' ', (size_t)(failed - p)) != NULL ||
	    memmem(failed, (size_t)(end - failed), "authentication server", 21) != NULL)
		return false;
	out->attempts = 1;
	snprintf(out->service, sizeof(out->service), "smtp");
	return take_address(open + 1, close, out);
}

bool auth_failure_parse(const char *line, size_t len, struct auth_failure *out)
{
	const char *end = line + len;

	while (end > line && (end[-1] == '\n' || end[-1] == '\0'))
		end--;
	if (starts(line, end, "dovecot: "))
		return parse_dovecot(line + strlen("dovecot: "), end, out);
	if (starts(line, end, "postfix/")) {
		const char *bracket = memchr(line, '[', (size_t)(end - line));
		/* The program is smtpd: "postfix/smtpd", "postfix/submission/smtpd" ... */
		if (bracket && bracket - line >= 13 && memcmp(bracket - 6, "/smtpd", 6) == 0)
			return parse_postfix(bracket, end, out);
	}
	return false;
}
