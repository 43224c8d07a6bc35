/*
 * NAME
 *	provision_sni - a certificate per domain, chosen by the name the client asks for
 *
 * DESCRIPTION
 *	See provision_steps.h. CERTS_DIR holds one subdirectory per certificate
 *	(certbot's live/NAME/, or one mounted Kubernetes TLS secret each) with
 *	fullchain.pem and privkey.pem, or tls.crt and tls.key. Each pair is read
 *	once and checked as the default one is (provision_tls.c), and served to
 *	the clients whose SNI asks for a name in its subjectAltName: Postfix
 *	through tls_server_sni_maps (a texthash: table, its files read when smtpd
 *	starts), Dovecot through a local_name block each. Clients that send no
 *	name, or one no certificate covers, get the default certificate.
 *
 *	The subdirectories are read in name order; a name two certificates cover
 *	goes to the first (a warning), and a name one covers exactly goes to it
 *	before a wildcard of another (the default certificate's names too), as
 *	Postfix looks the exact name up first: Dovecot's blocks are written
 *	exact names first so that it chooses the same.
 *
 *	A subdirectory without a pair yet (certbot mid-issue, a secret not yet
 *	filled) is skipped with a warning: the watch on CERTS_DIR reloads when
 *	it is filled. So is an expired certificate (certbot keeps the lineages
 *	of domains long gone): one forgotten domain must not stop the server.
 *	A pair caught half renewed (one file, a key of another certificate) is
 *	a problem like the default one's: a reload keeps serving what it served.
 */
#include <dirent.h>
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/file.h"
#include "base/log.h"
#include "base/text.h"
#include "mail/lookup_table.h"
#include "mail/provision_steps.h"
#include "mail/tls.h"
#include "mail/validate.h"

/* The file names of a pair, certbot's first. */
static const char *const pair_names[][2] = {{"fullchain.pem", "privkey.pem"},
					    {"tls.crt", "tls.key"}};

/* The pair in DIR: 1 found (CERT and KEY set), 0 none, -1 half of one (a problem). */
static int find_pair(const char *dir, char *cert, char *key, size_t size, struct problems *problems)
{
	for (size_t i = 0; i < sizeof(pair_names) / sizeof(pair_names[0]); i++) {
		if (snprintf(cert, size, "%s/%s", dir, pair_names[i][0]) >= (int)size ||
		    snprintf(key, size, "%s/%s", dir, pair_names[i][1]) >= (int)size) {
			problem(problems, "CERTS_DIR: %s: the path is too long", dir);
			return -1;
		}
		bool has_cert = access(cert, F_OK) == 0, has_key = access(key, F_OK) == 0;

		if (has_cert && has_key)
			return 1;
		if (has_cert || has_key) {
			problem(problems, "CERTS_DIR: %s has %s but not %s", dir,
				has_cert ? pair_names[i][0] : pair_names[i][1],
				has_cert ? pair_names[i][1] : pair_names[i][0]);
			return -1;
		}
	}
	return 0;
}

/* A name as a certificate gives it: a host name, or *. and a domain. */
static bool servable_name(const char *name)
{
	const char *why;

	if (strncmp(name, "*.", 2) == 0)
		name += 2;
	return valid_domain(name, &why);
}

/* Whether an earlier certificate already takes NAME. */
static bool name_taken(const struct context *c, size_t before, const char *name)
{
	for (size_t i = 0; i < before; i++) {
		const char *names = c->sni[i].names.data ? c->sni[i].names.data : "";
		char word[256];

		while (text_next_word(&names, word, sizeof(word))) {
			if (strcmp(word, name) == 0)
				return true;
		}
	}
	return false;
}

/* The names of certificate N, less those not servable or taken by an earlier one. */
static void keep_names(struct context *c, size_t n, const char *all)
{
	struct sni_certificate *sni = &c->sni[n];
	char name[256];

	while (text_next_word(&all, name, sizeof(name))) {
		if (!servable_name(name))
			log_warn(
			    "CERTS_DIR: %s: the name \"%s\" is not a host name: not served by it",
			    sni->dir, name);
		else if (name_taken(c, n, name))
			log_warn("CERTS_DIR: %s: %s is covered by an earlier directory too: that "
				 "one serves it",
				 sni->dir, name);
		else
			buffer_printf(&sni->names, "%s%s", sni->names.len ? " " : "", name);
	}
}

