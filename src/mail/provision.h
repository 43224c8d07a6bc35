/*
 * NAME
 *	provision - turn settings and /etc/mailinit into a verified mail server config
 *
 * SYNOPSIS
 *	struct provision_options o = {.config_dir = "/etc/mailinit", .root = ""};
 *	struct settings settings;
 *	int status = provision(&o, environ, &settings);   0, or the exit status to end with
 *	settings_free(&settings);                          the settings as read, either way
 *
 * DESCRIPTION
 *	What a start does before anything runs: read the settings (built-in defaults, then
 *	CONFIG_DIR/mailinit.conf, then the environment) and check them all;
 *	read CONFIG_DIR/accounts and aliases; find the certificate (waiting
 *	for it with inotify, or making a self-signed one); make missing DKIM
 *	keys; render every configuration file from the templates under ROOT
 *	(ROOT "" is the running system; `mailinit check` uses a scratch
 *	directory); verify them with postconf, doveconf and opendkim; and,
 *	unless checking, create missing Maildirs and fix the owners under
 *	/var/mail. The steps are provision_*.c (provision_steps.h);
 *	docs/architecture.md follows a setting through them.
 *
 *	A reload sets STAGING, an empty scratch directory: everything is
 *	rendered and verified there first, and only then rendered again, from
 *	the same inputs already in memory, into ROOT. A refused reload changes
 *	nothing the running daemons read. It never waits for a certificate
 *	and never makes the demo account.
 *
 * DIAGNOSTICS
 *	Every problem one line, all at once; then 78 (configuration), 75 (the
 *	certificate did not appear within CERT_WAIT) or 71 (the system).
 */
#ifndef MAILINIT_PROVISION_H
#define MAILINIT_PROVISION_H

#include <stdbool.h>

#include "mail/settings.h"

/* Under the render root: the pairs served by SNI (CERTS_DIR), N.pem each; health reads them. */
#define SNI_PAIRS "/etc/ssl/mailinit/sni"

struct provision_options {
	const char *config_dir;         /* inputs: mailinit.conf, accounts, aliases, overrides */
	const char *templates_dir;      /* templates/ as installed */
	const char *root;               /* where to render: "" for the system */
	const char *staging;            /* reload: render and verify here first, then root */
	const char *mail_dir;           /* /var/mail */
	bool check;                     /* mailinit check: no waiting, no Maildirs, no chown */
	const char *container_hostname; /* tests: instead of gethostname() */
};

int provision(const struct provision_options *options, char *const *env,
	      struct settings *settings_out);

#endif
