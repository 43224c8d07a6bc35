/*
 * NAME
 *	dns - the DNS records to publish for a mail domain
 *
 * DESCRIPTION
 *	See dns.h. The DKIM records are the SELECTOR.txt files written beside
 *	each key when it was made (dkim.c), so what is printed is what signs.
 */
#include <dirent.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "dns.h"
#include "log.h"
#include "render.h"

static int txt_file(const struct dirent *entry)
{
	size_t len = strlen(entry->d_name);

	return len > 4 && strcmp(entry->d_name + len - 4, ".txt") == 0;
}

int dns_print(const struct settings *s, const char *dkim_dir, const char *domain)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent **entries = NULL;
	const char *why;
	int count;

	if (!valid_domain(domain, &why)) {
		log_error("dns: \"%s\" %s", domain, why);
		return EX_USAGE;
	}
	printf("; DNS records for %s (zone-file syntax)\n", domain);
	printf("%s.\tIN\tMX\t10 %s.\n", domain, settings_get(s, S_MAIL_HOSTNAME));
	printf("%s.\tIN\tTXT\t\"v=spf1 mx -all\"\n", domain);
	snprintf(dir, sizeof(dir), "%s/%s", dkim_dir, domain);
	count = scandir(dir, &entries, txt_file, alphasort);
	if (count <= 0) {
		log_error("dns: no DKIM key for %s in %s (is it a mail domain? keys are made at "
			  "start)",
			  domain, dir);
		free(entries);
		return EX_UNAVAILABLE;
	}
	for (int i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
		char *record = render_read_file(path, NULL);
		if (record) {
			fputs(record, stdout);
			free(record);
		}
		free(entries[i]);
	}
	free(entries);
	printf("_dmarc.%s.\tIN\tTXT\t\"v=DMARC1; p=quarantine; rua=mailto:%s\"\n", domain,
	       settings_get(s, S_POSTMASTER_ADDRESS));
	return 0;
}
