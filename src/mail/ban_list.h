/*
 * NAME
 *	ban_list - the addresses refused for failed logins, as a file and in memory
 *
 * SYNOPSIS
 *	struct ban_address a;
 *	ban_address_parse("2001:db8::7", 64, &a);     2001:db8::/64; IPv4 stays one host
 *	ban_address_format(&a, text, sizeof(text));
 *
 *	struct ban_list *list = ban_list_new();
 *	ban_list_load(list, "/etc/mailinit/state/bans", &problems);
 *	ban_list_add(list, &a, now, 3600, &entry);    a new ban, or the one already there
 *	ban_list_find(list, ip16, now)                 the active ban covering ip16, or NULL
 *	ban_list_remove(list, &a)                      the ban of exactly a: lifted
 *	ban_list_save(list, path);                     written whole, then renamed into place
 *
 * DESCRIPTION
 *	An address is 16 bytes (IPv4 as ::ffff:a.b.c.d) and a prefix length;
 *	an IPv4 client is one host (/32), an IPv6 client the prefix the
 *	operator chose (BAN_IPV6_PREFIX, /64 by default: one host usually has a
 *	whole /64 to choose from).
 *
 *	The file has one ban per line, "ADDRESS UNTIL BANS": the address (with
 *	/PREFIX unless a single host), until when, in Unix seconds, and how many
 *	times it was banned. An ended ban stays a week (BAN_MEMORY) so that the
 *	next one of the same address lasts twice as long (ban_list_add), up to
 *	BAN_TIME_MAX. At most BAN_LIST_MAX entries: when full, the one that
 *	ended first goes, else the one that ends first.
 */
#ifndef MAILINIT_BAN_LIST_H
#define MAILINIT_BAN_LIST_H

#include <stdbool.h>
#include <stddef.h>
#include <time.h>

#include "base/problems.h"

#define BAN_LIST_MAX 10000
#define BAN_MEMORY   (7L * 86400)
#define BAN_TIME_MAX (30L * 86400)
#define BAN_TEXT_MAX 64 /* an address with its prefix, as text */

struct ban_address {
	unsigned char bytes[16];
	unsigned prefix; /* of the 128 bits: 128 for one host, IPv4's /32 is 128 */
};

struct ban_entry {
	struct ban_address address;
	time_t until;
	unsigned bans;
};

struct ban_list {
	struct ban_entry entry[BAN_LIST_MAX];
	size_t count;
};

/* "192.0.2.7", "2001:db8::1", with or without "/PREFIX"; an IPv6 host is widened to
   IPV6_PREFIX. False when it is not an address. */
bool ban_address_parse(const char *text, unsigned ipv6_prefix, struct ban_address *out);
void ban_address_format(const struct ban_address *a, char *out, size_t size);
bool ban_address_contains(const struct ban_address *net, const unsigned char ip[16]);
bool ban_address_equal(const struct ban_address *a, const struct ban_address *b);
/* A network list (TRUSTED_NETWORKS' syntax: 192.0.2.0/24 [2001:db8::]/32) covers ip. */
bool ban_networks_contain(const char *networks, const unsigned char ip[16]);
/* The networks never banned, as one list: loopback, TRUSTED_NETWORKS, BAN_IGNORE,
   PROXY_PROTOCOL_NETWORKS. */
#define BAN_NEVER_MAX 4096 /* the list as one line; settings_check refuses longer */
struct settings;
bool ban_never_networks(const struct settings *settings, char *out, size_t size); /* false: cut */
/* Whether A (a host or a prefix) and any network of the list share an address. */
bool ban_networks_overlap(const char *networks, const struct ban_address *a);

struct ban_list *ban_list_new(void);
void ban_list_free(struct ban_list *list);
/* A missing file is an empty list; each bad line is a problem, the rest is kept. */
void ban_list_load(struct ban_list *list, const char *path, struct problems *problems);
int ban_list_save(const struct ban_list *list, const char *path);
/* Ban A until NOW + SECONDS, or longer when A was banned before and that ban ended less
   than BAN_MEMORY ago: SECONDS doubled for each ban before, up to BAN_TIME_MAX. The
   entry, or NULL when A is banned already. */
const struct ban_entry *ban_list_add(struct ban_list *list, const struct ban_address *a, time_t now,
				     unsigned seconds);
bool ban_list_remove(struct ban_list *list, const struct ban_address *a);
const struct ban_entry *ban_list_find(const struct ban_list *list, const unsigned char ip[16],
				      time_t now);
/* Drop what ended more than BAN_MEMORY ago. */
void ban_list_prune(struct ban_list *list, time_t now);

#endif
