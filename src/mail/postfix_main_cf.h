/*
 * NAME
 *	postfix_main_cf - set parameters in a rendered main.cf
 *
 * SYNOPSIS
 *	postfix_main_cf_set(&main_cf, "smtpd_banner", "$myhostname ESMTP");
 *	postfix_main_cf_merge(&main_cf, text_of_postfix_main_cf);
 *
 * DESCRIPTION
 *	postfix_main_cf_set replaces the entry of PARAM (with its continuation
 *	lines) or appends one. postfix_main_cf_merge sets every "param = value"
 *	entry of an operator's postfix-main.cf (continuation lines joined,
 *	comments skipped); TEXT is changed in place.
 */
#ifndef MAILINIT_POSTFIX_MAIN_CF_H
#define MAILINIT_POSTFIX_MAIN_CF_H

#include "base/buffer.h"

void postfix_main_cf_set(struct buffer *main_cf, const char *param, const char *value);
void postfix_main_cf_merge(struct buffer *main_cf, char *text);

#endif
