/*
 * NAME
 *	accounts_edit - change the accounts and aliases files line by line
 *
 * DESCRIPTION
 *	See accounts_edit.h.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>

#include "base/file.h"
#include "base/log.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "mail/accounts_edit.h"

void lines_add(struct lines *l, const char *text, size_t len)
{
	l->line = xrealloc(l->line, (l->count + 1) * sizeof(*l->line));
	l->line[l->count] = xrealloc(NULL, len + 1);
	memcpy(l->line[l->count], text, len);
	l->line[l->count++][len] = '\0';
}

void lines_set(struct lines *l, long at, const char *text)
{
	if (at < 0) {
		lines_add(l, text, strlen(text));
		return;
	}
	free(l->line[at]);
	l->line[at] = xstrdup(text);
}

void lines_free(struct lines *l)
{
	for (size_t i = 0; i < l->count; i++)
		free(l->line[i]);
	free(l->line);
	*l = (struct lines){0};
}

void lines_remove(struct lines *l, size_t index)
{
	free(l->line[index]);
	memmove(l->line + index, l->line + index + 1, (l->count - index - 1) * sizeof(*l->line));
	l->count--;
}

int lines_read(const char *path, struct lines *l)
{
	char *text = file_read(path, NULL), *p;

	*l = (struct lines){0};
	if (text == NULL) {
		if (errno == ENOENT)
			return 0;
		log_error_sys("cannot read %s", path);
		return -1;
	}
	for (p = text; *p;) {
		size_t len = strcspn(p, "\n");

		lines_add(l, p, len);
		p += len + (p[len] == '\n');
	}
	free(text);
	return 0;
}

int lines_write(const char *path, const struct lines *l, mode_t default_mode)
{
	struct buffer out = {0};
	struct stat st;
	mode_t mode = default_mode;
	uid_t uid = (uid_t)-1;
	gid_t gid = (gid_t)-1;
	int status;

	if (stat(path, &st) == 0) {
		mode = st.st_mode & 07777;
		uid = st.st_uid;
		gid = st.st_gid;
	}
	for (size_t i = 0; i < l->count; i++)
		buffer_printf(&out, "%s\n", l->line[i]);
	status = file_write(path, out.data ? out.data : "", out.len, mode, uid, gid);
	buffer_free(&out);
	return status;
}

long lines_find(const struct lines *l, enum entry_kind kind, const char *wanted)
{
	char key[ADDRESS_MAX];

	for (size_t i = 0; i < l->count; i++) {
		if (accounts_line_key(l->line[i], kind, key, sizeof(key)) &&
		    strcasecmp(key, wanted) == 0)
			return (long)i;
	}
	return -1;
}

void alias_line_add_target(struct buffer *line, const char *target)
{
	const char *p = line->data ? line->data : "";
	char word[ADDRESS_MAX];
	bool present = false, has_targets;

	text_next_word(&p, word, sizeof(word)); /* the source */
	has_targets = text_next_word(&(const char *){p}, word, sizeof(word));
	while (!present && text_next_word(&p, word, sizeof(word)))
		present = strcasecmp(word, target) == 0;
	if (!present)
		buffer_printf(line, "%s%s", has_targets ? ", " : " ", target);
}

long alias_line_remove_target(const char *line, const char *target, struct buffer *out)
{
	char word[ADDRESS_MAX];
	bool found = false;
	long kept = 0;

	if (text_next_word(&line, word, sizeof(word)))
		buffer_puts(out, word);
	while (text_next_word(&line, word, sizeof(word))) {
		if (strcasecmp(word, target) == 0) {
			found = true;
			continue;
		}
		buffer_printf(out, "%s%s", kept++ ? ", " : " ", word);
	}
	return found ? kept : -1;
}
