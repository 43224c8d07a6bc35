/*
 * NAME
 *	ban_list - the addresses refused for failed logins, as a file and in memory
 *
 * DESCRIPTION
 *	See ban_list.h.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/buffer.h"
#include "base/file.h"
#include "base/text.h"
#include "mail/ban_list.h"
#include "mail/settings.h"

static const unsigned char v4_mapped[12] = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xff, 0xff};

static bool is_v4(const unsigned char bytes[16])
{
	return memcmp(bytes, v4_mapped, sizeof(v4_mapped)) == 0;
}

/* Clear the bits past the prefix: 192.0.2.7/24 and 192.0.2.0/24 are one network. */
static void mask(struct ban_address *a)
{
	for (unsigned bit = a->prefix; bit < 128; bit++)
		a->bytes[bit / 8] &= (unsigned char)~(0x80u >> (bit % 8));
}

bool ban_address_parse(const char *text, unsigned ipv6_prefix, struct ban_address *out)
{
	char host[BAN_TEXT_MAX];
	const char *slash = strchr(text, '/');
	size_t len = slash ? (size_t)(slash - text) : strlen(text);
	unsigned long prefix = 0;
	struct in_addr v4;

	if (len == 0 || len >= sizeof(host))
		return false;
	if (len > 2 && text[0] == '[' && text[len - 1] == ']') { /* Postfix's [2001:db8::]/32 */
		text++;
		len -= 2;
	}
	memcpy(host, text, len);
	host[len] = '\0';
	if (slash) {
		char *end;

		errno = 0;
		prefix = strtoul(slash + 1, &end, 10);
		if (slash[1] < '0' || slash[1] > '9' || *end || errno)
			return false;
	}
	*out = (struct ban_address){0};
	if (inet_pton(AF_INET, host, &v4) == 1) {
		if (slash && prefix > 32)
			return false;
		memcpy(out->bytes, v4_mapped, sizeof(v4_mapped));
		memcpy(out->bytes + 12, &v4, 4);
		out->prefix = 96 + (unsigned)(slash ? prefix : 32);
	} else if (inet_pton(AF_INET6, host, out->bytes) == 1) {
		if (slash && prefix > 128)
			return false;
		out->prefix = slash ? (unsigned)prefix : ipv6_prefix;
		if (is_v4(out->bytes) && out->prefix < 96)
			return false;
	} else {
		return false;
	}
	mask(out);
	return true;
}

void ban_address_format(const struct ban_address *a, char *out, size_t size)
{
	char host[INET6_ADDRSTRLEN];

	if (is_v4(a->bytes) && a->prefix >= 96) {
		inet_ntop(AF_INET, a->bytes + 12, host, sizeof(host));
		if (a->prefix == 128)
			snprintf(out, size, "%s", host);
		else
			snprintf(out, size, "%s/%u", host, a->prefix - 96);
		return;
	}
	inet_ntop(AF_INET6, a->bytes, host, sizeof(host));
	if (a->prefix == 128)
		snprintf(out, size, "%s", host);
	else
		snprintf(out, size, "%s/%u", host, a->prefix);
}

bool ban_address_contains(const struct ban_address *net, const unsigned char ip[16])
{
	unsigned whole = net->prefix / 8, bits = net->prefix % 8;

	/* An IPv6 network holds no IPv4 client, as for Postfix and Dovecot: ::/0 or ::/96 would
	   otherwise hold every ::ffff:a.b.c.d. */
	if (is_v4(net->bytes) != is_v4(ip))
		return false;
	if (memcmp(net->bytes, ip, whole) != 0)
		return false;
	return bits == 0 || ((net->bytes[whole] ^ ip[whole]) & (0xff00u >> bits)) == 0;
}

bool ban_address_equal(const struct ban_address *a, const struct ban_address *b)
{
	return a->prefix == b->prefix && memcmp(a->bytes, b->bytes, 16) == 0;
}

bool ban_networks_contain(const char *networks, const unsigned char ip[16])
{
	char word[BAN_TEXT_MAX];
	struct ban_address net;

	while (text_next_word(&networks, word, sizeof(word))) {
		if (ban_address_parse(word, 128, &net) && ban_address_contains(&net, ip))
			return true;
	}
	return false;
}

bool ban_never_networks(const struct settings *s, char *out, size_t size)
{
	/* A load balancer's own address is no client's: were it counted (one sending to the
	   usual ports without the PROXY protocol), a ban of it would shut out everyone. */
	int n =
	    snprintf(out, size, "127.0.0.0/8 ::1/128 %s %s %s", settings_get(s, S_TRUSTED_NETWORKS),
		     settings_get(s, S_BAN_IGNORE), settings_get(s, S_PROXY_PROTOCOL_NETWORKS));

	return n >= 0 && (size_t)n < size;
}

/* Two networks overlap when the shorter prefix holds the other's first address. */
bool ban_networks_overlap(const char *networks, const struct ban_address *a)
{
	char word[BAN_TEXT_MAX];
	struct ban_address net;

	while (text_next_word(&networks, word, sizeof(word))) {
		if (!ban_address_parse(word, 128, &net))
			continue;
		if (net.prefix <= a->prefix ? ban_address_contains(&net, a->bytes)
					    : ban_address_contains(a, net.bytes))
			return true;
	}
	return false;
}

