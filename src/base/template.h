/*
 * NAME
 *	template - fill a text template from named values
 *
 * SYNOPSIS
 *	const char *lookup(const char *name, void *context);   NULL: no such name
 *	struct buffer out = {0};
 *	if (template_render(text, "postfix/main.cf", lookup, context, &out) != 0)
 *		fail;                            (the error is logged)
 *
 * DESCRIPTION
 *	{{NAME}} is replaced by the value of NAME. A line holding only
 *	{{#if NAME}} or {{#unless NAME}} opens a block that is kept when NAME
 *	is true (non-empty and not "no"), resp. false; {{/if}} and {{/unless}}
 *	close it; blocks nest. {{! text }} is a comment and leaves nothing.
 *	Anything else is copied as is.
 *
 *	The engine knows nothing of mail. It refuses a value with a newline
 *	or other control character: no value can add a line to the output.
 *
 * DIAGNOSTICS
 *	"template NAME:LINE: unknown variable X", unbalanced blocks, an
 *	unterminated {{, a value that is not one line: each logged, -1.
 */
#ifndef MAILINIT_TEMPLATE_H
#define MAILINIT_TEMPLATE_H

#include "base/buffer.h"

typedef const char *(*template_lookup)(const char *name, void *context);

int template_render(const char *text, const char *template_name, template_lookup lookup,
		    void *context, struct buffer *out);

#endif
