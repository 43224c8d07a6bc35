/* The accounts and aliases files: the same input read as each. */
#include <unistd.h>

#include "mail/accounts.h"
#include "fuzz.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct accounts a = {0};
	struct problems problems = {0};
	char path[64];
	int fd = fuzz_file(data, size, path, sizeof(path));

	accounts_load(&a, path, size > 0 && data[0] & 1, &problems);
	aliases_load(&a, path, &problems);
	accounts_free(&a);
	close(fd);
	return 0;
}
