/*
 * NAME
 *	autoconfig - the documents mail clients configure themselves from
 *
 * DESCRIPTION
 *	See autoconfig.h. Domains and host names are validated names, so
 *	nothing printed into the XML needs escaping.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <sysexits.h>

#include "mail/autoconfig.h"
#include "mail/domains.h"
#include "base/log.h"

struct endpoint {
	const char *protocol; /* Mozilla's type */
	unsigned port;
	bool implicit_tls;
	enum setting_id enabled; /* SETTING_COUNT: always on */
};

/* Implicit TLS first (RFC 8314): clients take the first one that works. */
static const struct endpoint incoming[] = {
    {"imap", 993, true, S_ENABLE_IMAP},
    {"imap", 143, false, S_ENABLE_IMAP},
    {"pop3", 995, true, S_ENABLE_POP3},
    {"pop3", 110, false, S_ENABLE_POP3},
};
static const struct endpoint outgoing[] = {
    {"smtp", 465, true, SETTING_COUNT},
    {"smtp", 587, false, SETTING_COUNT},
};

static bool on(const struct settings *s, const struct endpoint *e)
{
	return e->enabled == SETTING_COUNT || settings_bool(s, e->enabled);
}

static void mozilla_server(const char *element, const struct endpoint *e, const char *host)
{
	printf("    <%s type=\"%s\">\n"
	       "      <hostname>%s</hostname>\n"
	       "      <port>%u</port>\n"
	       "      <socketType>%s</socketType>\n"
	       "      <authentication>password-cleartext</authentication>\n"
	       "      <username>%%EMAILADDRESS%%</username>\n"
	       "    </%s>\n",
	       element, e->protocol, host, e->port, e->implicit_tls ? "SSL" : "STARTTLS", element);
}

static void print_mozilla(const struct settings *s, const char *domain)
{
	const char *host = settings_get(s, S_MAIL_HOSTNAME);

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<clientConfig version=\"1.1\">\n"
	       "  <emailProvider id=\"%s\">\n"
	       "    <domain>%s</domain>\n"
	       "    <displayName>%s</displayName>\n"
	       "    <displayShortName>%s</displayShortName>\n",
	       domain, domain, domain, domain);
	for (size_t i = 0; i < sizeof(incoming) / sizeof(incoming[0]); i++) {
		if (on(s, &incoming[i]))
			mozilla_server("incomingServer", &incoming[i], host);
	}
	for (size_t i = 0; i < sizeof(outgoing) / sizeof(outgoing[0]); i++)
		mozilla_server("outgoingServer", &outgoing[i], host);
	printf("  </emailProvider>\n</clientConfig>\n");
}

/* Outlook's POX schema has one entry per protocol: the implicit-TLS port. */
static void microsoft_protocol(const char *type, unsigned port, const char *host)
{
	printf("      <Protocol>\n"
	       "        <Type>%s</Type>\n"
	       "        <Server>%s</Server>\n"
	       "        <Port>%u</Port>\n"
	       "        <DomainRequired>off</DomainRequired>\n"
	       "        <SPA>off</SPA>\n"
	       "        <SSL>on</SSL>\n"
	       "        <AuthRequired>on</AuthRequired>\n"
	       "      </Protocol>\n",
	       type, host, port);
}

static void print_microsoft(const struct settings *s)
{
	const char *host = settings_get(s, S_MAIL_HOSTNAME);

	printf("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
	       "<Autodiscover "
	       "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/responseschema/2006\">\n"
	       "  <Response "
	       "xmlns=\"http://schemas.microsoft.com/exchange/autodiscover/outlook/"
	       "responseschema/2006a\">\n"
	       "    <Account>\n"
	       "      <AccountType>email</AccountType>\n"
	       "      <Action>settings</Action>\n");
	if (settings_bool(s, S_ENABLE_IMAP))
		microsoft_protocol("IMAP", 993, host);
	if (settings_bool(s, S_ENABLE_POP3))
		microsoft_protocol("POP3", 995, host);
	microsoft_protocol("SMTP", 465, host);
	printf("    </Account>\n  </Response>\n</Autodiscover>\n");
}

int autoconfig_print(const struct settings *s, const char *domain, const char *kind)
{
	const char *why;

	if (!valid_domain(domain, &why)) {
		log_error("autoconfig: \"%s\" %s", domain, why);
		return EX_USAGE;
	}
	if (kind && strcmp(kind, "mozilla") != 0 && strcmp(kind, "microsoft") != 0) {
		log_error("autoconfig: \"%s\" is not one of mozilla|microsoft", kind);
		return EX_USAGE;
	}
	if (!domain_is_configured(s, domain)) {
		log_error("autoconfig: %s is not MAIL_DOMAIN or one of MAIL_DOMAINS", domain);
		return EX_NOUSER;
	}
	if (kind == NULL)
		printf("<!-- mozilla: serve at https://autoconfig.%s/mail/config-v1.1.xml and\n"
		       "     https://%s/.well-known/autoconfig/mail/config-v1.1.xml\n"
		       "     (mailinit autoconfig %s mozilla > config-v1.1.xml) -->\n",
		       domain, domain, domain);
	if (kind == NULL || strcmp(kind, "mozilla") == 0)
		print_mozilla(s, domain);
	if (kind == NULL)
		printf("<!-- microsoft: answer POSTs to "
		       "https://autodiscover.%s/autodiscover/autodiscover.xml with\n"
		       "     (mailinit autoconfig %s microsoft > autodiscover.xml) -->\n",
		       domain, domain);
	if (kind == NULL || strcmp(kind, "microsoft") == 0)
		print_microsoft(s);
	return 0;
}
