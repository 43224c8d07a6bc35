/*
 * NAME
 *	networks - a network in the spelling each daemon wants
 *
 * SYNOPSIS
 *	network_write("2001:db8::1/32", true, &out);    "[2001:db8::]/32" (Postfix)
 *	network_write("[2001:db8::]/32", false, &out);  "2001:db8::/32" (OpenDKIM)
 *	network_write("192.0.2.7/24", false, &out);     "192.0.2.0/24" (OpenDKIM, a cidr: table)
 *
 * DESCRIPTION
 *	TRUSTED_NETWORKS takes IPv6 networks either way; Postfix wants them in
 *	brackets, OpenDKIM without. Neither takes an address with bits set past
 *	its prefix (192.0.2.7/24: Postfix's mynetworks then fails every lookup,
 *	a cidr: table skips the rule, OpenDKIM matches no client), so they are
 *	cleared, and an address without a prefix gets its full length. What
 *	valid_network would refuse is written as given.
 */
#ifndef MAILINIT_NETWORKS_H
#define MAILINIT_NETWORKS_H

#include <stdbool.h>

#include "base/buffer.h"

void network_write(const char *network, bool brackets, struct buffer *out);

#endif