/* Read, check and keep the pair in DIR. */
static void read_pair(struct context *c, const char *dir, struct problems *problems)
{
	struct sni_certificate *sni = &c->sni[c->sni_count];
	char cert[PATH_MAX], key[PATH_MAX];
	size_t cert_len = 0, key_len = 0;
	unsigned before = problems->count;
	struct buffer names = {0};
	const char *why;
	bool not_yet;
	int found;

	if (!valid_path(dir, &why)) {
		log_warn("CERTS_DIR: %s %s: skipped", dir, why);
		return;
	}
	if ((found = find_pair(dir, cert, key, sizeof(cert), problems)) == 0)
		log_warn("CERTS_DIR: %s has no fullchain.pem and privkey.pem (nor tls.crt and "
			 "tls.key) yet: skipped until it has",
			 dir);
	if (found <= 0)
		return;
	char *cert_pem = file_read(cert, &cert_len);
	char *key_pem = cert_pem ? file_read(key, &key_len) : NULL;

	if (key_pem == NULL) {
		problem(problems, "%s: cannot read it: %s", cert_pem ? key : cert, strerror(errno));
		free(cert_pem);
		return;
	}
	int days = tls_days_left(cert_pem, cert_len, &not_yet);

	if (days != INT_MIN && (days < 0 || not_yet)) {
		log_warn("CERTS_DIR: %s: the certificate %s: skipped (renew it, or remove the "
			 "directory)",
			 cert, not_yet ? "is not valid yet" : "has expired");
		goto out;
	}
	tls_check_pem(cert, cert_pem, cert_len, key, key_pem, key_len, NULL, false, problems);
	if (problems->count == before && tls_names(cert_pem, cert_len, &names) == 0) {
		*sni = (struct sni_certificate){0};
		snprintf(sni->dir, sizeof(sni->dir), "%s", dir);
		snprintf(sni->id, sizeof(sni->id), "%s", strrchr(dir, '/') + 1);
		keep_names(c, c->sni_count, names.data ? names.data : "");
		if (sni->names.len == 0) {
			log_warn("CERTS_DIR: %s: its certificate names no host to serve it for: "
				 "skipped",
				 dir);
			buffer_free(&sni->names);
		} else {
			buffer_append(&sni->pair, key_pem, key_len);
			if (key_len > 0 && key_pem[key_len - 1] != '\n')
				buffer_puts(&sni->pair, "\n");
			buffer_append(&sni->pair, cert_pem, cert_len);
			c->sni_count++;
		}
	}
out:
	buffer_free(&names);
	explicit_bzero(key_pem, key_len);
	free(key_pem);
	free(cert_pem);
}

static int by_name(const struct dirent **a, const struct dirent **b)
{
	return strcmp((*a)->d_name, (*b)->d_name);
}

/* Subdirectories only, and not Kubernetes' ..data and ..2026_… of a secret mounted whole. */
static int is_candidate(const struct dirent *entry)
{
	return entry->d_name[0] != '.';
}

int provision_sni_read(struct context *c, struct problems *problems)
{
	const char *certs_dir = settings_get(c->settings, S_CERTS_DIR);
	struct dirent **entries;
	int count;

	if (certs_dir == NULL)
		return 0;
	count = scandir(certs_dir, &entries, is_candidate, by_name);
	if (count < 0) {
		problem(problems,
			"CERTS_DIR: cannot read %s: %s (mount the certificates there, "
			"or unset CERTS_DIR)",
			certs_dir, strerror(errno));
		return 0;
	}
	for (int i = 0; i < count; i++) {
		char dir[PATH_MAX];
		struct stat st;

		if (snprintf(dir, sizeof(dir), "%s/%s", certs_dir, entries[i]->d_name) <
			(int)sizeof(dir) &&
		    stat(dir, &st) == 0 && S_ISDIR(st.st_mode)) {
			if (c->sni_count == SNI_MAX)
				problem(problems, "CERTS_DIR: %s: more than %d certificates", dir,
					SNI_MAX);
			else
				read_pair(c, dir, problems);
		}
		free(entries[i]);
	}
	free(entries);
	return 0;
}

/* Postfix's key for NAME: a wildcard's domain with a leading dot (it covers subdomains). */
static const char *postfix_key(const char *name)
{
	return strncmp(name, "*.", 2) == 0 ? name + 1 : name;
}

/* One local_name block for the names of NAMES that are (or are not) wildcards. */
static void dovecot_block(struct buffer *out, const char *names, bool wildcards, const char *pair)
{
	struct buffer chosen = {0};
	char name[256];

	while (text_next_word(&names, name, sizeof(name))) {
		if ((strncmp(name, "*.", 2) == 0) == wildcards)
			buffer_printf(&chosen, "%s%s", chosen.len ? " " : "", name);
	}
	if (chosen.len)
		buffer_printf(out, "local_name \"%s\" {\n  ssl_cert = <%s\n  ssl_key = <%s\n}\n",
			      chosen.data, pair, pair);
	buffer_free(&chosen);
}

