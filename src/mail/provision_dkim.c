/*
 * NAME
 *	provision_dkim - DKIM keys and OpenDKIM's tables
 *
 * DESCRIPTION
 *	See provision_steps.h and dkim.h.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/log.h"
#include "base/text.h"
#include "mail/dkim.h"
#include "mail/networks.h"
#include "mail/provision_steps.h"

/*
 * Each domain's key in /etc/mailinit/dkim, made when missing. "check" and a
 * reload verify the real key the server signs with (the selector "dkim
 * rotate" chose); only a missing one is made in check's scratch root.
 */
int provision_dkim_keys(struct context *c, struct problems *problems)
{
	char dir[PATH_MAX], real_dir[PATH_MAX], record[1024];

	snprintf(real_dir, sizeof(real_dir), "%s/dkim", c->options->config_dir);
	if (c->options->check)
		snprintf(dir, sizeof(dir), "%s/etc/mailinit/dkim", c->root);
	else
		snprintf(dir, sizeof(dir), "%s", real_dir);
	for (size_t i = 0; i < c->domains.count; i++) {
		char *key = c->dkim_keys[i];

		/* "mailinit dkim rotate" names the domain's selector; else DKIM_SELECTOR. */
		dkim_active_selector(real_dir, c->domains.name[i],
				     settings_get(c->settings, S_DKIM_SELECTOR),
				     c->dkim_selectors[i], sizeof(c->dkim_selectors[i]));
		if (snprintf(key, sizeof(c->dkim_keys[i]), "%s/%s/%s.private", real_dir,
			     c->domains.name[i],
			     c->dkim_selectors[i]) >= (int)sizeof(c->dkim_keys[i])) {
			problem(problems, "%s: the path of its DKIM key is too long", real_dir);
			continue;
		}
		if (access(key, F_OK) == 0 &&
		    dkim_public_record(key, record, sizeof(record)) != 0) {
			problem(
			    problems,
			    "%s: DKIM key of %s is not an RSA private key in PEM (replace it, or "
			    "remove it to have a new one made)",
			    key, c->domains.name[i]);
			continue;
		}
		if (c->options->check && access(key, F_OK) == 0)
			continue; /* the real one, checked */
		int made =
		    dkim_ensure_key(dir, c->domains.name[i], c->dkim_selectors[i], c->opendkim_uid,
				    c->opendkim_gid, key, sizeof(c->dkim_keys[i]));
		if (made < 0)
			return -1;
		if (made > 0) { /* a link where its directory belongs: logged, left alone */
			log_warn("%s: mail from it is not DKIM-signed until that is fixed",
				 c->domains.name[i]);
			key[0] = '\0';
		}
	}
	return 0;
}

int provision_dkim_tables(struct context *c)
{
	struct buffer keys = {0}, signing = {0}, trusted = {0};
	const char *networks = settings_get(c->settings, S_TRUSTED_NETWORKS);
	char network[256];
	int status;

	for (size_t i = 0; i < c->domains.count; i++) {
		const char *selector = c->dkim_selectors[i];

		if (c->dkim_keys[i][0] == '\0')
			continue; /* refused by provision_dkim_keys */

		buffer_printf(&keys, "%s._domainkey.%s %s:%s:%s\n", selector, c->domains.name[i],
			      c->domains.name[i], selector, c->dkim_keys[i]);
		buffer_printf(&signing, "*@%s %s._domainkey.%s\n", c->domains.name[i], selector,
			      c->domains.name[i]);
	}
	buffer_puts(&trusted, "127.0.0.0/8\n::1\n"); /* as mynetworks and signing-clients.cidr */
	while (text_next_word(&networks, network, sizeof(network))) {
		network_write(network, false, &trusted);
		buffer_puts(&trusted, "\n");
	}
	status = provision_write_file(c, "/etc/opendkim/KeyTable", &keys, 0644, 0) |
		 provision_write_file(c, "/etc/opendkim/SigningTable", &signing, 0644, 0) |
		 provision_write_file(c, "/etc/opendkim/TrustedHosts", &trusted, 0644, 0);
	buffer_free(&keys);
	buffer_free(&signing);
	buffer_free(&trusted);
	return status ? -1 : 0;
}