struct ban_list *ban_list_new(void)
{
	return calloc(1, sizeof(struct ban_list));
}

void ban_list_free(struct ban_list *list)
{
	free(list);
}

static struct ban_entry *find_exact(struct ban_list *list, const struct ban_address *a)
{
	for (size_t i = 0; i < list->count; i++) {
		if (ban_address_equal(&list->entry[i].address, a))
			return &list->entry[i];
	}
	return NULL;
}

static void drop(struct ban_list *list, size_t i)
{
	list->entry[i] = list->entry[--list->count];
}

/* Room for one more: the entry that ended (or ends) first goes. */
static void make_room(struct ban_list *list)
{
	size_t first = 0;

	if (list->count < BAN_LIST_MAX)
		return;
	for (size_t i = 1; i < list->count; i++) {
		if (list->entry[i].until < list->entry[first].until)
			first = i;
	}
	drop(list, first);
}

static bool parse_line(const char *line, struct ban_entry *e)
{
	char address[BAN_TEXT_MAX], until[32], bans[16], extra[2];
	char *end;
	const char *rest = line;

	if (!text_next_word(&rest, address, sizeof(address)) ||
	    !text_next_word(&rest, until, sizeof(until)) ||
	    !text_next_word(&rest, bans, sizeof(bans)) ||
	    text_next_word(&rest, extra, sizeof(extra)))
		return false;
	if (!ban_address_parse(address, 128, &e->address))
		return false;
	errno = 0;
	e->until = (time_t)strtoll(until, &end, 10);
	if (*end || errno || e->until < 0)
		return false;
	unsigned long n = strtoul(bans, &end, 10);
	if (*end || n == 0 || n > 1000)
		return false;
	e->bans = (unsigned)n;
	return true;
}

void ban_list_load(struct ban_list *list, const char *path, struct problems *problems)
{
	size_t len = 0;
	char *text = file_read(path, &len);
	unsigned number = 0;

	list->count = 0;
	if (text == NULL) {
		if (errno != ENOENT)
			problem(problems, "%s: cannot read it: %s", path, strerror(errno));
		return;
	}
	for (char *line = text, *next; line && *line; line = next) {
		struct ban_entry e;

		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		number++;
		if (line[0] == '#' || line[strspn(line, " \t")] == '\0')
			continue;
		if (!parse_line(line, &e))
			problem(problems,
				"%s:%u: not ADDRESS UNTIL BANS (e.g. 192.0.2.7 1767225600 1): "
				"line left out",
				path, number);
		else if (!find_exact(list, &e.address)) {
			make_room(list);
			list->entry[list->count++] = e;
		}
	}
	free(text);
}

int ban_list_save(const struct ban_list *list, const char *path)
{
	struct buffer out = {0};
	char address[BAN_TEXT_MAX];
	int status;

	buffer_puts(&out, "# mailinit's bans: ADDRESS UNTIL (Unix time) BANS (how many so far).\n"
			  "# Edit with mailinit ban add|del; a ban that ended stays a week, so "
			  "the next lasts longer.\n");
	for (size_t i = 0; i < list->count; i++) {
		ban_address_format(&list->entry[i].address, address, sizeof(address));
		buffer_printf(&out, "%s %" PRId64 " %u\n", address, (int64_t)list->entry[i].until,
			      list->entry[i].bans);
	}
	status = file_write(path, out.data, out.len, 0600, 0, 0);
	buffer_free(&out);
	return status;
}

const struct ban_entry *ban_list_add(struct ban_list *list, const struct ban_address *a, time_t now,
				     unsigned seconds)
{
	struct ban_entry *e = find_exact(list, a);
	unsigned long long length = seconds;

	if (e && e->until > now)
		return NULL;
	if (e && e->until + BAN_MEMORY > now) {
		e->bans++;
		for (unsigned i = 1; i < e->bans && length < BAN_TIME_MAX; i++)
			length *= 2;
	} else if (e) {
		e->bans = 1;
	} else {
		make_room(list);
		e = &list->entry[list->count++];
		*e = (struct ban_entry){.address = *a, .bans = 1};
	}
	e->until = now + (time_t)(length < BAN_TIME_MAX ? length : BAN_TIME_MAX);
	return e;
}

bool ban_list_remove(struct ban_list *list, const struct ban_address *a)
{
	struct ban_entry *e = find_exact(list, a);

	if (e == NULL)
		return false;
	drop(list, (size_t)(e - list->entry));
	return true;
}

const struct ban_entry *ban_list_find(const struct ban_list *list, const unsigned char ip[16],
				      time_t now)
{
	for (size_t i = 0; i < list->count; i++) {
		if (list->entry[i].until > now && ban_address_contains(&list->entry[i].address, ip))
			return &list->entry[i];
	}
	return NULL;
}

void ban_list_prune(struct ban_list *list, time_t now)
{
	for (size_t i = 0; i < list->count;) {
		if (list->entry[i].until + BAN_MEMORY <= now)
			drop(list, i);
		else
			i++;
	}
}