/* The default certificate's names that no CERTS_DIR certificate takes exactly: to the
   default pair in Postfix's table (its docs ask for them), and in a Dovecot block of their
   own, written first, so that a wildcard of CERTS_DIR does not take them from it. */
static void add_default_names(struct context *c, struct lookup_table *map, struct buffer *dovecot,
			      const char *pair)
{
	struct buffer names = {0}, own = {0};
	const char *rest;
	char name[256];

	if (tls_names(c->tls_pair.data, c->tls_pair.len, &names) != 0)
		return;
	rest = names.data ? names.data : "";
	while (text_next_word(&rest, name, sizeof(name))) {
		if (!servable_name(name) || lookup_table_has(map, postfix_key(name)))
			continue;
		lookup_table_add_default(map, postfix_key(name), pair);
		buffer_printf(&own, "%s%s", own.len ? " " : "", name);
	}
	if (own.len)
		dovecot_block(dovecot, own.data, false, pair);
	buffer_free(&names);
	buffer_free(&own);
}

/* Remove what is not a pair served now: those of certificates gone (their keys with
   them), and file_write's temporary files a crash left. */
static void remove_stale_pairs(const struct context *c, const char *dir)
{
	DIR *d = opendir(dir);
	struct dirent *entry;

	while (d && (entry = readdir(d)) != NULL) {
		bool current = false;
		size_t len = strlen(entry->d_name);

		if (strcmp(entry->d_name, ".") == 0 || strcmp(entry->d_name, "..") == 0)
			continue;
		for (size_t i = 0; i < c->sni_count && !current; i++) {
			size_t id_len = strlen(c->sni[i].id);

			current = len == id_len + 4 &&
				  strncmp(entry->d_name, c->sni[i].id, id_len) == 0 &&
				  strcmp(entry->d_name + id_len, ".pem") == 0;
		}
		if (!current && unlinkat(dirfd(d), entry->d_name, 0) != 0)
			log_warn("cannot remove %s/%s: %s", dir, entry->d_name, strerror(errno));
	}
	if (d)
		closedir(d);
}

int provision_sni_render(struct context *c)
{
	struct buffer postfix = {0}, dovecot = {0}, exact = {0}, wildcard = {0};
	struct lookup_table map = {0};
	char dir[PATH_MAX], file[PATH_MAX], pair[PATH_MAX];
	int status = 0;

	snprintf(dir, sizeof(dir), "%s%s", c->root, SNI_PAIRS);
	if (file_mkdirs(dir, 0700, 0, 0) != 0)
		return -1;
	for (size_t i = 0; i < c->sni_count && status == 0; i++) {
		const char *names = c->sni[i].names.data;
		char name[256];

		snprintf(file, sizeof(file), "%s/%s.pem", SNI_PAIRS, c->sni[i].id);
		snprintf(pair, sizeof(pair), "%s%s", c->root, file);
		status = provision_write_file(c, file, &c->sni[i].pair, 0600, 0);
		dovecot_block(&exact, names, false, pair);
		dovecot_block(&wildcard, names, true, pair);
		while (text_next_word(&names, name, sizeof(name)))
			lookup_table_add(&map, postfix_key(name), pair);
	}
	buffer_puts(&dovecot, "# Rendered by mailinit from CERTS_DIR: a certificate per name, "
			      "exact names before wildcards\n");
	if (c->sni_count) {
		snprintf(pair, sizeof(pair), "%s%s", c->root, TLS_PAIR);
		add_default_names(c, &map, &dovecot, pair);
	}
	buffer_printf(&dovecot, "%s%s", exact.data ? exact.data : "",
		      wildcard.data ? wildcard.data : "");
	buffer_puts(&postfix, "# Rendered by mailinit from CERTS_DIR: the chain file per name\n");
	lookup_table_write(&map, &postfix);
	if (status == 0 &&
	    (provision_write_file(c, "/etc/postfix/sni", &postfix, 0644, 0) != 0 ||
	     provision_write_file(c, "/etc/dovecot/sni.conf", &dovecot, 0644, 0) != 0))
		status = -1;
	if (status == 0)
		remove_stale_pairs(c, dir);
	lookup_table_free(&map);
	buffer_free(&postfix);
	buffer_free(&dovecot);
	buffer_free(&exact);
	buffer_free(&wildcard);
	return status;
}

void provision_sni_free(struct context *c)
{
	for (size_t i = 0; i < c->sni_count; i++) {
		if (c->sni[i].pair.data)
			explicit_bzero(c->sni[i].pair.data, c->sni[i].pair.len);
		buffer_free(&c->sni[i].pair);
		buffer_free(&c->sni[i].names);
	}
	c->sni_count = 0;
}
