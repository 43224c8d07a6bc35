/* Environment values: the input is NAME=value entries separated by newlines. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mail/settings.h"

#define ENTRIES_MAX 64

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size), *env[ENTRIES_MAX + 1], *save = NULL;
	struct settings s;
	struct problems problems = {0};
	size_t n = 0;

	for (char *entry = strtok_r(text, "\n", &save); entry && n < ENTRIES_MAX;
	     entry = strtok_r(NULL, "\n", &save)) {
		/* X_FILE names a file to read: /dev/stdin would wait, so no files here. */
		if (strstr(entry, "_FILE=") == NULL)
			env[n++] = entry;
	}
	env[n] = NULL;
	settings_init(&s);
	s.hostname_of_container = "mail.example.com";
	settings_read_environment(&s, env, &problems);
	settings_resolve(&s, &problems);
	settings_free(&s);
	free(text);
	return 0;
}
