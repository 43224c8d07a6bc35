/*
 * NAME
 *	provision_maps - the Postfix maps and Dovecot's users from the accounts and aliases
 *
 * DESCRIPTION
 *	See provision_steps.h. vmailbox, virtual (with postmaster@ and abuse@ of
 *	every domain), sender-logins, own-domains, sasl_passwd, and Dovecot's
 *	passwd-file; hash: maps (postmap) above TEXTHASH_ENTRIES_MAX entries.
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/log.h"
#include "base/proc.h"
#include "base/text.h"
#include "mail/lookup_table.h"
#include "mail/networks.h"
#include "mail/provision_steps.h"

bool provision_maps_hashed(const struct context *c)
{
	return c->accounts.account_count + c->accounts.alias_count > TEXTHASH_ENTRIES_MAX;
}

/* postmap each account map, reading the main.cf just rendered. */
static int build_hash_maps(struct context *c)
{
	static const char *const maps[] = {"vmailbox", "virtual", "sender-logins"};
	char config[PATH_MAX], map[PATH_MAX + 32];

	snprintf(config, sizeof(config), "%s/etc/postfix", c->root);
	for (size_t i = 0; i < sizeof(maps) / sizeof(maps[0]); i++) {
		char *argv[] = {"postmap", "-c", config, map, NULL};
		struct buffer out = {0};
		int status;

		snprintf(map, sizeof(map), "hash:%s/%s", config, maps[i]);
		status = proc_run(argv, &out);
		if (status != 0)
			log_error("postmap %s failed: %s", map,
				  status < 0 ? strerror(-status) : out.data);
		buffer_free(&out);
		if (status != 0)
			return -1;
	}
	return 0;
}

/* Whether mail to ADDRESS goes somewhere: an account, an alias, or another domain's. */
static bool address_delivers(const struct context *c, const struct lookup_table *virtual,
			     const char *address)
{
	const char *at = strrchr(address, '@');

	if (at == NULL || !mail_domains_has(&c->domains, at + 1))
		return at != NULL;
	for (size_t i = 0; i < c->accounts.account_count; i++) {
		if (strcasecmp(c->accounts.account[i].address, address) == 0)
			return true;
	}
	return lookup_table_has(virtual, address);
}

/*
 * postmaster@ (RFC 5321 4.5.1) and abuse@ (RFC 2142) of every domain reach
 * POSTMASTER_ADDRESS, unless an account or alias of that address says otherwise.
 * When POSTMASTER_ADDRESS itself leads nowhere (its default, postmaster@MAIL_DOMAIN,
 * with no account or alias of that name), the first account takes the mail.
 */
static void add_role_addresses(struct context *c, struct lookup_table *virtual)
{
	static const char *const roles[] = {"postmaster", "abuse"};
	const char *target = settings_get(c->settings, S_POSTMASTER_ADDRESS);
	char key[ADDRESS_MAX];

	if (!address_delivers(c, virtual, target)) {
		if (c->accounts.account_count == 0) {
			log_warn(
			    "POSTMASTER_ADDRESS: %s has no mailbox and there is no account yet: "
			    "mail to postmaster@ and abuse@ is refused until you add an "
			    "account or set POSTMASTER_ADDRESS",
			    target);
			return;
		}
		target = c->accounts.account[0].address;
	}
	for (size_t i = 0; i < c->domains.count; i++) {
		for (size_t r = 0; r < sizeof(roles) / sizeof(roles[0]); r++) {
			snprintf(key, sizeof(key), "%s@%s", roles[r], c->domains.name[i]);
			lookup_table_add_default(virtual, key, target);
		}
	}
}

/*
 * ROLE=proxy: once the password is right, Dovecot hands the login (and an LMTP delivery) to
 * the account's mailbox server, and speaks TLS to it (STARTTLS: the backend's own ports).
 * Its certificate is the public name's, not the backend's, so any is taken: the cluster's
 * network policy, not the certificate, says who may answer there (docs/scaling.md).
 */
static const char *proxy_fields(const struct context *c, const struct account *acc)
{
	static char fields[300];

	snprintf(fields, sizeof(fields), "proxy=y host=%s starttls=any-cert",
		 acc->host[0] ? acc->host : settings_get(c->settings, S_MAILBOX_HOST));
	return fields;
}

