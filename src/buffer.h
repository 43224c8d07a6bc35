/*
 * NAME
 *	buffer - a growable byte string
 *
 * SYNOPSIS
 *	struct buffer b = {0};
 *	buffer_append(&b, "text", 4);
 *	buffer_printf(&b, "%s = %s\n", name, value);
 *	buffer_free(&b);
 *
 * DESCRIPTION
 *	data is always NUL-terminated once anything was appended. Allocation
 *	failure ends the program with status 71: on the start path there is
 *	nothing sensible left to do.
 */
#ifndef MAILINIT_BUFFER_H
#define MAILINIT_BUFFER_H

#include <stddef.h>

struct buffer {
	char *data;
	size_t len, cap;
};

void buffer_append(struct buffer *b, const char *data, size_t len);
void buffer_puts(struct buffer *b, const char *text);
void buffer_printf(struct buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buffer_free(struct buffer *b);

#endif
