/*
 * NAME
 *	settings_read - the settings file (libconfuse) and the environment
 *
 * DESCRIPTION
 *	See settings.h. Each value keeps where it came from (FILE:LINE,
 *	"environment", NAME_FILE's path) for the messages about it.
 */
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include <confuse.h>

#include "base/log.h"
#include "base/text.h"
#include "base/xalloc.h"
#include "mail/settings.h"

static void set_postfix(struct settings *s, const char *param, const char *value,
			const char *origin, struct problems *problems)
{
	size_t i;

	for (i = 0; i < s->postfix_count; i++) {
		if (strcmp(s->postfix[i].param, param) == 0)
			break;
	}
	if (i == POSTFIX_OVERRIDES_MAX) {
		problem(problems, "%s: more than %d Postfix parameters are set", origin,
			POSTFIX_OVERRIDES_MAX);
		return;
	}
	if (i == s->postfix_count) {
		s->postfix[i].param = xstrdup(param);
		s->postfix_count++;
	}
	free(s->postfix[i].value);
	s->postfix[i].value = xstrdup(value);
	snprintf(s->postfix[i].origin, sizeof(s->postfix[i].origin), "%s", origin);
}

/* A Postfix parameter name: letters, digits and underscores (smtp_tls_CAfile). */
static bool postfix_name_is_valid(const char *name, const char *origin, struct problems *problems)
{
	bool valid = name[0] != '\0';

	for (const char *p = name; *p; p++)
		valid = valid && (isalnum((unsigned char)*p) || *p == '_');
	if (!valid)
		problem(problems,
			"%s: \"%s\" is not a Postfix parameter name (letters, digits and _ only)",
			origin, name);
	return valid;
}

/* "mail_domain" -> S_MAIL_DOMAIN, or -1. */
static int setting_by_option(const char *option)
{
	for (int i = 0; i < SETTING_COUNT; i++) {
		if (strcasecmp(setting_defs[i].name, option) == 0)
			return i;
	}
	return -1;
}

/* "MAIL_DOMAIN" -> "mail_domain", as the settings file spells it. */
static const char *setting_lower_name(int id)
{
	static char name[64];
	size_t n = 0;

	for (; n < sizeof(name) - 1 && setting_defs[id].name[n]; n++)
		name[n] = (char)tolower((unsigned char)setting_defs[id].name[n]);
	name[n] = '\0';
	return name;
}

/* libconfuse reports where an option is while parsing: remember FILE:LINE. */
static struct settings *file_target;
static const char *file_path;

static int remember_origin(cfg_t *cfg, cfg_opt_t *opt)
{
	int id = setting_by_option(cfg_opt_name(opt));

	if (id >= 0 && file_target)
		snprintf(file_target->origin[id], ORIGIN_MAX, "%s:%d", file_path, cfg->line);
	return 0;
}

__attribute__((format(printf, 2, 0))) static void file_error(cfg_t *cfg, const char *fmt,
							     va_list ap)
{
	char message[512], key[128];
	int id;

	vsnprintf(message, sizeof(message), fmt, ap);
	/* Any key is a Postfix parameter there: libconfuse says so, then takes it. */
	if (cfg && strcmp(cfg_name(cfg), "postfix") == 0 &&
	    strncmp(message, "no such option", 14) == 0)
		return;
	if (sscanf(message, "no such option '%127[^']'", key) == 1 &&
	    (id = setting_by_option(key)) >= 0)
		log_error("%s:%d: %s (keys in this file are the names in lower case: %s = ...)",
			  file_path, cfg ? cfg->line : 0, message, setting_lower_name(id));
	else if (sscanf(message, "no such option '%127[^']'", key) == 1)
		log_error("%s:%d: %s (\"mailinit help settings\" lists them; write them in lower "
			  "case)",
			  file_path, cfg ? cfg->line : 0, message);
	else
		log_error("%s:%d: %s", file_path, cfg ? cfg->line : 0, message);
}

/*
 * libconfuse takes a section that is still open at the end of the file as
 * closed, and the lines after it as its keys. So the file is parsed with a
 * line of ours after it: unless it is read as a top-level setting, the file
 * ended inside something.
 */
