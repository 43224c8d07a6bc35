/*
 * NAME
 *	health - real protocol probes of every enabled listener and socket
 *
 * DESCRIPTION
 *	See health.h. Each probe connects with a deadline taken from what is
 *	left of the budget, speaks just enough of its protocol to know the
 *	daemon answers, says goodbye, and closes.
 */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pwd.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <openssl/err.h>
#include <openssl/pem.h>
#include <openssl/ssl.h>
#include <openssl/x509.h>

#include "base/clock.h"
#include "base/buffer.h"
#include "base/file.h"
#include "mail/gate.h"
#include "mail/health.h"
#include "mail/health_probe.h"
#include "mail/listeners.h"
#include "mail/provision.h"
#include "base/json.h"

#define EXPIRY_WARNING_DAYS 14
/* As many as CERTS_DIR may hold (provision_steps.h: SNI_MAX). */
#define SNI_CERTIFICATES_MAX 64

static void report(struct buffer *out, bool json, const char *name, const char *where, bool ok,
		   const char *status, const char *detail, long ms)
{
	if (!json) {
		buffer_printf(out, "%-5s %-11s %-42s %s (%ld ms)\n", status, name, where, detail,
			      ms);
		return;
	}
	buffer_printf(out, "%s{\"name\":", out->len > 1 ? "," : "");
	json_string(out, name, strlen(name));
	buffer_puts(out, ",\"target\":");
	json_string(out, where, strlen(where));
	buffer_printf(out, ",\"ok\":%s,\"status\":\"%s\",\"detail\":", ok ? "true" : "false",
		      status);
	json_string(out, detail, strlen(detail));
	buffer_printf(out, ",\"ms\":%ld}", ms);
}

static int certificate_check(X509 *peer, char *detail, size_t size)
{
	int days = 0, seconds = 0;

	if (peer == NULL) {
		snprintf(detail, size, "no certificate was presented");
		return -1;
	}
	ASN1_TIME_diff(&days, &seconds, NULL, X509_get0_notAfter(peer));
	if (days < 0 || (days == 0 && seconds < 0)) {
		snprintf(detail, size, "the certificate has expired");
		return -1;
	}
	snprintf(detail, size, "the certificate expires in %d days", days);
	return days < EXPIRY_WARNING_DAYS ? 1 : 0;
}

static void interrupt_io(int sig)
{
	(void)sig; /* only to end a blocking read or write with EINTR */
}

/*
 * One deadline for the whole run. Each read has the time that is left, but a
 * listener that drips a byte at a time would restart that wait with every
 * byte (and a TLS record is many reads). So from the deadline on, SIGALRM
 * (without SA_RESTART) interrupts whatever blocks, every 100 ms.
 */
static void arm_deadline(bool on)
{
	struct itimerval timer = {0};
	struct sigaction action = {.sa_handler = on ? interrupt_io : SIG_DFL};

	if (on) {
		timer.it_value.tv_sec = HEALTH_BUDGET_MS / 1000;
		timer.it_value.tv_usec = (suseconds_t)HEALTH_BUDGET_MS % 1000 * 1000;
		timer.it_interval.tv_usec = (suseconds_t)100 * 1000;
	}
	setitimer(ITIMER_REAL, &timer, NULL);
	sigemptyset(&action.sa_mask);
	sigaction(SIGALRM, &action, NULL);
}

/* The last live reload: -1 refused (*when set), 0 taken or none. */
static int reload_outcome(const char *path, time_t *when)
{
	char text[64] = "";
	long long seconds = 0;
	FILE *f = fopen(path, "re");

	if (f == NULL)
		return 0;
	if (fgets(text, sizeof(text), f) == NULL)
		text[0] = '\0';
	fclose(f);
	if (sscanf(text, "refused %lld", &seconds) != 1)
		return 0;
	*when = (time_t)seconds;
	return -1;
}

/* A live change the server refused: a warning (mail flows), not a failure. */
static void report_configuration(struct buffer *out, bool json, const char *reload_status)
{
	char detail[256];
	time_t refused_at;
	bool refused = reload_outcome(reload_status, &refused_at) < 0;
	if (refused) {
		struct tm tm;
		char when[32];

		gmtime_r(&refused_at, &tm);
		strftime(when, sizeof(when), "%Y-%m-%d %H:%M:%S UTC", &tm);
		snprintf(detail, sizeof(detail),
			 "the last change was refused at %s: mail flows on the last good "
			 "configuration, but the next start fails (mailinit check says why)",
			 when);
	} else {
		snprintf(detail, sizeof(detail), "the running configuration is the files' own");
	}
	report(out, json, "configuration", reload_status, true, refused ? "warn" : "ok", detail, 0);
}

