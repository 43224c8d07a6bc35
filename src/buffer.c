/*
 * NAME
 *	buffer - a growable byte string
 *
 * DESCRIPTION
 *	See buffer.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "buffer.h"
#include "xalloc.h"

static void buffer_reserve(struct buffer *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return;
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
}

void buffer_append(struct buffer *b, const char *data, size_t len)
{
	buffer_reserve(b, len);
	memcpy(b->data + b->len, data, len);
	b->len += len;
	b->data[b->len] = '\0';
}

void buffer_puts(struct buffer *b, const char *text)
{
	buffer_append(b, text, strlen(text));
}

void buffer_printf(struct buffer *b, const char *fmt, ...)
{
	va_list ap, copy;
	int len;

	va_start(ap, fmt);
	va_copy(copy, ap);
	len = vsnprintf(NULL, 0, fmt, copy);
	va_end(copy);
	if (len > 0) {
		buffer_reserve(b, (size_t)len);
		vsnprintf(b->data + b->len, (size_t)len + 1, fmt, ap);
		b->len += (size_t)len;
	}
	va_end(ap);
}

void buffer_free(struct buffer *b)
{
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