#define END_SENTINEL      "mailinit_end_of_file"
#define SETTINGS_FILE_MAX (1 << 20)

static char *read_with_sentinel(const char *path, struct problems *problems)
{
	static const char sentinel[] = "\n" END_SENTINEL " = 1\n";
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	size_t len = 0;
	ssize_t got = 0;
	char *text;

	if (fd < 0) {
		problem(problems, "%s: cannot read: %s", path, strerror(errno));
		return NULL;
	}
	text = xrealloc(NULL, SETTINGS_FILE_MAX + sizeof(sentinel));
	while (len < SETTINGS_FILE_MAX && (got = read(fd, text + len, SETTINGS_FILE_MAX - len)) > 0)
		len += (size_t)got;
	close(fd);
	if (got < 0 || len == SETTINGS_FILE_MAX || memchr(text, '\0', len)) {
		problem(problems, "%s: %s", path,
			got < 0                    ? strerror(errno)
			: len == SETTINGS_FILE_MAX ? "is larger than 1 MiB"
						   : "has a NUL byte: it is not a text file");
		free(text);
		return NULL;
	}
	memcpy(text + len, sentinel, sizeof(sentinel));
	return text;
}

/* One lower-case option per setting, the postfix { } section, and the end sentinel. */
static void file_options(cfg_opt_t opts[SETTING_COUNT + 3], char names[SETTING_COUNT][64])
{
	static cfg_opt_t postfix_opts[] = {CFG_END()};

	for (size_t i = 0; i < SETTING_COUNT; i++) {
		size_t n = 0;

		for (; n < sizeof(names[i]) - 1 && setting_defs[i].name[n]; n++)
			names[i][n] = (char)tolower((unsigned char)setting_defs[i].name[n]);
		names[i][n] = '\0';
		opts[i] = (cfg_opt_t)CFG_STR(names[i], NULL, CFGF_NODEFAULT);
	}
	opts[SETTING_COUNT] = (cfg_opt_t)CFG_SEC("postfix", postfix_opts, CFGF_KEYSTRVAL);
	opts[SETTING_COUNT + 1] = (cfg_opt_t)CFG_INT(END_SENTINEL, 0, CFGF_NONE);
	opts[SETTING_COUNT + 2] = (cfg_opt_t)CFG_END();
}

/* postfix { param = value }: each a Postfix parameter. True when the section was left open. */
static bool read_postfix_section(struct settings *s, cfg_t *cfg, const char *path,
				 struct problems *problems)
{
	cfg_t *postfix = cfg_getsec(cfg, "postfix");
	bool unclosed = false;

	for (unsigned i = 0; postfix && i < cfg_num(postfix); i++) {
		cfg_opt_t *opt = cfg_getnopt(postfix, i);
		char origin[ORIGIN_MAX];

		if (strcmp(cfg_opt_name(opt), END_SENTINEL) == 0) {
			unclosed = true;
			problem(problems,
				"%s: the postfix { section is not closed: add a } after "
				"its last line",
				path);
			continue;
		}
		snprintf(origin, sizeof(origin), "%s: postfix { %s }", path, cfg_opt_name(opt));
		if (postfix_name_is_valid(cfg_opt_name(opt), origin, problems))
			set_postfix(s, cfg_opt_name(opt), cfg_opt_getnstr(opt, 0), origin,
				    problems);
	}
	return unclosed;
}

void settings_read_file(struct settings *s, const char *path, struct problems *problems)
{
	cfg_opt_t opts[SETTING_COUNT + 3];
	char names[SETTING_COUNT][64];
	cfg_t *cfg;
	char *text;
	int status;

	if (access(path, F_OK) != 0 || (text = read_with_sentinel(path, problems)) == NULL)
		return;
	file_options(opts, names);
	if ((cfg = cfg_init(opts, CFGF_NONE)) == NULL) {
		problem(problems, "%s: cannot set up the parser", path);
		free(text);
		return;
	}
	cfg_set_error_function(cfg, file_error);
	for (size_t i = 0; i < SETTING_COUNT; i++)
		cfg_set_validate_func(cfg, names[i], remember_origin);
	file_target = s;
	file_path = path;
	status = cfg_parse_buf(cfg, text);
	file_target = NULL;
	if (status != CFG_SUCCESS) {
		problems->count++; /* libconfuse has said where */
		s->file_unparsed = true;
	} else {
		if (!read_postfix_section(s, cfg, path, problems) &&
		    cfg_getint(cfg, END_SENTINEL) != 1)
			problem(problems,
				"%s: the file ends inside a quoted string or a /* comment */: "
				"close it",
				path);
		for (size_t i = 0; i < SETTING_COUNT; i++) {
			char origin[ORIGIN_MAX];
			const char *value = cfg_getstr(cfg, names[i]);

			if (value == NULL)
				continue;
			snprintf(origin, sizeof(origin), "%s", s->origin[i]);
			settings_set(s, (enum setting_id)i, value, origin);
		}
	}
	cfg_free(cfg);
	free(text);
}

