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
 *	char storage[512];
 *	buffer_over(&b, storage, sizeof(storage));   never allocates
 *
 * DESCRIPTION
 *	data is always NUL-terminated once anything was appended. Allocation
 *	failure ends the program with status 71: on the start path there is
 *	nothing sensible left to do. The supervision loop (log lines of PID 1)
 *	uses buffer_over: the caller's storage, what does not fit is cut and
 *	"cut" is set; buffer_free does nothing to it.
 */
#ifndef MAILINIT_BUFFER_H
#define MAILINIT_BUFFER_H

#include <stdbool.h>
#include <stddef.h>

struct buffer {
	char *data;
	size_t len, cap;
	bool fixed, cut;
};

void buffer_over(struct buffer *b, char *storage, size_t size);
void buffer_append(struct buffer *b, const char *data, size_t len);
void buffer_puts(struct buffer *b, const char *text);
void buffer_printf(struct buffer *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void buffer_free(struct buffer *b);

#endif