/* METRICS_LISTEN as a client reaches it from inside: a wildcard address as loopback. */
static const char *metrics_address(const struct settings *s, char *out, size_t size)
{
	const char *listen = settings_get(s, S_METRICS_LISTEN);

	if (strncmp(listen, "0.0.0.0:", 8) == 0)
		snprintf(out, size, "127.0.0.1:%s", listen + 8);
	else if (strncmp(listen, "[::]:", 5) == 0)
		snprintf(out, size, "[::1]:%s", listen + 5);
	else
		snprintf(out, size, "%s", listen);
	return out;
}

/* The certificates served by SNI (CERTS_DIR), as Postfix's table names them (NAME PAIR
   per line, the wildcards as .DOMAIN): each pair's expiry, with the names it serves. */
static bool report_sni_certificates(struct buffer *out, bool json, const char *table)
{
	char *text = file_read(table, NULL);
	char pair[SNI_CERTIFICATES_MAX][PATH_MAX];
	struct buffer names[SNI_CERTIFICATES_MAX] = {0};
	size_t count = 0;
	bool healthy = true;

	for (char *line = text, *next; line && *line; line = next) {
		char name[256], path[PATH_MAX];
		size_t i;

		if ((next = strchr(line, '\n')) != NULL)
			*next++ = '\0';
		if (sscanf(line, "%255s %4095s", name, path) != 2 || name[0] == '#' ||
		    strstr(path, SNI_PAIRS "/") == NULL)
			continue;
		for (i = 0; i < count && strcmp(pair[i], path) != 0; i++)
			;
		if (i == count && count == SNI_CERTIFICATES_MAX)
			continue;
		if (i == count)
			snprintf(pair[count++], PATH_MAX, "%s", path);
		buffer_printf(&names[i], "%s%s%s", names[i].len ? " " : "",
			      name[0] == '.' ? "*" : "", name);
	}
	free(text);
	for (size_t i = 0; i < count; i++) {
		char detail[256];
		size_t len = 0;
		char *pem = file_read(pair[i], &len);
		BIO *bio = pem ? BIO_new_mem_buf(pem, (int)len) : NULL;
		X509 *x = bio ? PEM_read_bio_X509(bio, NULL, NULL, NULL) : NULL;
		int cert = certificate_check(x, detail, sizeof(detail));

		healthy &= cert >= 0;
		report(out, json, "certificate", names[i].data, cert >= 0,
		       cert < 0   ? "FAIL"
		       : cert > 0 ? "warn"
				  : "ok",
		       detail, 0);
		BIO_free(bio);
		X509_free(x);
		if (pem)
			explicit_bzero(pem, len);
		free(pem);
		buffer_free(&names[i]);
	}
	return healthy;
}

/* The owner of the socket listening on TCP PORT, from the kernel's table (/proc/net/tcp and
   tcp6: "sl local_address:PORT rem_address st queues timer retransmits uid"; st 0A is
   LISTEN); -1: nothing listens. Connecting would not do: the proxy ports refuse, and log,
   everyone but the load balancers. */
static long port_owner(unsigned port)
{
	static const char *const tables[] = {"/proc/net/tcp", "/proc/net/tcp6"};

	for (size_t i = 0; i < 2; i++) {
		FILE *f = fopen(tables[i], "re");
		char line[512];
		long owner = -1;

		while (f && owner < 0 && fgets(line, sizeof(line), f)) {
			char local[64];
			unsigned state, local_port;
			long uid;
			const char *colon;

			if (sscanf(line, " %*s %63s %*s %x %*s %*s %*s %ld", local, &state, &uid) ==
				3 &&
			    state == 0x0A && (colon = strrchr(local, ':')) != NULL &&
			    sscanf(colon + 1, "%x", &local_port) == 1 && local_port == port)
				owner = uid;
		}
		if (f)
			fclose(f);
		if (owner >= 0)
			return owner;
	}
	return -1;
}

/* PROXY_PROTOCOL_NETWORKS: every proxy port of an enabled protocol listens, and as the one
   who should: Dovecot's master (root) or the gate (_mailgate). A port above 1024 is open to
   any uid: one taken first by another daemon would get the load balancer's clients. */
