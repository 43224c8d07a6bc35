/*
 * NAME
 *	demo_account - DEMO_ACCOUNT: the first account, its password shown once
 *
 * SYNOPSIS
 *	if (demo_account_make("demo@example.test", "/etc/mailinit/accounts") != 0) fail;
 *
 * DESCRIPTION
 *	Writes the accounts file with ADDRESS and a generated password's hash,
 *	and prints the password once: a banner on stdout, or one JSON log line
 *	with LOG_FORMAT=json. Only when the accounts file is empty (provision.c).
 */
#ifndef MAILINIT_DEMO_ACCOUNT_H
#define MAILINIT_DEMO_ACCOUNT_H

int demo_account_make(const char *address, const char *accounts_path);

#endif
