/*
 * NAME
 *	autoconfig - the documents mail clients configure themselves from
 *
 * SYNOPSIS
 *	mailinit autoconfig DOMAIN [mozilla|microsoft]
 *	int status = autoconfig_print(&settings, "example.com", "mozilla");
 *
 * DESCRIPTION
 *	Like the MTA-STS policy, these are served by the operator's web
 *	server, not by the mail server:
 *
 *	mozilla: Thunderbird's autoconfig (config-v1.1.xml), at
 *	https://autoconfig.DOMAIN/mail/config-v1.1.xml and
 *	https://DOMAIN/.well-known/autoconfig/mail/config-v1.1.xml.
 *
 *	microsoft: Outlook's POX autodiscover response, at
 *	https://autodiscover.DOMAIN/autodiscover/autodiscover.xml (answered
 *	to a POST; the response does not depend on the request).
 *
 *	Both list implicit TLS first (RFC 8314), then STARTTLS, only the
 *	protocols that are on, MAIL_HOSTNAME as the server and the whole
 *	address as the login. With no kind, where each goes and then both.
 *
 * DIAGNOSTICS
 *	Exit 64: not a domain name or an unknown kind; 67: not a mail domain.
 */
#ifndef MAILINIT_AUTOCONFIG_H
#define MAILINIT_AUTOCONFIG_H

#include "mail/settings.h"

int autoconfig_print(const struct settings *settings, const char *domain, const char *kind);

#endif
