/*
 * NAME
 *	networks - a network in the spelling each daemon wants
 *
 * DESCRIPTION
 *	See networks.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>

#include "base/buffer.h"
#include "mail/networks.h"

static bool canonical(const char *network, char text[INET6_ADDRSTRLEN], long *bits, int *family);

/*
 * One network in the form a consumer wants: Postfix writes IPv6 networks as
 * [2001:db8::]/32, OpenDKIM as 2001:db8::/32. Either spelling is accepted.
 */
void network_write(const char *network, bool brackets, struct buffer *out)
{
	const char *slash = strchr(network, '/');
	size_t len = slash ? (size_t)(slash - network) : strlen(network);
	bool bracketed = network[0] == '[';
	char text[INET6_ADDRSTRLEN];
	long bits;
	int family;

	if (canonical(network, text, &bits, &family)) {
		buffer_printf(out, family == AF_INET6 && brackets ? "[%s]/%ld" : "%s/%ld", text,
			      bits);
		return;
	}
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

/* NETWORK with its host bits cleared, into TEXT, *BITS and *FAMILY; false when invalid. */
static bool canonical(const char *network, char text[INET6_ADDRSTRLEN], long *bits, int *family)
{
	const char *slash = strchr(network, '/');
	size_t len = slash ? (size_t)(slash - network) : strlen(network);
	char address[64], *end;
	unsigned char bytes[16];
	long max = 32;

	*family = AF_INET;
	if (network[0] == '[' && len > 2 && network[len - 1] == ']') {
		network++;
		len -= 2;
	}
	if (len >= sizeof(address))
		return false;
	memcpy(address, network, len);
	address[len] = '\0';
	if (strchr(address, ':')) {
		*family = AF_INET6;
		max = 128;
	}
	if (inet_pton(*family, address, bytes) != 1)
		return false;
	*bits = slash ? strtol(slash + 1, &end, 10) : max;
	if (slash && (end == slash + 1 || *end != '\0' || *bits < 0 || *bits > max))
		return false;
	for (long bit = *bits; bit < max; bit++)
		bytes[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
	return inet_ntop(*family, bytes, text, INET6_ADDRSTRLEN) != NULL;
}

bool listen_address_parse(const char *text, struct sockaddr_storage *out, unsigned *length)
{
	const char *colon = text ? strrchr(text, ':') : NULL;
	char address[INET6_ADDRSTRLEN + 2], *end;
	unsigned long port;
	size_t len;

	memset(out, 0, sizeof(*out));
	if (colon == NULL || (len = (size_t)(colon - text)) >= sizeof(address) || colon[1] < '0' ||
	    colon[1] > '9')
		return false;
	errno = 0;
	port = strtoul(colon + 1, &end, 10);
	if (errno != 0 || *end != '\0' || port < 1 || port > 65535)
		return false;
	memcpy(address, text, len);
	address[len] = '\0';
	if (len > 2 && address[0] == '[' && address[len - 1] == ']') {
		struct sockaddr_in6 *v6 = (struct sockaddr_in6 *)out;

		address[len - 1] = '\0';
		v6->sin6_family = AF_INET6;
		v6->sin6_port = htons((uint16_t)port);
		*length = sizeof(*v6);
		return inet_pton(AF_INET6, address + 1, &v6->sin6_addr) == 1;
	}
	struct sockaddr_in *v4 = (struct sockaddr_in *)out;

	v4->sin_family = AF_INET;
	v4->sin_port = htons((uint16_t)port);
	*length = sizeof(*v4);
	return inet_pton(AF_INET, address, &v4->sin_addr) == 1;
}
