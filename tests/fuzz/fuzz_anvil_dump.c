/* anvil's session list (CONNECT-DUMP), which session processes of the mail uid fill, read by
   the reload as root; and the users-file comparison. */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mail/sessions.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *dump = fuzz_string(data, size);
	char *names[] = {"alice@example.test", "bob@example.test"};
	pid_t pids[16];
	size_t count = sessions_pids(dump, names, 2, pids, 16);

	for (size_t i = 0; i < count; i++) {
		if (pids[i] <= 1)
			__builtin_trap(); /* kill(0), kill(-1) or kill(1): never */
	}
	/* The input as the old users file against a fixed new one. */
	char **changed;
	size_t n = sessions_changed_accounts(dump, "alice@example.test:x::::::\n", &changed);

	for (size_t i = 0; i < n; i++) {
		if (strchr(changed[i], ':') || strchr(changed[i], '\n'))
			__builtin_trap(); /* a name is the text before the first colon of a line */
		free(changed[i]);
	}
	free(changed);
	free(dump);
	return 0;
}
