/*
 * NAME
 *	json - JSON strings
 *
 * DESCRIPTION
 *	See json.h.
 */
#include "base/buffer.h"
#include "base/json.h"
#include "base/text.h"

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
		} else if (n == 2 && p[0] == 0xc2 && p[1] < 0xa0) { /* C1 controls */
			buffer_printf(b, "\\u%04x", p[1]);
			p += 2;
		} else {
			buffer_append(b, (const char *)p, n);
			p += n;
		}
	}
	buffer_puts(b, "\"");
}
