/*
 * NAME
 *	domains - whether a domain is one of the mail domains the settings name
 *
 * SYNOPSIS
 *	if (domain_is_configured(&settings, "example.com")) ...
 *
 * DESCRIPTION
 *	True for MAIL_DOMAIN and each of MAIL_DOMAINS, compared as domain
 *	names (case and a root dot do not matter). The domains of accounts
 *	are mail domains too; provisioning, which reads the accounts, adds
 *	them (provision.c).
 */
#ifndef MAILINIT_DOMAINS_H
#define MAILINIT_DOMAINS_H

#include <stdbool.h>

#include "mail/settings.h"

bool domain_is_configured(const struct settings *settings, const char *domain);

#endif
