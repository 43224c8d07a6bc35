/*
 * NAME
 *	xalloc - allocate, or end the program
 *
 * SYNOPSIS
 *	char *copy = xstrdup(text);
 *	items = xrealloc(items, (count + 1) * sizeof(*items));
 *
 * DESCRIPTION
 *	Used only on the start path (settings, accounts, rendering), where
 *	running out of memory leaves nothing sensible to do: it logs and exits
 *	71 (EX_OSERR). The supervision loop does not allocate.
 */
#ifndef MAILINIT_XALLOC_H
#define MAILINIT_XALLOC_H

#include <stddef.h>

void *xrealloc(void *old, size_t size);
char *xstrdup(const char *text);

#endif
