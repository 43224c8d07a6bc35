/*
 * NAME
 *	validate - syntax checks for the values an operator gives mailinit
 *
 * DESCRIPTION
 *	See validate.h. Domain rules are RFC 1035 host names (letters, digits,
 *	hyphens; labels of 1..63 not starting or ending with a hyphen; 253 in
 *	all), lowercase or not; internationalised names must be given in their
 *	xn-- form. Local parts are RFC 5322 dot-atoms.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/text.h"
#include "mail/validate.h"

static bool fail(const char **why, const char *reason)
{
	*why = reason;
	return false;
}

/* A DNS name of MIN_LABELS labels or more. */
static bool valid_name(const char *text, size_t min_labels, const char **why)
{
	size_t len = strlen(text), label = 0, labels = 1;

	if (len > 0 && text[len - 1] == '.')
		len--; /* one trailing dot: the root */
	if (len == 0)
		return fail(why, "is empty");
	if (len > 253)
		return fail(why, "is longer than 253 characters");
	for (size_t i = 0; i < len; i++) {
		unsigned char c = (unsigned char)text[i];

		if (c == '.') {
			if (label == 0)
				return fail(why, "has an empty label (two dots, or a leading dot)");
			if (text[i - 1] == '-')
				return fail(why, "has a label ending with a hyphen");
			label = 0;
			labels++;
			continue;
		}
		if (!isalnum(c) && c != '-')
			return fail(why, "may hold only letters, digits, hyphens and dots "
					 "(write internationalised names as xn--)");
		if (c == '-' && label == 0)
			return fail(why, "has a label starting with a hyphen");
		if (++label > 63)
			return fail(why, "has a label longer than 63 characters");
	}
	if (text[len - 1] == '-')
		return fail(why, "has a label ending with a hyphen");
	if (labels < min_labels)
		return fail(why, "is not a fully qualified name (example.com, mail.example.com)");
	for (size_t i = len; i > 0 && text[i - 1] != '.'; i--) {
		if (!isdigit((unsigned char)text[i - 1]))
			return true;
	}
	return fail(why, "ends in a numeric label: an IP address is not a domain");
}

bool valid_domain(const char *text, const char **why)
{
	return valid_name(text, 2, why);
}

bool valid_host(const char *text, const char **why)
{
	unsigned char buf[16];

	if (inet_pton(AF_INET, text, buf) == 1 || inet_pton(AF_INET6, text, buf) == 1)
		return true;
	if (!valid_name(text, 1, why))
		return fail(why, "is neither a host name (mailbox-1, mailbox-1.mail.svc) nor an "
				 "IP address");
	return true;
}

bool valid_server(const char *text, const char **why)
{
	char host[256];
	const char *colon;
	unsigned long port;
	size_t len;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL || close[1] != ':')
			return fail(why, "is not HOST:PORT or [IPv6]:PORT");
		len = (size_t)(close - text - 1);
		colon = close + 1;
		text++;
	} else {
		if ((colon = strrchr(text, ':')) == NULL || strchr(text, ':') != colon)
			return fail(why, "is not HOST:PORT or [IPv6]:PORT (e.g. mailbox:24)");
		len = (size_t)(colon - text);
	}
	if (len == 0 || len >= sizeof(host))
		return fail(why, "has no host, or one that is too long");
	memcpy(host, text, len);
	host[len] = '\0';
	if (!valid_uint(colon + 1, 1, 65535, &port, why))
		return fail(why, "has a port that is not 1-65535");
	return valid_host(host, why);
}

bool valid_local_part(const char *text, const char **why)
{
	static const char atext[] = "!#$%&'*+-/=?^_`{|}~";
	size_t len = strlen(text);

	if (len == 0)
		return fail(why, "has an empty local part (before the @)");
	if (len > 64)
		return fail(why, "has a local part longer than 64 characters");
	if (text[0] == '.' || text[len - 1] == '.' || strstr(text, ".."))
		return fail(why,
			    "has a dot at the start or end of the local part, or two in a row");
	for (const char *p = text; *p; p++) {
		/* Braces are atext, but templates and Dovecot take them as syntax. */
		if (*p == '{' || *p == '}' || *p == '|')
			return fail(why, "has {, } or | in the local part");
		/* The local part names the Maildir: a / would reach into another mailbox. */
		if (*p == '/')
			return fail(why, "has a / in the local part (it would name a folder of "
					 "another mailbox)");
		if (!isalnum((unsigned char)*p) && *p != '.' && !strchr(atext, *p))
			return fail(why, "has a character not allowed in an address's local part");
	}
	return true;
}

