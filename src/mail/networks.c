/*
 * NAME
 *	networks - a network in the spelling each daemon wants
 *
 * DESCRIPTION
 *	See networks.h.
 */
#include <stdbool.h>
#include <string.h>

#include "base/buffer.h"
#include "mail/networks.h"

/*
 * One network in the form a consumer wants: Postfix writes IPv6 networks as
 * [2001:db8::]/32, OpenDKIM as 2001:db8::/32. Either spelling is accepted.
 */
void network_write(const char *network, bool brackets, struct buffer *out)
{
	const char *slash = strchr(network, '/');
	size_t len = slash ? (size_t)(slash - network) : strlen(network);
	bool bracketed = network[0] == '[';

	if (bracketed) {
		network++;
		len -= 2;
	}
	if (!strchr(network, ':') || len == 0) {
		buffer_puts(out, network - bracketed); /* IPv4: as given */
		return;
	}
	buffer_printf(out, "%s%.*s%s%s", brackets ? "[" : "", (int)len, network,
		      brackets ? "]" : "", slash ? slash : "");
}
