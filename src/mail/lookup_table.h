/*
 * NAME
 *	lookup_table - a Postfix lookup table with every key written once
 *
 * SYNOPSIS
 *	struct lookup_table t = {0};
 *	lookup_table_add(&t, "anna@example.com", "anna@example.com");
 *	lookup_table_add(&t, "anna@example.com", "bob@example.com, carl@example.com");
 *	lookup_table_add_default(&t, "postmaster@example.com", "anna@example.com");
 *	lookup_table_write(&t, &buffer);      "KEY VALUE, VALUE\n" lines, by key
 *	lookup_table_free(&t);
 *
 * DESCRIPTION
 *	Postfix refuses a texthash: or hash: table that has a key twice
 *	("duplicate entry"), and then fails every lookup in it: one alias on an
 *	account's address stopped all inbound mail. Here the values given for
 *	one key are merged into one line, each value once, in the order they
 *	were added. A default entry is written only when nothing else was
 *	added for its key: an account or alias of that address wins.
 *
 *	Values are lists of "a, b" or "a b"; keys and values are copied.
 */
#ifndef MAILINIT_LOOKUP_TABLE_H
#define MAILINIT_LOOKUP_TABLE_H

#include <stdbool.h>
#include <stddef.h>

#include "base/buffer.h"

struct lookup_entry {
	char *key, *value;
	size_t order;
	bool fallback;
};

struct lookup_table {
	struct lookup_entry *entry;
	size_t count, cap;
};

void lookup_table_add(struct lookup_table *t, const char *key, const char *value);
void lookup_table_add_default(struct lookup_table *t, const char *key, const char *value);
/* Whether KEY has an entry that is not a default. */
bool lookup_table_has(const struct lookup_table *t, const char *key);
void lookup_table_write(struct lookup_table *t, struct buffer *out);
void lookup_table_free(struct lookup_table *t);

#endif
