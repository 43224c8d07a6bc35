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

#include "mail/dns.h"
#include "mail/domains.h"
#include "base/log.h"
#include "base/file.h"

static int txt_file(const struct dirent *entry)
{
	size_t len = strlen(entry->d_name);

	return len > 4 && strcmp(entry->d_name + len - 4, ".txt") == 0;
}

/* FNV-1a: the policy id changes exactly when the policy does. */
static unsigned long long policy_id(const char *policy)
{
	unsigned long long hash = 0xcbf29ce484222325ULL;

	for (const unsigned char *p = (const unsigned char *)policy; *p; p++)
		hash = (hash ^ *p) * 0x100000001b3ULL;
	return hash;
}

/* TLS-RPT, and MTA-STS with the policy file it needs served over HTTPS. */
static void print_tls_records(const struct settings *s, const char *domain)
{
	char policy[512];

	snprintf(policy, sizeof(policy), "version: STSv1\nmode: testing\nmx: %s\nmax_age: 604800\n",
		 settings_get(s, S_MAIL_HOSTNAME));
	printf("_smtp._tls.%s.\tIN\tTXT\t\"v=TLSRPTv1; rua=mailto:%s\"\n", domain,
	       settings_get(s, S_POSTMASTER_ADDRESS));
	printf("_mta-sts.%s.\tIN\tTXT\t\"v=STSv1; id=%016llx\"\n", domain, policy_id(policy));
	printf("; MTA-STS also needs this policy served at "
	       "https://mta-sts.%s/.well-known/mta-sts.txt\n"
	       "; (a web server with a valid certificate for mta-sts.%s; change \"mode: "
	       "testing\" to\n"
	       "; \"mode: enforce\" once the TLS reports are clean, and the id above with it):\n",
	       domain, domain);
	for (const char *line = policy; *line;) {
		size_t len = strcspn(line, "\n");

		printf(";   %.*s\n", (int)len, line);
		line += len + 1;
	}
}

/* RFC 6186 (and RFC 8314: implicit TLS first): where clients find each service; "." for
   a service that is off, so a client does not go looking for it. */
static void print_srv_records(const struct settings *s, const char *domain)
{
	static const struct {
		const char *service;
		unsigned priority, port;
		enum setting_id enabled; /* SETTING_COUNT: always on */
	} srv[] = {
	    {"submissions", 0, 465, SETTING_COUNT},   {"submission", 10, 587, SETTING_COUNT},
	    {"imaps", 0, 993, S_ENABLE_IMAP},         {"imap", 10, 143, S_ENABLE_IMAP},
	    {"pop3s", 0, 995, S_ENABLE_POP3},         {"pop3", 10, 110, S_ENABLE_POP3},
	    {"sieve", 0, 4190, S_ENABLE_MANAGESIEVE},
	};

	for (size_t i = 0; i < sizeof(srv) / sizeof(srv[0]); i++) {
		if (srv[i].enabled == SETTING_COUNT || settings_bool(s, srv[i].enabled))
			printf("_%s._tcp.%s.\tIN\tSRV\t%u 1 %u %s.\n", srv[i].service, domain,
			       srv[i].priority, srv[i].port, settings_get(s, S_MAIL_HOSTNAME));
		else
			printf("_%s._tcp.%s.\tIN\tSRV\t0 0 0 .\n", srv[i].service, domain);
	}
}

int dns_print(const struct settings *s, const char *dkim_dir, const char *domain)
{
	char dir[PATH_MAX], path[PATH_MAX * 2];
	struct dirent **entries = NULL;
	bool dkim = settings_bool(s, S_ENABLE_DKIM);
	const char *why;
	int count;

	if (!valid_domain(domain, &why)) {
		log_error("dns: \"%s\" %s", domain, why);
		return EX_USAGE;
	}
	snprintf(dir, sizeof(dir), "%s/%s", dkim_dir, domain);
	count = scandir(dir, &entries, txt_file, alphasort);
	/* Nothing is printed for a domain that is not ours (an account's domain has DKIM keys):
	   half a zone is worse than none. */
	if (!domain_is_configured(s, domain) && count <= 0) {
		log_error("dns: %s is not a mail domain here (MAIL_DOMAIN, MAIL_DOMAINS, or the "
			  "domain of an account)",
			  domain);
		free(entries);
		return EX_NOUSER;
	}
	if (dkim && count <= 0) {
		log_error("dns: no DKIM key for %s in %s yet (keys are made when the server "
			  "starts: start it, then ask again)",
			  domain, dir);
		free(entries);
		return EX_UNAVAILABLE;
	}
	printf("; DNS records for %s (zone-file syntax)\n", domain);
	printf("%s.\tIN\tMX\t10 %s.\n", domain, settings_get(s, S_MAIL_HOSTNAME));
	printf("%s.\tIN\tTXT\t\"v=spf1 mx -all\"\n", domain);
	for (int i = 0; i < count; i++) {
		snprintf(path, sizeof(path), "%s/%s", dir, entries[i]->d_name);
		char *record = dkim ? file_read(path, NULL) : NULL;
		if (record) {
			fputs(record, stdout);
			free(record);
		}
		free(entries[i]);
	}
	free(entries);
	printf("_dmarc.%s.\tIN\tTXT\t\"v=DMARC1; p=quarantine; rua=mailto:%s\"\n", domain,
	       settings_get(s, S_POSTMASTER_ADDRESS));
	print_tls_records(s, domain);
	print_srv_records(s, domain);
	return 0;
}
