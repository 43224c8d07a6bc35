/*
 * NAME
 *	validate - syntax checks for the values an operator gives mailinit
 *
 * SYNOPSIS
 *	const char *why;
 *	if (!valid_domain("example.com", &why))
 *		problem(&problems, "MAIL_DOMAIN: %s", why);
 *
 * DESCRIPTION
 *	Each valid_* function returns true for a good value, or false and a
 *	short reason in *why (a static string, to follow "NAME: "). They accept
 *	only what cannot change the meaning of the configuration files the
 *	value is written into: no control characters anywhere, no braces or
 *	quotes where a template would take them as syntax.
 */
#ifndef MAILINIT_VALIDATE_H
#define MAILINIT_VALIDATE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/problems.h"

bool valid_domain(const char *text, const char **why);     /* example.com, at least two labels */
bool valid_local_part(const char *text, const char **why); /* the part before @ */
bool valid_address(const char *text, const char **why);    /* user@example.com */
bool valid_uint(const char *text, unsigned long min, unsigned long max, unsigned long *value,
		const char **why);
bool valid_bool(const char *text, bool *value, const char **why); /* yes/no/true/false/1/0/on/off */
bool valid_network(const char *text, const char **why); /* 192.0.2.0/24, [2001:db8::]/32, host IP */
/* A DNS blocklist in Postfix's syntax: zone[=reply filter][*weight]. */
bool valid_dnsbl_site(const char *text, const char **why);
bool valid_relayhost(const char *text, const char **why); /* host, host:port, [host]:port */
/* A server in the cluster: a host name of one label or more, or an IP address. */
bool valid_host(const char *text, const char **why);
bool valid_server(const char *text, const char **why); /* HOST:PORT, [IPv6]:PORT */
bool valid_path(const char *text, const char **why);   /* absolute, no quotes, braces or blanks */
/* True when two domain names are the same name (case, one trailing dot). */
bool same_domain(const char *a, const char *b);

#endif
