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
 *	policy file it needs served over HTTPS (mode testing, the MX named).
 *
 * DIAGNOSTICS
 *	An unknown domain or a missing DKIM key is named; exit 64 or 69.
 */
#ifndef MAILINIT_DNS_H
#define MAILINIT_DNS_H

#include "settings.h"

int dns_print(const struct settings *settings, const char *dkim_dir, const char *domain);

#endif
