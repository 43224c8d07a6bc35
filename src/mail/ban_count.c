/*
 * NAME
 *	ban_count - failed logins per client address, in fixed memory
 *
 * DESCRIPTION
 *	See ban_count.h.
 */
#include <stdint.h>
#include <string.h>

#include "mail/ban_count.h"

/* FNV-1a over the 16 bytes: the addresses are the attacker's choice, but a bad spread
   only costs probes (at most BAN_COUNT_PROBE), never memory. */
static uint32_t hash(const unsigned char bytes[16])
{
	uint32_t h = 2166136261u;

	for (int i = 0; i < 16; i++)
		h = (h ^ bytes[i]) * 16777619u;
	return h;
}

/* A slot holds nothing that counts: never used, banned, or its window is over. */
static bool is_free(const struct ban_count_slot *s, time_t now, unsigned window)
{
	return s->first == 0 || now - s->first > (time_t)window;
}

bool ban_count_add(struct ban_count *counts, const struct ban_address *address, unsigned failures,
		   time_t now, unsigned after, unsigned window)
{
	uint32_t start = hash(address->bytes);
	struct ban_count_slot *found = NULL, *victim = NULL;

	for (uint32_t i = 0; i < BAN_COUNT_PROBE && found == NULL; i++) {
		struct ban_count_slot *s = &counts->slot[(start + i) & (BAN_COUNT_SLOTS - 1)];
		bool s_free = is_free(s, now, window);

		if (!s_free && memcmp(s->bytes, address->bytes, 16) == 0)
			found = s;
		else if (victim == NULL || (s_free && !is_free(victim, now, window)) ||
			 (s_free == is_free(victim, now, window) && s->last < victim->last))
			victim = s;
	}
	if (found == NULL) {
		found = victim;
		memcpy(found->bytes, address->bytes, 16);
		found->first = now;
		found->failures = 0;
	}
	found->last = now;
	found->failures += failures;
	if (found->failures < after)
		return false;
	found->first = 0; /* banned: the slot is free again */
	return true;
}
