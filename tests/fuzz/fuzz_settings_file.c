/* The settings file (libconfuse), then every check over what it set. */
#include <unistd.h>

#include "fuzz.h"
#include "mail/settings.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct settings s;
	struct problems problems = {0};
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	settings_init(&s);
	s.hostname_of_container = "mail.example.com";
	settings_read_file(&s, path, &problems);
	settings_resolve(&s, &problems);
	settings_free(&s);
	close(fd);
	return 0;
}
