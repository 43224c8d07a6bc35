/*
 * NAME
 *	postfix_main_cf - set parameters in a rendered main.cf
 *
 * DESCRIPTION
 *	See postfix_main_cf.h.
 */
#include <stdbool.h>
#include <string.h>

#include "base/buffer.h"
#include "mail/postfix_main_cf.h"

/* Set param in a rendered main.cf: replace its line (and continuation lines), or append. */
void postfix_main_cf_set(struct buffer *main_cf, const char *param, const char *value)
{
	struct buffer out = {0};
	size_t plen = strlen(param);
	bool done = false, skipping = false;
	char *line = main_cf->data;

	while (line && *line) {
		char *end = strchr(line, '\n');
		size_t len = end ? (size_t)(end - line + 1) : strlen(line);
		const char *after = line + plen;

		if (skipping && (*line == ' ' || *line == '\t')) {
			line += len; /* a continuation of the replaced entry */
			continue;
		}
		skipping = false;
		if (strncmp(line, param, plen) == 0)
			after += strspn(after, " \t");
		if (!done && strncmp(line, param, plen) == 0 && *after == '=') {
			buffer_printf(&out, "%s = %s\n", param, value);
			done = skipping = true;
		} else {
			buffer_append(&out, line, len);
		}
		line += len;
	}
	if (!done)
		buffer_printf(&out, "%s = %s\n", param, value);
	buffer_free(main_cf);
	*main_cf = out;
}

/* postfix-main.cf: "param = value" entries, continuation lines joined. */
void postfix_main_cf_merge(struct buffer *main_cf, char *text)
{
	char *line = strtok(text, "\n");

	while (line) {
		char *next = strtok(NULL, "\n");
		char *eq = strchr(line, '=');
		struct buffer value = {0};

		if (*line == '#' || *line == ' ' || *line == '\t' || eq == NULL) {
			line = next;
			continue;
		}
		char *name_end = eq;
		while (name_end > line && (name_end[-1] == ' ' || name_end[-1] == '\t'))
			name_end--;
		*name_end = '\0';
		buffer_puts(&value, eq + 1 + strspn(eq + 1, " \t"));
		while (next && (*next == ' ' || *next == '\t')) {
			buffer_printf(&value, "%s%s", value.len ? " " : "",
				      next + strspn(next, " \t"));
			next = strtok(NULL, "\n");
		}
		postfix_main_cf_set(main_cf, line, value.data ? value.data : "");
		buffer_free(&value);
		line = next;
	}
}
