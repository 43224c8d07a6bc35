/*
 * NAME
 *	xalloc - allocate, or end the program
 *
 * DESCRIPTION
 *	See xalloc.h.
 */
#include <stdlib.h>
#include <string.h>
#include <sysexits.h>

#include "base/log.h"
#include "base/xalloc.h"

void *xrealloc(void *old, size_t size)
{
	void *p = realloc(old, size ? size : 1);

	if (p == NULL) {
		log_error_sys("out of memory");
		exit(EX_OSERR);
	}
	return p;
}

char *xstrdup(const char *text)
{
	size_t len = strlen(text) + 1;

	return memcpy(xrealloc(NULL, len), text, len);
}
