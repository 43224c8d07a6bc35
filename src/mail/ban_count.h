/*
 * NAME
 *	ban_count - failed logins per client address, in fixed memory
 *
 * SYNOPSIS
 *	static struct ban_count counts;            BAN_COUNT_SLOTS entries, no allocation
 *	if (ban_count_add(&counts, &address, attempts, now, after, window))
 *		... AFTER failures within WINDOW seconds: ban it (the count starts over)
 *
 * DESCRIPTION
 *	PID 1 counts every failed login it reads in the daemons' log lines, for
 *	addresses it cannot choose: a flood from 100,000 addresses must not grow
 *	it. The table is open-addressed over a fixed array; an address not seen
 *	for longer than the window is a free slot, and when all the slots an
 *	address may use are taken, the one seen least recently is given up (its
 *	count is lost: an attacker who spreads over that many addresses makes
 *	each count start over, which BAN_AFTER per address cannot stop anyway).
 */
#ifndef MAILINIT_BAN_COUNT_H
#define MAILINIT_BAN_COUNT_H

#include <stdbool.h>
#include <time.h>

#include "mail/ban_list.h"

#define BAN_COUNT_SLOTS 4096 /* a power of two */
#define BAN_COUNT_PROBE 16   /* slots an address may use */

struct ban_count_slot {
	unsigned char bytes[16]; /* the address, its prefix applied */
	time_t first, last;      /* first and last failure of this count; first 0: free */
	unsigned failures;
};

struct ban_count {
	struct ban_count_slot slot[BAN_COUNT_SLOTS];
};

bool ban_count_add(struct ban_count *counts, const struct ban_address *address, unsigned failures,
		   time_t now, unsigned after, unsigned window);

#endif
