/*
 * NAME
 *	lookup_table - a Postfix lookup table with every key written once
 *
 * DESCRIPTION
 *	See lookup_table.h. Entries are sorted by key (then by the order they
 *	were added) and each run of one key becomes one line: O(n log n) for
 *	the 100,000 accounts that hash: maps are there for.
 */
#include <stdlib.h>
#include <string.h>

#include "mail/lookup_table.h"
#include "base/xalloc.h"

static void add(struct lookup_table *t, const char *key, const char *value, bool fallback)
{
	if (t->count == t->cap) {
		t->cap = t->cap ? t->cap * 2 : 64;
		t->entry = xrealloc(t->entry, t->cap * sizeof(*t->entry));
	}
	t->entry[t->count] = (struct lookup_entry){
	    .key = xstrdup(key), .value = xstrdup(value), .order = t->count, .fallback = fallback};
	t->count++;
}

void lookup_table_add(struct lookup_table *t, const char *key, const char *value)
{
	add(t, key, value, false);
}

void lookup_table_add_default(struct lookup_table *t, const char *key, const char *value)
{
	add(t, key, value, true);
}

bool lookup_table_has(const struct lookup_table *t, const char *key)
{
	for (size_t i = 0; i < t->count; i++) {
		if (!t->entry[i].fallback && strcmp(t->entry[i].key, key) == 0)
			return true;
	}
	return false;
}

static int by_key_then_order(const void *a, const void *b)
{
	const struct lookup_entry *x = a, *y = b;
	int c = strcmp(x->key, y->key);

	return c ? c : (x->order > y->order) - (x->order < y->order);
}

/* Whether ITEM (LEN bytes) is already one of LINE's values, which start at VALUES. */
static bool listed(const char *values, const char *item, size_t len)
{
	for (const char *p = values; *p;) {
		size_t n;

		p += strspn(p, ", \t");
		n = strcspn(p, ", \t");
		if (n == len && memcmp(p, item, len) == 0)
			return true;
		p += n;
	}
	return false;
}

static void write_run(const struct lookup_entry *run, size_t n, struct buffer *out)
{
	bool only_defaults = true;
	size_t values_at;

	for (size_t i = 0; i < n; i++)
		only_defaults = only_defaults && run[i].fallback;
	buffer_puts(out, run[0].key);
	values_at = out->len;
	for (size_t i = 0; i < n; i++) {
		if (run[i].fallback != only_defaults)
			continue;
		for (const char *p = run[i].value; *p;) {
			size_t len;

			p += strspn(p, ", \t");
			len = strcspn(p, ", \t");
			if (len > 0 && !listed(out->data + values_at, p, len)) {
				buffer_puts(out, out->len == values_at ? " " : ", ");
				buffer_append(out, p, len);
			}
			p += len;
		}
	}
	buffer_puts(out, "\n");
}

void lookup_table_write(struct lookup_table *t, struct buffer *out)
{
	if (t->count > 1)
		qsort(t->entry, t->count, sizeof(*t->entry), by_key_then_order);
	for (size_t i = 0, j; i < t->count; i = j) {
		for (j = i + 1; j < t->count && strcmp(t->entry[i].key, t->entry[j].key) == 0; j++)
			;
		write_run(&t->entry[i], j - i, out);
	}
}

void lookup_table_free(struct lookup_table *t)
{
	for (size_t i = 0; i < t->count; i++) {
		free(t->entry[i].key);
		free(t->entry[i].value);
	}
	free(t->entry);
	*t = (struct lookup_table){0};
}
