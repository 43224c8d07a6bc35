/* mailinit import: docker-mailserver's three files, the input split at NUL bytes, imported
   into an empty configuration directory. */
#include <limits.h>
#include <stdio.h>
#include <unistd.h>

#include "cli/admin.h"
#include "fuzz.h"
#include "mail/settings.h"

static char dir[PATH_MAX];
static struct settings settings;

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const dms[] = {"postfix-accounts.cf", "postfix-virtual.cf",
					  "dovecot-quotas.cf"};
	static const char *const ours[] = {"accounts", "aliases"};
	char *argv[] = {dir, NULL};

	if (dir[0] == '\0')
		admin_files_setup(dir, sizeof(dir), &settings);
	admin_files_write(dir, dms, 3, data, size);
	admin_files_write(dir, ours, 2, NULL, 0); /* empty: what a first import finds */
	admin_main("import", 1, argv, dir, &settings);
	fflush(stdout);
	return 0;
}
