/*
 * NAME
 *	template - fill a text template from named values
 *
 * DESCRIPTION
 *	See template.h. One pass, line by line; a stack of "keeping?" flags
 *	for the blocks.
 */
#include <ctype.h>
#include <stdbool.h>
#include <string.h>

#include "base/log.h"
#include "base/template.h"
#include "base/text.h"

#define TEMPLATE_DEPTH_MAX 16
#define NAME_MAX_LEN       64

struct render {
	const char *template_name;
	unsigned line;
	template_lookup lookup;
	void *context;
	bool keep[TEMPLATE_DEPTH_MAX];
	bool is_unless[TEMPLATE_DEPTH_MAX];
	int depth;
};

static bool value_is_true(const char *value)
{
	return value[0] != '\0' && strcmp(value, "no") != 0;
}

static bool keeping(const struct render *r)
{
	for (int i = 0; i < r->depth; i++) {
		if (!r->keep[i])
			return false;
	}
	return true;
}

/* Copy a name from {{ ... }}, trimmed; false when it is not [A-Za-z0-9_]+. */
static bool take_name(const char *start, size_t len, char *name)
{
	while (len > 0 && isspace((unsigned char)*start))
		start++, len--;
	while (len > 0 && isspace((unsigned char)start[len - 1]))
		len--;
	if (len == 0 || len >= NAME_MAX_LEN)
		return false;
	for (size_t i = 0; i < len; i++) {
		if (!isalnum((unsigned char)start[i]) && start[i] != '_')
			return false;
	}
	memcpy(name, start, len);
	name[len] = '\0';
	return true;
}

static const char *lookup_checked(struct render *r, const char *name)
{
	const char *value = r->lookup(name, r->context);

	if (value == NULL) {
		log_error("template %s:%u: unknown variable %s", r->template_name, r->line, name);
		return NULL;
	}
	if (find_control_character(value) >= 0) {
		log_error("template %s:%u: the value of %s is not one line of text",
			  r->template_name, r->line, name);
		return NULL;
	}
	return value;
}

/* A line that is only {{#if X}}, {{#unless X}}, {{/if}} or {{/unless}}: 1 handled, 0 not, -1 error.
 */
static int block_line(struct render *r, const char *line, size_t len)
{
	char name[NAME_MAX_LEN];
	const char *value;

	while (len > 0 && (line[len - 1] == ' ' || line[len - 1] == '\t'))
		len--;
	if (len < 7 || strncmp(line, "{{", 2) != 0 || strncmp(line + len - 2, "}}", 2) != 0)
		return 0;
	const char *inner = line + 2;
	size_t inner_len = len - 4;

	if (inner_len == 3 && strncmp(inner, "/if", 3) == 0)
		goto close_if;
	if (inner_len == 7 && strncmp(inner, "/unless", 7) == 0)
		goto close_unless;
	bool unless = inner_len > 8 && strncmp(inner, "#unless ", 8) == 0;
	if (!unless && !(inner_len > 4 && strncmp(inner, "#if ", 4) == 0))
		return 0;
	size_t skip = unless ? 8 : 4;
	if (!take_name(inner + skip, inner_len - skip, name)) {
		log_error("template %s:%u: bad block name", r->template_name, r->line);
		return -1;
	}
	if (r->depth == TEMPLATE_DEPTH_MAX) {
		log_error("template %s:%u: blocks nested deeper than %d", r->template_name, r->line,
			  TEMPLATE_DEPTH_MAX);
		return -1;
	}
	if ((value = lookup_checked(r, name)) == NULL)
		return -1;
	r->keep[r->depth] = value_is_true(value) != unless;
	r->is_unless[r->depth] = unless;
	r->depth++;
	return 1;

close_if:
close_unless:
	if (r->depth == 0 || r->is_unless[r->depth - 1] != (inner[1] == 'u')) {
		log_error("template %s:%u: {{%.*s}} without its opening block", r->template_name,
			  r->line, (int)inner_len, inner);
		return -1;
	}
	r->depth--;
	return 1;
}

static int substitute_line(struct render *r, const char *line, size_t len, struct buffer *out)
{
	const char *end = line + len;

	while (line < end) {
		const char *open = memmem(line, (size_t)(end - line), "{{", 2);
		const char *close;
		char name[NAME_MAX_LEN];
		const char *value;

		if (open == NULL) {
			buffer_append(out, line, (size_t)(end - line));
			break;
		}
		buffer_append(out, line, (size_t)(open - line));
		close = memmem(open + 2, (size_t)(end - open - 2), "}}", 2);
		if (close == NULL) {
			log_error("template %s:%u: {{ without }}", r->template_name, r->line);
			return -1;
		}
		if (open[2] != '!') {
			if (!take_name(open + 2, (size_t)(close - open - 2), name)) {
				log_error("template %s:%u: \"%.*s\" is not a variable name",
					  r->template_name, r->line, (int)(close - open - 2),
					  open + 2);
				return -1;
			}
			if ((value = lookup_checked(r, name)) == NULL)
				return -1;
			buffer_puts(out, value);
		}
		line = close + 2;
	}
	return 0;
}

int template_render(const char *text, const char *template_name, template_lookup lookup,
		    void *context, struct buffer *out)
{
	struct render r = {.template_name = template_name, .lookup = lookup, .context = context};
	const char *line = text;

	while (*line) {
		const char *newline = strchr(line, '\n');
		size_t len = newline ? (size_t)(newline - line) : strlen(line);
		int block;

		r.line++;
		if ((block = block_line(&r, line, len)) < 0)
			return -1;
		if (block == 0 && keeping(&r)) {
			if (substitute_line(&r, line, len, out) != 0)
				return -1;
			if (newline)
				buffer_append(out, "\n", 1);
		} else if (block == 0) {
			/* Check names in skipped blocks too: an error must not wait
			   until someone turns the block on. */
			struct buffer discard = {0};
			int status = substitute_line(&r, line, len, &discard);

			buffer_free(&discard);
			if (status != 0)
				return -1;
		}
		line += len + (newline != NULL);
	}
	if (r.depth != 0) {
		log_error("template %s: %d block(s) not closed at the end", template_name, r.depth);
		return -1;
	}
	if (out->data == NULL)
		buffer_append(out, "", 0);
	return 0;
}
