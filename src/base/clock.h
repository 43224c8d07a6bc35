/*
 * NAME
 *	clock - the monotonic clock in milliseconds
 *
 * SYNOPSIS
 *	int64_t began = clock_ms();
 *	...
 *	log_info("done in %lld ms", (long long)(clock_ms() - began));
 *
 * DESCRIPTION
 *	CLOCK_MONOTONIC: deadlines, delays and durations never jump with the
 *	wall clock (a container's time may be set while it runs).
 */
#ifndef MAILINIT_CLOCK_H
#define MAILINIT_CLOCK_H

#include <stdint.h>

int64_t clock_ms(void);

#endif
