/*
 * NAME
 *	domains - whether a domain is one of the mail domains the settings name
 *
 * DESCRIPTION
 *	See domains.h.
 */
#include "mail/domains.h"
#include "mail/validate.h"

bool domain_is_configured(const struct settings *s, const char *domain)
{
	char words[64][256];
	size_t n = settings_split(settings_get(s, S_MAIL_DOMAINS), words, 64);

	if (same_domain(settings_get(s, S_MAIL_DOMAIN), domain))
		return true;
	for (size_t i = 0; i < n; i++) {
		if (same_domain(words[i], domain))
			return true;
	}
	return false;
}