bool valid_address(const char *text, const char **why)
{
	const char *at = strrchr(text, '@');
	char local[128];

	if (at == NULL)
		return fail(why, "is not an address (user@example.com)");
	if ((size_t)(at - text) >= sizeof(local))
		return fail(why, "has a local part longer than 64 characters");
	memcpy(local, text, (size_t)(at - text));
	local[at - text] = '\0';
	if (!valid_local_part(local, why))
		return false;
	if (!valid_domain(at + 1, why)) {
		*why = "has an invalid domain after the @";
		return false;
	}
	return true;
}

bool valid_uint(const char *text, unsigned long min, unsigned long max, unsigned long *value,
		const char **why)
{
	char *end;
	unsigned long number;

	if (!isdigit((unsigned char)text[0]))
		return fail(why, "is not a whole number");
	errno = 0;
	number = strtoul(text, &end, 10);
	if (errno != 0 || *end != '\0')
		return fail(why, "is not a whole number");
	if (number < min || number > max)
		return fail(why, "is out of range");
	*value = number;
	return true;
}

bool valid_bool(const char *text, bool *value, const char **why)
{
	static const char *const yes[] = {"yes", "true", "1", "on"};
	static const char *const no[] = {"no", "false", "0", "off"};

	for (size_t i = 0; i < 4; i++) {
		if (strcasecmp(text, yes[i]) == 0) {
			*value = true;
			return true;
		}
		if (strcasecmp(text, no[i]) == 0) {
			*value = false;
			return true;
		}
	}
	return fail(why, "is not yes or no");
}

