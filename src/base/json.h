/*
 * NAME
 *	json - JSON strings, for the JSON log and "mailinit health --json"
 *
 * SYNOPSIS
 *	json_string(&buffer, text, len);     appends "text", quoted and escaped
 *
 * DESCRIPTION
 *	Escapes the quote, the backslash and control characters; a byte that
 *	is not part of valid UTF-8 becomes U+FFFD, so the output is valid JSON
 *	whatever a daemon logged.
 */
#ifndef MAILINIT_JSON_H
#define MAILINIT_JSON_H

#include <stddef.h>

struct buffer;

void json_string(struct buffer *b, const char *text, size_t len);

#endif
