/*
 * NAME
 *	provision_steps - the steps of provision(), and the state they share
 *
 * SYNOPSIS
 *	struct context *c;                  one provisioning run (provision.c)
 *	provision_certificate(c, &problems)    read, check and keep the pair (provision_tls.c)
 *	provision_sni_read(c, &problems)       the same for each of CERTS_DIR (provision_sni.c)
 *	provision_dkim_keys(c, &problems)      each domain's key (provision_dkim.c)
 *	provision_render(c)                    every file under c->root (provision_render.c)
 *	provision_verify(c, &problems)         postconf, doveconf, opendkim, sievec
 *
 * DESCRIPTION
 *	Internal to mail/provision*.c. Each step reads what the steps before it
 *	left in the context; provision() runs them in order (provision.h).
 *	provision_render calls provision_maps (provision_maps.c),
 *	provision_sni_render and provision_dkim_tables; the templates' variables are set_var'd
 *there.
 */
#ifndef MAILINIT_PROVISION_STEPS_H
#define MAILINIT_PROVISION_STEPS_H

#include <limits.h>
#include <stdbool.h>
#include <sys/types.h>

#include "base/buffer.h"
#include "base/problems.h"
#include "mail/accounts.h"
#include "mail/domains.h"
#include "mail/provision.h"
#include "mail/settings.h"

#define VARS_MAX 48
/* Above this many accounts and aliases, hash: maps (built by postmap) beat texthash:,
   which every smtpd reads whole when it starts: bench/RESULTS.md. */
#define TEXTHASH_ENTRIES_MAX 2000
/* The certificate pair the daemons serve, under the render root (read_certificate_pair). */
#define TLS_PAIR "/etc/ssl/mailinit/pair.pem"
/* How many certificates CERTS_DIR may hold (provision_sni.c; SNI_PAIRS: provision.h). */
#define SNI_MAX 64

struct sni_certificate {
	char dir[PATH_MAX];    /* the operator's directory, for messages */
	char id[NAME_MAX + 1]; /* its name: the pair is rendered as SNI_PAIRS/ID.pem */
	struct buffer pair;    /* the key, then the chain, as read and checked */
	struct buffer names;   /* the names it is served for: "mail.example.org *.example.org" */
};

struct context {
	const struct provision_options *options;
	const char *root; /* where provision_render writes: options->root, or the staging root */
	struct settings *settings;
	struct accounts accounts;
	struct mail_domains domains;
	char cert[PATH_MAX], key[PATH_MAX];
	struct buffer tls_pair; /* the key, then the chain: as read and checked, to be served */
	struct sni_certificate sni[SNI_MAX];
	size_t sni_count;
	char dkim_keys[MAIL_DOMAINS_MAX][PATH_MAX];
	char dkim_selectors[MAIL_DOMAINS_MAX][64];
	const char *var_name[VARS_MAX];
	char *var_value[VARS_MAX];
	size_t var_count;
	bool vars_overflow; /* set_var had no room: a mailinit bug, said once */
	uid_t opendkim_uid;
	gid_t opendkim_gid, dovecot_gid;
	/* Postfix's milter lists (set_milters): for mail that may be signed (logged-in users,
	   trusted networks, mail made here), and for the rest of port 25. */
	char signing_milters[256], inbound_milters[128];
};

int provision_certificate(struct context *c, struct problems *problems);
int provision_sni_read(struct context *c, struct problems *problems);
int provision_sni_render(struct context *c);
void provision_sni_free(struct context *c);
int provision_dkim_keys(struct context *c, struct problems *problems);
int provision_dkim_tables(struct context *c);
bool provision_maps_hashed(const struct context *c);
int provision_maps(struct context *c);
int provision_render(struct context *c);
void provision_verify(struct context *c, struct problems *problems);
/* Write B to TARGET under the render root. */
int provision_write_file(struct context *c, const char *target, const struct buffer *b, mode_t mode,
			 gid_t gid);

#endif
