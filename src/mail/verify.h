/*
 * NAME
 *	verify - ask Postfix, Dovecot and OpenDKIM whether they accept a config
 *
 * SYNOPSIS
 *	verify_postfix("/etc/postfix", &problems);
 *	verify_dovecot("/etc/dovecot/dovecot.conf", &problems);
 *	verify_opendkim("/etc/opendkim.conf", &problems);
 *
 * DESCRIPTION
 *	Runs "postconf -c DIR -n" and "postconf -c DIR -M" (postconf exits 0
 *	on unknown parameters, so any "warning:" line is a problem),
 *	"doveconf -n -c FILE", "opendkim -n -x FILE" and "sievec -c DOVECOT_CONF SCRIPT". Each
 *complaint is reported with the daemon's own words; an unknown Postfix parameter also names the
 *POSTFIX_ variable that would have set it.
 */
#ifndef MAILINIT_VERIFY_H
#define MAILINIT_VERIFY_H

#include "mail/validate.h"

void verify_postfix(const char *config_dir, struct problems *problems);
void verify_dovecot(const char *config_file, struct problems *problems);
void verify_opendkim(const char *config_file, struct problems *problems);
/* Compile global Sieve scripts beside themselves (.svbin), one file or every *.sieve of a
   directory: Dovecot runs them as vmail, which may not write there, so it must be done now. */
void verify_sieve(const char *script, const char *dovecot_config, struct problems *problems);

#endif