/* The content of NAME_FILE, one trailing newline dropped; NULL after a problem. */
static char *read_value_file(const char *variable, const char *path, struct problems *problems)
{
	char buf[65536];
	ssize_t len = 0, got;
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);

	if (fd < 0) {
		problem(problems, "%s: cannot read %s: %s (mount the file, or unset %s)", variable,
			path, strerror(errno), variable);
		return NULL;
	}
	while ((got = read(fd, buf + len, sizeof(buf) - 1 - (size_t)len)) > 0)
		len += got;
	close(fd);
	if (got < 0 || len == (ssize_t)sizeof(buf) - 1) {
		problem(problems, "%s: %s is unreadable or larger than 64 KiB", variable, path);
		return NULL;
	}
	buf[len] = '\0';
	if (len > 0 && buf[len - 1] == '\n')
		buf[--len] = '\0';
	if (len > 0 && buf[len - 1] == '\r')
		buf[--len] = '\0';
	return xstrdup(buf);
}

/* NAME or NAME_FILE from env; returns an allocated value or NULL. */
static char *environment_value(char *const *env, const char *name, char *origin,
			       struct problems *problems)
{
	size_t len = strlen(name);
	const char *direct = NULL, *file = NULL;

	for (char *const *e = env; *e; e++) {
		if (strncmp(*e, name, len) != 0)
			continue;
		if ((*e)[len] == '=')
			direct = *e + len + 1;
		else if (strncmp(*e + len, "_FILE=", 6) == 0)
			file = *e + len + 6;
	}
	if (direct && file) {
		problem(problems, "%s: both %s and %s_FILE are set (use one)", name, name, name);
		return NULL;
	}
	if (file) {
		snprintf(origin, ORIGIN_MAX, "%s_FILE (%s)", name, file);
		return read_value_file(name, file, problems);
	}
	if (direct) {
		snprintf(origin, ORIGIN_MAX, "environment");
		return xstrdup(direct);
	}
	return NULL;
}

void settings_read_environment(struct settings *s, char *const *env, struct problems *problems)
{
	char origin[ORIGIN_MAX];

	for (size_t i = 0; i < SETTING_COUNT; i++) {
		char *value = environment_value(env, setting_defs[i].name, origin, problems);

		if (value) {
			settings_set(s, (enum setting_id)i, value, origin);
			free(value);
		}
	}
	/*
	 * POSTFIX_<PARAM> always names the parameter <param>, also when it ends in
	 * _FILE: smtpd_tls_cert_file is a parameter, and reading "the secret in
	 * that file" instead would put a file's content into main.cf. Postfix
	 * keeps its secrets in files it reads itself, so nothing is lost.
	 */
	for (char *const *e = env; *e; e++) {
		char param[128];
		const char *eq = strchr(*e, '=');
		size_t len = eq ? (size_t)(eq - *e) : 0;

		if (strncmp(*e, "POSTFIX_", 8) != 0 || len <= 8 || len - 8 >= sizeof(param))
			continue;
		for (size_t j = 8; j < len; j++)
			param[j - 8] = (char)tolower((unsigned char)(*e)[j]);
		param[len - 8] = '\0';
		snprintf(origin, sizeof(origin), "%.*s", (int)len, *e);
		if (postfix_name_is_valid(param, origin, problems))
			set_postfix(s, param, eq + 1, origin, problems);
	}
}
