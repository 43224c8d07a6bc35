/*
 * NAME
 *	networks - a network in the spelling each daemon wants
 *
 * SYNOPSIS
 *	network_write("2001:db8::/32", true, &out);     "[2001:db8::]/32" (Postfix)
 *	network_write("[2001:db8::]/32", false, &out);  "2001:db8::/32" (OpenDKIM)
 *	network_write("192.0.2.7", false, &out);        "192.0.2.7/32" (OpenDKIM, a cidr: table)
 *	listen_address_parse("[::1]:9154", &address, &length)   a socket address to bind
 *
 * DESCRIPTION
 *	TRUSTED_NETWORKS takes IPv6 networks either way; Postfix wants them in
 *	brackets, OpenDKIM without. An address without a prefix gets its full
 *	length (a cidr: table wants one). Bits set past the prefix are cleared,
 *	though valid_network refuses them first (192.0.2.7/24: Postfix's
 *	mynetworks would fail every lookup, OpenDKIM match no client). What
 *	valid_network would refuse is written as given.
 */
#ifndef MAILINIT_NETWORKS_H
#define MAILINIT_NETWORKS_H

#include <stdbool.h>

#include "base/buffer.h"

void network_write(const char *network, bool brackets, struct buffer *out);

/* "ADDRESS:PORT" (IPv6 in brackets: "[::]:9154") as a socket address to bind; false if it
   is not one (port 1-65535, an IP address, not a name). */
struct sockaddr_storage;
bool listen_address_parse(const char *text, struct sockaddr_storage *out, unsigned *length);

#endif
