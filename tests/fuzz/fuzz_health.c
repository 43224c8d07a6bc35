/* mailinit health's protocol readers, fed what a daemon might answer: the
   input is the whole reply stream, then the connection closes. */
#include <stdbool.h>
#include <sys/socket.h>
#include <unistd.h>

#include "fuzz.h"
#include "mail/health.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static const char *const protocols[] = {"smtp", "lmtp", "imap", "pop3",
						"sieve", "auth", "milter"};
	char detail[256];

	if (size > 60000)
		return 0; /* more than a socket buffer holds without a reader */
	for (size_t i = 0; i < sizeof(protocols) / sizeof(protocols[0]); i++) {
		int fds[2];

		if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, fds) != 0)
			return 0;
		if (write(fds[1], data, size) != (ssize_t)size) {
			close(fds[0]);
			close(fds[1]);
			return 0;
		}
		shutdown(fds[1], SHUT_WR);
		health_speak_plain(fds[0], protocols[i], detail, sizeof(detail));
		close(fds[0]);
		close(fds[1]);
	}
	return 0;
}