bool valid_network(const char *text, const char **why)
{
	char address[64];
	unsigned char buf[16];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long bits, max = 32;
	int family = AF_INET;

	if (len >= sizeof(address))
		return fail(why, "is not a network (192.0.2.0/24 or [2001:db8::]/32)");
	memcpy(address, text, len);
	address[len] = '\0';
	if (address[0] == '[' && len > 2 && address[len - 1] == ']') {
		memmove(address, address + 1, len - 2);
		address[len - 2] = '\0';
		family = AF_INET6;
		max = 128;
	} else if (strchr(address, ':')) {
		family = AF_INET6;
		max = 128;
	}
	if (inet_pton(family, address, buf) != 1)
		return fail(why, "is not a network (192.0.2.0/24 or [2001:db8::]/32)");
	if (slash && !valid_uint(slash + 1, 0, max, &bits, why))
		return fail(why, "has a prefix length that is not 0-32 (IPv4) or 0-128 (IPv6)");
	/* Bits set past the prefix: Postfix refuses the network (every mynetworks lookup then
	   fails), and clearing them would trust more than was meant: 203.0.113.5/3 is
	   192.0.0.0/3, an eighth of IPv4. Which one was meant, the operator says. */
	bool host_bits = false;

	for (unsigned long bit = slash ? bits : max; bit < max; bit++) {
		host_bits |= (buf[bit / 8] & (0x80u >> (bit % 8))) != 0;
		buf[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	}
	if (host_bits) {
		static char message[256];
		char network[INET6_ADDRSTRLEN];
		bool v6 = family == AF_INET6;

		inet_ntop(family, buf, network, sizeof(network));
		snprintf(message, sizeof(message),
			 "has bits set past its prefix: write %s%s%s/%lu for that network, or "
			 "%s%s%s/%lu for the one address",
			 v6 ? "[" : "", network, v6 ? "]" : "", bits, v6 ? "[" : "", address,
			 v6 ? "]" : "", max);
		return fail(why, message);
	}
	return true;
}

/* A number 0-255 at *P, taken; false if there is none. */
static bool dnsbl_byte(const char **p, unsigned *value)
{
	size_t digits = strspn(*p, "0123456789");

	if (digits == 0 || digits > 3)
		return false;
	*value = 0;
	for (size_t i = 0; i < digits; i++)
		*value = *value * 10 + (unsigned)((*p)[i] - '0');
	*p += digits;
	return *value <= 255;
}

/*
 * A reply filter as Postfix's ip_match(3) reads it: four parts separated by dots, each a
 * number 0-255 or a bracketed list of numbers and ranges, [2..11] or [2;4;6..8]. Postfix
 * stops postscreen on anything else, so it is refused here, where the operator reads why.
 */
static bool dnsbl_filter(const char *p, const char *end)
{
	unsigned low, high;

	for (int part = 0; part < 4; part++) {
		if (part > 0 && (p >= end || *p++ != '.'))
			return false;
		if (p < end && *p == '[') {
			do {
				p++;
				if (!dnsbl_byte(&p, &low))
					return false;
				if (end - p >= 2 && p[0] == '.' && p[1] == '.') {
					p += 2;
					if (!dnsbl_byte(&p, &high) || high < low)
						return false;
				}
			} while (p < end && *p == ';');
			if (p >= end || *p++ != ']')
				return false;
		} else if (!dnsbl_byte(&p, &low)) {
			return false;
		}
		if (p > end)
			return false;
	}
	return p == end;
}

bool valid_dnsbl_site(const char *text, const char **why)
{
	char domain[256];
	const char *end = text + strcspn(text, "=*"), *weight = strchr(end, '*');
	size_t len = (size_t)(end - text);

	if (len >= sizeof(domain))
		return fail(why, "is too long");
	memcpy(domain, text, len);
	domain[len] = '\0';
	if (!valid_domain(domain, why))
		return false;
	if (len > 0 && domain[len - 1] == '.')
		return fail(why, "ends with a dot (write the zone without it)");
	if (*end == '=' && !dnsbl_filter(end + 1, weight ? weight : end + strlen(end)))
		return fail(why, "has a reply filter that is not like 127.0.0.2 or "
				 "127.0.0.[2..11] (numbers 0-255)");
	if (weight) {
		const char *digits = weight + 1 + (weight[1] == '-');
		size_t count = strspn(digits, "0123456789");

		if (count == 0 || count > 6 || digits[count] != '\0')
			return fail(why, "has a weight after * that is not a whole number "
					 "(-999999 to 999999)");
	}
	return true;
}

bool valid_relayhost(const char *text, const char **why)
{
	char host[256];
	const char *port = NULL;
	size_t len;
	unsigned long number;

	if (text[0] == '[') {
		const char *close = strchr(text, ']');

		if (close == NULL)
			return fail(why, "has [ without ]");
		len = (size_t)(close - text - 1);
		if (len >= sizeof(host))
			return fail(why, "is too long");
		memcpy(host, text + 1, len);
		host[len] = '\0';
		if (close[1] == ':')
			port = close + 2;
		else if (close[1] != '\0')
			return fail(why, "has text after ] that is not :port");
	} else {
		const char *colon = strchr(text, ':');

		len = colon ? (size_t)(colon - text) : strlen(text);
		if (len >= sizeof(host))
			return fail(why, "is too long");
		memcpy(host, text, len);
		host[len] = '\0';
		port = colon ? colon + 1 : NULL;
	}
	if (port && !valid_uint(port, 1, 65535, &number, why))
		return fail(why, "has a port that is not 1-65535");
	if (!valid_domain(host, why)) {
		unsigned char buf[16];

		if (inet_pton(AF_INET, host, buf) != 1 && inet_pton(AF_INET6, host, buf) != 1)
			return fail(why, "is not host, host:port or [host]:port");
	}
	return true;
}

bool valid_path(const char *text, const char **why)
{
	if (text[0] != '/')
		return fail(why, "is not an absolute path");
	/* Postfix splits lists at blanks and commas; templates and Dovecot read the rest. */
	if (strpbrk(text, "\"'{}<>$ \t\\,") || find_control_character(text) >= 0)
		return fail(why, "has a blank, comma, quote, brace, <, >, $, backslash or control "
				 "character");
	return true;
}

bool same_domain(const char *a, const char *b)
{
	size_t la = strlen(a), lb = strlen(b);

	if (la > 0 && a[la - 1] == '.')
		la--;
	if (lb > 0 && b[lb - 1] == '.')
		lb--;
	return la == lb && strncasecmp(a, b, la) == 0;
}
