/*
 * NAME
 *	domains - the one set of mail domains
 *
 * DESCRIPTION
 *	See domains.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/text.h"
#include "mail/domains.h"
#include "mail/validate.h"

void mail_domains_add(struct mail_domains *d, const char *domain)
{
	char lower[DOMAIN_NAME_MAX];
	size_t n = 0;

	if (domain == NULL)
		return;
	for (; n < sizeof(lower) - 1 && domain[n]; n++)
		lower[n] = (char)tolower((unsigned char)domain[n]);
	if (n > 0 && lower[n - 1] == '.')
		n--;
	lower[n] = '\0';
	if (n == 0 || mail_domains_has(d, lower) || d->count == MAIL_DOMAINS_MAX)
		return;
	snprintf(d->name[d->count++], sizeof(d->name[0]), "%s", lower);
}

void mail_domains_from_settings(struct mail_domains *d, const struct settings *s)
{
	const char *list = settings_get(s, S_MAIL_DOMAINS);
	char word[DOMAIN_NAME_MAX];

	d->count = 0;
	mail_domains_add(d, settings_get(s, S_MAIL_DOMAIN));
	while (list && text_next_word(&list, word, sizeof(word)))
		mail_domains_add(d, word);
}

const char *mail_domains_find(const struct mail_domains *d, const char *domain)
{
	for (size_t i = 0; i < d->count; i++) {
		if (same_domain(d->name[i], domain))
			return d->name[i];
	}
	return NULL;
}

bool mail_domains_has(const struct mail_domains *d, const char *domain)
{
	return mail_domains_find(d, domain) != NULL;
}

bool domain_is_configured(const struct settings *s, const char *domain)
{
	static struct mail_domains d; /* 64 KiB: not on the stack */

	mail_domains_from_settings(&d, s);
	return mail_domains_has(&d, domain);
}