int provision_maps(struct context *c)
{
	struct buffer vmailbox = {0}, virtual = {0}, logins = {0}, users = {0}, sasl = {0};
	struct buffer own = {0}, signing = {0};
	struct lookup_table virtual_table = {0}, logins_table = {0};
	struct accounts *a = &c->accounts;
	bool proxy = settings_role(c->settings) == ROLE_PROXY;
	int status = 0;

	buffer_puts(&vmailbox, "# Rendered by mailinit from /etc/mailinit/accounts\n");
	buffer_puts(&virtual, "# Rendered by mailinit from /etc/mailinit/aliases\n");
	for (size_t i = 0; i < a->account_count; i++) {
		const struct account *acc = &a->account[i];

		buffer_printf(&vmailbox, "%s %s/%s/\n", acc->address, acc->domain, acc->local);
		/* An identity entry, so a catch-all never takes a real mailbox's mail; an alias
		   of the same address adds its targets to it. */
		lookup_table_add(&virtual_table, acc->address, acc->address);
		lookup_table_add(&logins_table, acc->address, acc->address);
		buffer_printf(&users, "%s:%s::::::", acc->address, acc->password);
		if (proxy)
			buffer_printf(&users, "%s", proxy_fields(c, acc));
		else if (acc->quota)
			buffer_printf(&users, "userdb_quota_rule=*:storage=%lluB", acc->quota);
		buffer_puts(&users, "\n");
	}
	for (size_t i = 0; i < a->alias_count; i++) {
		lookup_table_add(&virtual_table, a->alias[i].source, a->alias[i].targets);
		if (a->alias[i].source[0] != '@')
			lookup_table_add(&logins_table, a->alias[i].source, a->alias[i].targets);
	}
	add_role_addresses(c, &virtual_table);
	/* Port 25's check_sender_access: our domains (and their subdomains) need a login. */
	for (size_t i = 0; i < c->domains.count; i++)
		buffer_printf(&own,
			      "%s REJECT 5.7.1 a sender in %s must log in to send (submission, "
			      "port 587 or 465)\n",
			      c->domains.name[i], c->domains.name[i]);
	lookup_table_write(&virtual_table, &virtual);
	lookup_table_write(&logins_table, &logins);
	if (settings_get(c->settings, S_RELAYHOST_USERNAME))
		buffer_printf(&sasl, "%s %s:%s\n", settings_get(c->settings, S_RELAYHOST),
			      settings_get(c->settings, S_RELAYHOST_USERNAME),
			      settings_get(c->settings, S_RELAYHOST_PASSWORD));
	/* Port 25's clients whose mail may be signed: the milters of submission (set_milters). */
	if (c->signing_milters[0]) {
		const char *networks = settings_get(c->settings, S_TRUSTED_NETWORKS);
		char network[256];

		buffer_printf(&signing, "127.0.0.0/8 %s\n::1/128 %s\n", c->signing_milters,
			      c->signing_milters);
		while (text_next_word(&networks, network, sizeof(network))) {
			network_write(network, false, &signing);
			buffer_printf(&signing, " %s\n", c->signing_milters);
		}
	}
	if (provision_write_file(c, "/etc/postfix/vmailbox", &vmailbox, 0644, 0) != 0 ||
	    provision_write_file(c, "/etc/postfix/signing-clients.cidr", &signing, 0644, 0) != 0 ||
	    provision_write_file(c, "/etc/postfix/virtual", &virtual, 0644, 0) != 0 ||
	    provision_write_file(c, "/etc/postfix/sender-logins", &logins, 0644, 0) != 0 ||
	    provision_write_file(c, "/etc/postfix/own-domains", &own, 0644, 0) != 0 ||
	    provision_write_file(c, "/etc/postfix/sasl_passwd", &sasl, 0600, 0) != 0 ||
	    provision_write_file(c, "/etc/dovecot/users", &users, 0640, c->dovecot_gid) != 0 ||
	    (provision_maps_hashed(c) && build_hash_maps(c) != 0))
		status = -1;
	lookup_table_free(&virtual_table);
	lookup_table_free(&logins_table);
	buffer_free(&vmailbox);
	buffer_free(&virtual);
	buffer_free(&logins);
	buffer_free(&users);
	buffer_free(&sasl);
	buffer_free(&own);
	buffer_free(&signing);
	return status;
}
