/*
 * NAME
 *	networks - a network in the spelling each daemon wants
 *
 * SYNOPSIS
 *	network_write("2001:db8::/32", true, &out);     "[2001:db8::]/32" (Postfix)
 *	network_write("[2001:db8::]/32", false, &out);  "2001:db8::/32" (OpenDKIM)
 *
 * DESCRIPTION
 *	TRUSTED_NETWORKS takes IPv6 networks either way; Postfix wants them in
 *	brackets, OpenDKIM without. IPv4 networks are written as given.
 */
#ifndef MAILINIT_NETWORKS_H
#define MAILINIT_NETWORKS_H

#include <stdbool.h>

#include "base/buffer.h"

void network_write(const char *network, bool brackets, struct buffer *out);

#endif
