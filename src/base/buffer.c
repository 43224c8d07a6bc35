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

#include "base/buffer.h"
#include "base/xalloc.h"

void buffer_over(struct buffer *b, char *storage, size_t size)
{
	*b = (struct buffer){.data = storage, .cap = size, .fixed = true};
	storage[0] = '\0';
}

/* Room for extra more bytes and the NUL; a fixed buffer gives what it has. */
static size_t buffer_reserve(struct buffer *b, size_t extra)
{
	size_t need = b->len + extra + 1;

	if (need <= b->cap)
		return extra;
	if (b->fixed) {
		b->cut = true;
		return b->cap - b->len - 1;
	}
	size_t cap = b->cap ? b->cap : 256;
	while (cap < need)
		cap *= 2;
	b->data = xrealloc(b->data, cap);
	b->cap = cap;
	return extra;
}

void buffer_append(struct buffer *b, const char *data, size_t len)
{
	len = buffer_reserve(b, len);
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
		size_t room = buffer_reserve(b, (size_t)len);

		vsnprintf(b->data + b->len, room + 1, fmt, ap);
		b->len += room;
	}
	va_end(ap);
}

void buffer_free(struct buffer *b)
{
	if (b->fixed)
		return;
	free(b->data);
	b->data = NULL;
	b->len = b->cap = 0;
}
