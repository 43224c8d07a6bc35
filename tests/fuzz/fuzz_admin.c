/* The admin commands' line editing: the input is an accounts file and an aliases file
   (split at the first NUL byte), then every command that reads or rewrites them. */
#include <limits.h>
#include <stdio.h>

#include "cli/admin.h"
#include "fuzz.h"
#include "mail/settings.h"

static char dir[PATH_MAX];
static struct settings settings;

static void run(const char *command, char *a, char *b, char *c)
{
	char *argv[] = {a, b, c, NULL};
	int argc = c ? 3 : b ? 2 : a ? 1 : 0;

	admin_main(command, argc, argv, dir, &settings);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const files[] = {"accounts", "aliases"};

	if (dir[0] == '\0')
		admin_files_setup(dir, sizeof(dir), &settings);
	admin_files_write(dir, files, 2, data, size);
	run("user", "list", NULL, NULL);
	run("alias", "list", NULL, NULL);
	run("domain", "list", NULL, NULL);
	run("alias", "add", "sales@example.test", "bob@example.test");
	run("alias", "add", "bob@example.test", "carl@second.test");
	run("alias", "del", "sales@example.test", "bob@example.test");
	run("alias", "del", "info@example.test", NULL);
	run("user", "del", "bob@example.test", NULL);
	fflush(stdout);
	return 0;
}
