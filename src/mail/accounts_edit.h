/*
 * NAME
 *	accounts_edit - change the accounts and aliases files line by line
 *
 * SYNOPSIS
 *	struct lines l;
 *	lines_read("/etc/mailinit/aliases", &l);        a missing file is no lines
 *	long at = lines_find(&l, ENTRY_ALIAS, "sales@example.com");
 *	struct buffer line = {0};
 *	buffer_puts(&line, at >= 0 ? l.line[at] : "sales@example.com");
 *	alias_line_add_target(&line, "anna@example.com");
 *	lines_set(&l, at, line.data);                   at < 0: appended
 *	lines_write("/etc/mailinit/aliases", &l, 0644);
 *	lines_free(&l);
 *
 * DESCRIPTION
 *	The admin commands and the importer edit the files as their lines, so
 *	that comments, order and lines they do not touch stay as the operator
 *	wrote them. The line format is accounts.h's, and its knowledge is
 *	there: the key of a line (accounts_line_key) and the separators of
 *	alias targets; this file only edits.
 *
 *	lines_write replaces the file whole (file_write), keeping the mode and
 *	owner it had; a new file gets DEFAULT_MODE and root.
 *
 * DIAGNOSTICS
 *	lines_read and lines_write log what failed, with the path, and return -1.
 */
#ifndef MAILINIT_ACCOUNTS_EDIT_H
#define MAILINIT_ACCOUNTS_EDIT_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "base/buffer.h"
#include "mail/accounts.h"

struct lines {
	char **line;
	size_t count;
};

int lines_read(const char *path, struct lines *l);
int lines_write(const char *path, const struct lines *l, mode_t default_mode);
void lines_add(struct lines *l, const char *text, size_t len);
/* Replace line AT with TEXT, or append it when AT < 0. */
void lines_set(struct lines *l, long at, const char *text);
void lines_remove(struct lines *l, size_t index);
void lines_free(struct lines *l);
/* The line whose key is WANTED (case ignored), or -1. */
long lines_find(const struct lines *l, enum entry_kind kind, const char *wanted);

/* Add TARGET to the alias line "source[ target, ...]" unless it is there already. */
void alias_line_add_target(struct buffer *line, const char *target);
/*
 * The alias line without TARGET, into *out ("source t1, t2"); how many
 * targets are kept, or -1 when TARGET is not one of them.
 */
long alias_line_remove_target(const char *line, const char *target, struct buffer *out);

#endif
