/*
 * NAME
 *	dns - the DNS records to publish for a mail domain
 *
 * SYNOPSIS
 *	mailinit dns DOMAIN
 *	int status = dns_print(&settings, dkim_dir, "example.com");
 *
 * DESCRIPTION
 *	Prints, in zone-file syntax ready to paste: the MX pointing at
 *	MAIL_HOSTNAME, an SPF record allowing only the MX, the DKIM public key
 *	of every selector kept for the domain (the one it signs with and any
 *	older one not yet removed), a DMARC policy (quarantine, reports to the
 *	postmaster address), a TLS-RPT record, and an MTA-STS record with the
 *	policy file it needs served over HTTPS (mode testing, the MX named),
 *	and the RFC 6186 SRV records mail clients configure themselves from
 *	(implicit TLS preferred, RFC 8314; "." for a protocol that is off).
 *
 * DIAGNOSTICS
 *	Nothing is printed for a domain that is not ours. Exit 64: not a
 *	domain name; 67: not a mail domain here; 69: DKIM is on and the
 *	domain has no key yet (the server makes them when it starts).
 */
#ifndef MAILINIT_DNS_H
#define MAILINIT_DNS_H

#include "mail/settings.h"

int dns_print(const struct settings *settings, const char *dkim_dir, const char *domain);

#endif