static bool report_proxy_ports(struct buffer *out, bool json, const struct settings *s)
{
	const char *networks = settings_get(s, S_PROXY_PROTOCOL_NETWORKS);
	const struct passwd *gate = getpwnam(GATE_USER);
	struct buffer ports = {0}, wrong = {0};
	char detail[512];

	if (!settings_list_set(s, S_PROXY_PROTOCOL_NETWORKS))
		return true;
	for (size_t i = 0; i < GATE_PORT_COUNT; i++) {
		const struct listener *l = NULL;

		for (size_t j = 0; j < LISTENER_COUNT && l == NULL; j++)
			if (strcmp(listeners[j].name, gate_ports[i].name) == 0)
				l = &listeners[j];
		if (l == NULL || !listener_enabled(l, s))
			continue;
		long owner = port_owner(gate_ports[i].port);
		long expected = gate_ports[i].pass_service ? (gate ? (long)gate->pw_uid : -2) : 0;
		struct buffer *into = owner == expected ? &ports : &wrong;

		buffer_printf(into, "%s%u", into->len ? " " : "", gate_ports[i].port);
		if (owner != expected)
			buffer_printf(into, owner < 0 ? " (nothing listens)" : " (uid %ld listens)",
				      owner);
	}
	bool ok = wrong.len == 0;

	if (!ok)
		snprintf(detail, sizeof(detail),
			 "%s: the gate (" GATE_USER
			 ") holds Postfix's, Dovecot (root) the others'; "
			 "their log lines say why not",
			 wrong.data);
	else
		snprintf(detail, sizeof(detail), "PROXY protocol from the load balancers on %s",
			 ports.data ? ports.data : "");
	report(out, json, "proxy", networks, ok, ok ? "ok" : "FAIL", detail, 0);
	buffer_free(&ports);
	buffer_free(&wrong);
	return ok;
}

int health_run(const struct settings *s, bool json, const char *reload_status,
	       const char *sni_table)
{
	char postmaster[320];
	long deadline = (long)clock_ms() + HEALTH_BUDGET_MS;
	struct buffer out = {0};
	SSL_CTX *ctx = SSL_CTX_new(TLS_client_method());
	X509 *peer = NULL;
	bool healthy = true;
	char detail[256];

	snprintf(postmaster, sizeof(postmaster), "postmaster@%s", settings_get(s, S_MAIL_DOMAIN));
	/* Any certificate: this checks that TLS works, not who the server is. */
	SSL_CTX_set_verify(ctx, SSL_VERIFY_NONE, NULL);
	SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
	if (json)
		buffer_puts(&out, "[");
	arm_deadline(true);
	for (size_t i = 0; i < LISTENER_COUNT; i++) {
		const struct listener *l = &listeners[i];
		/* Port 25 through the maps: RCPT TO:<postmaster@MAIL_DOMAIN>. */
		const struct probe p = {l->name, l->where, l->protocol, l->tls,
					l->protocol == SMTP || l->protocol == POLICY ? postmaster
										     : NULL};
		struct result r = {0};

		if (!listener_enabled(l, s))
			continue;
		health_probe_run(&p, ctx, deadline, &peer, &r);
		healthy &= r.ok;
		report(&out, json, p.name, p.where, r.ok, r.ok ? "ok" : "FAIL", r.detail, r.ms);
	}
	if (settings_bool(s, S_METRICS)) {
		char where[160];
		const struct probe p = {"metrics", metrics_address(s, where, sizeof(where)),
					OPENMETRICS, false, NULL};
		struct result r = {0};

		/* A warning, not a failure: a probe that restarts or unlists the server for its
		   metrics would stop the mail for what does not carry it. */
		health_probe_run(&p, ctx, deadline, &peer, &r);
		report(&out, json, p.name, p.where, true, r.ok ? "ok" : "warn", r.detail, r.ms);
	}
	arm_deadline(false);
	int cert = certificate_check(peer, detail, sizeof(detail));
	healthy &= cert >= 0;
	report(&out, json, "certificate", settings_get(s, S_MAIL_HOSTNAME), cert >= 0,
	       cert < 0   ? "FAIL"
	       : cert > 0 ? "warn"
			  : "ok",
	       detail, 0);
	healthy &= report_sni_certificates(&out, json, sni_table);
	healthy &= report_proxy_ports(&out, json, s);
	report_configuration(&out, json, reload_status);
	if (json) {
		/* Wrap the checks: {"healthy":..,"checks":[..]} */
		struct buffer wrapped = {0};

		buffer_printf(&wrapped, "{\"healthy\":%s,\"checks\":%s]}\n",
			      healthy ? "true" : "false", out.data);
		buffer_free(&out);
		out = wrapped;
	}
	fputs(out.data, stdout);
	buffer_free(&out);
	X509_free(peer);
	SSL_CTX_free(ctx);
	return healthy ? 0 : 1;
}
