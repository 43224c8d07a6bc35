/*
 * NAME
 *	text - UTF-8 sequences, and quoted input made safe for a terminal
 *
 * SYNOPSIS
 *	n = utf8_sequence(p, left);           length of the UTF-8 sequence at p, or 0
 *	len = text_escape(out, size, in, inlen);
 *	at = find_control_character(text);   index of the first one, or -1
 *	for (const char *p = list; text_next_word(&p, word, sizeof(word));) ...
 *	text_lowercase(address);
 *
 * DESCRIPTION
 *	Messages quote what the operator's files and imports hold; a hostile line
 *	must not send escape sequences to the terminal that shows the log.
 *	text_escape copies IN to OUT with every control character (C0, DEL, C1),
 *	and every byte that is not part of valid UTF-8, written as \xNN. OUT is
 *	always terminated; the result is cut at a character boundary when it does
 *	not fit. Returns the length written.
 *
 *	text_next_word takes the next word of a list separated by blanks or
 *	commas ("a.test, b.test"), cut to fit WORD; false at the end.
 */
#ifndef MAILINIT_TEXT_H
#define MAILINIT_TEXT_H

#include <stdbool.h>
#include <stddef.h>

#define WORD_SEPARATORS " \t,"

size_t utf8_sequence(const unsigned char *p, size_t left);
size_t text_escape(char *out, size_t size, const char *in, size_t len);
/* Index of the first control character (or DEL) in text, or -1. */
long find_control_character(const char *text);
bool text_next_word(const char **cursor, char *word, size_t size);
/* ASCII letters to lower case, in place (addresses and domains). */
void text_lowercase(char *text);

#endif
