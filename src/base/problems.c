/*
 * NAME
 *	problems - every problem in the input reported, then counted
 *
 * DESCRIPTION
 *	See problems.h.
 */
#include <stdarg.h>
#include <stdio.h>

#include "base/log.h"
#include "base/problems.h"

void problem(struct problems *problems, const char *fmt, ...)
{
	char line[1024];
	va_list ap;

	va_start(ap, fmt);
	vsnprintf(line, sizeof(line), fmt, ap);
	va_end(ap);
	if (!problems->quiet)
		log_error("%s", line);
	problems->count++;
}
