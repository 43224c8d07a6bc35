/*
 * NAME
 *	text - UTF-8 sequences, and quoted input made safe for a terminal
 *
 * DESCRIPTION
 *	See text.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>

#include "base/text.h"

size_t utf8_sequence(const unsigned char *p, size_t left)
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
	if (len > left)
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

size_t text_escape(char *out, size_t size, const char *in, size_t len)
{
	const unsigned char *p = (const unsigned char *)in, *end = p + len;
	size_t n = 0;

	if (size == 0)
		return 0;
	while (p < end) {
		size_t seq = utf8_sequence(p, (size_t)(end - p));
		/* C0 controls, DEL, and C1 controls (U+0080 to U+009F, as 0xc2 0x80-0x9f) */
		int control = *p < 0x20 || *p == 0x7f || (seq == 2 && p[0] == 0xc2 && p[1] < 0xa0);

		if (seq == 0 || control) {
			size_t count = seq ? seq : 1;

			if (n + 4 * count >= size)
				break;
			for (size_t i = 0; i < count; i++)
				n += (size_t)snprintf(out + n, size - n, "\\x%02x", p[i]);
			p += count;
		} else {
			if (n + seq >= size)
				break;
			memcpy(out + n, p, seq);
			n += seq;
			p += seq;
		}
	}
	out[n] = '\0';
	return n;
}

long find_control_character(const char *text)
{
	for (const unsigned char *p = (const unsigned char *)text; *p; p++) {
		if (*p < 0x20 || *p == 0x7f)
			return (long)(p - (const unsigned char *)text);
	}
	return -1;
}

bool text_next_word(const char **cursor, char *word, size_t size)
{
	const char *p = *cursor + strspn(*cursor, WORD_SEPARATORS);
	size_t len = strcspn(p, WORD_SEPARATORS);

	if (len == 0) {
		*cursor = p;
		return false;
	}
	snprintf(word, size, "%.*s", (int)len, p);
	*cursor = p + len;
	return true;
}

void text_lowercase(char *text)
{
	for (; *text; text++)
		*text = (char)tolower((unsigned char)*text);
}
