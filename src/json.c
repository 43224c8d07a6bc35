/*
 * NAME
 *	json - JSON strings
 *
 * DESCRIPTION
 *	See json.h.
 */
#include "buffer.h"
#include "json.h"

/* Length of the valid UTF-8 sequence at p (at most n bytes), or 0. */
static size_t utf8_sequence(const unsigned char *p, size_t n)
{
	size_t len;
	unsigned min;

	if (p[0] < 0x80)
		return 1;
	if (p[0] >= 0xc2 && p[0] <= 0xdf) {
		len = 2;
		min = 0x80;
	} else if (p[0] >= 0xe0 && p[0] <= 0xef) {
		len = 3;
		min = 0x800;
	} else if (p[0] >= 0xf0 && p[0] <= 0xf4) {
		len = 4;
		min = 0x10000;
	} else {
		return 0;
	}
	if (len > n)
		return 0;
	unsigned code = p[0] & (0x3f >> (len - 1));
	for (size_t i = 1; i < len; i++) {
		if ((p[i] & 0xc0) != 0x80)
			return 0;
		code = code << 6 | (p[i] & 0x3f);
	}
	if (code < min || code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff))
		return 0;
	return len;
}

void json_string(struct buffer *b, const char *text, size_t len)
{
	const unsigned char *p = (const unsigned char *)text, *end = p + len;

	buffer_puts(b, "\"");
	while (p < end) {
		size_t n = utf8_sequence(p, (size_t)(end - p));

		if (n == 0) {
			buffer_puts(b, "\\ufffd");
			p++;
		} else if (*p == '"' || *p == '\\') {
			buffer_printf(b, "\\%c", *p++);
		} else if (*p == '\n' || *p == '\t' || *p == '\r') {
			buffer_printf(b, "\\%c", *p == '\n' ? 'n' : *p == '\t' ? 't' : 'r');
			p++;
		} else if (*p < 0x20 || *p == 0x7f) {
			buffer_printf(b, "\\u%04x", *p++);
		} else {
			buffer_append(b, (const char *)p, n);
			p += n;
		}
	}
	buffer_puts(b, "\"");
}
