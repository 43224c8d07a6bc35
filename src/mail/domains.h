/*
 * NAME
 *	domains - the one set of mail domains
 *
 * SYNOPSIS
 *	struct mail_domains d;
 *	mail_domains_from_settings(&d, &settings);   MAIL_DOMAIN, then MAIL_DOMAINS
 *	mail_domains_add(&d, account->domain);       the domains accounts name too
 *	if (mail_domains_has(&d, "Example.COM.")) ...
 *	for (size_t i = 0; i < d.count; i++) ... d.name[i] ...
 *
 *	if (domain_is_configured(&settings, "example.com")) ...
 *
 * DESCRIPTION
 *	A mail domain is MAIL_DOMAIN, each of MAIL_DOMAINS, and the domain of
 *	every account (provisioning and the admin commands add those). Names
 *	are kept in lower case without a root dot, each once, in the order
 *	added (MAIL_DOMAIN first), up to MAIL_DOMAINS_MAX; compared as domain
 *	names. domain_is_configured asks the settings alone.
 */
#ifndef MAILINIT_DOMAINS_H
#define MAILINIT_DOMAINS_H

#include <stdbool.h>
#include <stddef.h>

#include "mail/settings.h"

#define MAIL_DOMAINS_MAX 256
#define DOMAIN_NAME_MAX  256

struct mail_domains {
	size_t count;
	char name[MAIL_DOMAINS_MAX][DOMAIN_NAME_MAX];
};

void mail_domains_from_settings(struct mail_domains *d, const struct settings *settings);
void mail_domains_add(struct mail_domains *d, const char *domain);
/* The set's name for DOMAIN, or NULL. */
const char *mail_domains_find(const struct mail_domains *d, const char *domain);
bool mail_domains_has(const struct mail_domains *d, const char *domain);
bool domain_is_configured(const struct settings *settings, const char *domain);

#endif
