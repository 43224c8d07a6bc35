/*
 * NAME
 *	mail_events - what the daemons' log lines say happened to mail and logins
 *
 * DESCRIPTION
 *	See mail_events.h. The words matched are the daemons' own (Postfix 3.7,
 *	Dovecot 2.3, rspamd 3.4 and mailinit's guard); a line of a client's
 *	making (an address, a user name, a reply text) comes after them.
 */
#include <ctype.h>
#include <string.h>

#include "mail/auth_failures.h"
#include "mail/health_probe.h"
#include "mail/mail_events.h"

#define VIA(via) "transport=\"" via "\",status=\""
#define DELIVERIES(via)                                                                            \
	{                                                                                          \
		"mailinit_deliveries", VIA(via) "sent\""                                           \
	}
#define DEFERRALS(via)                                                                             \
	{                                                                                          \
		"mailinit_deliveries", VIA(via) "deferred\""                                       \
	}
#define BOUNCES(via)                                                                               \
	{                                                                                          \
		"mailinit_deliveries", VIA(via) "bounced\""                                        \
	}
#define REJECTIONS(why)                                                                            \
	{                                                                                          \
		"mailinit_rejections", "reason=\"" why "\""                                        \
	}
#define SCANS(action)                                                                              \
	{                                                                                          \
		"mailinit_spam_scans", "action=\"" action "\""                                     \
	}
#define LOGINS(protocol, result)                                                                   \
	{                                                                                          \
		"mailinit_logins", "protocol=\"" protocol "\",result=\"" result "\""               \
	}

const struct mail_counter_info mail_counters[MAIL_COUNTERS] = {
    [MAIL_RECEIVED] = {"mailinit_messages_received", ""},
    [MAIL_DELIVERED + MAIL_VIA_LMTP] = DELIVERIES("lmtp"),
    [MAIL_DELIVERED + MAIL_VIA_SMTP] = DELIVERIES("smtp"),
    [MAIL_DELIVERED + MAIL_VIA_OTHER] = DELIVERIES("other"),
    [MAIL_DEFERRED + MAIL_VIA_LMTP] = DEFERRALS("lmtp"),
    [MAIL_DEFERRED + MAIL_VIA_SMTP] = DEFERRALS("smtp"),
    [MAIL_DEFERRED + MAIL_VIA_OTHER] = DEFERRALS("other"),
    [MAIL_BOUNCED + MAIL_VIA_LMTP] = BOUNCES("lmtp"),
    [MAIL_BOUNCED + MAIL_VIA_SMTP] = BOUNCES("smtp"),
    [MAIL_BOUNCED + MAIL_VIA_OTHER] = BOUNCES("other"),
    [MAIL_REJECTED + MAIL_REASON_RBL] = REJECTIONS("rbl"),
    [MAIL_REJECTED + MAIL_REASON_SPAM] = REJECTIONS("spam"),
    [MAIL_REJECTED + MAIL_REASON_DMARC] = REJECTIONS("dmarc"),
    [MAIL_REJECTED + MAIL_REASON_UNKNOWN_USER] = REJECTIONS("unknown_user"),
    [MAIL_REJECTED + MAIL_REASON_QUOTA] = REJECTIONS("quota"),
    [MAIL_REJECTED + MAIL_REASON_RATE_LIMIT] = REJECTIONS("rate_limit"),
    [MAIL_REJECTED + MAIL_REASON_BANNED] = REJECTIONS("banned"),
    [MAIL_REJECTED + MAIL_REASON_OTHER] = REJECTIONS("other"),
    [MAIL_LOGIN_OK + MAIL_PROTOCOL_IMAP] = LOGINS("imap", "success"),
    [MAIL_LOGIN_OK + MAIL_PROTOCOL_POP3] = LOGINS("pop3", "success"),
    [MAIL_LOGIN_OK + MAIL_PROTOCOL_MANAGESIEVE] = LOGINS("managesieve", "success"),
    /* None: Postfix logs no successful AUTH, only a message sent after one (Dovecot's
       dovecot_auth_success_total{service="smtp"} counts them). */
    [MAIL_LOGIN_OK + MAIL_PROTOCOL_SMTP] = {NULL, NULL},
    [MAIL_LOGIN_FAILED + MAIL_PROTOCOL_IMAP] = LOGINS("imap", "failure"),
    [MAIL_LOGIN_FAILED + MAIL_PROTOCOL_POP3] = LOGINS("pop3", "failure"),
    [MAIL_LOGIN_FAILED + MAIL_PROTOCOL_MANAGESIEVE] = LOGINS("managesieve", "failure"),
    [MAIL_LOGIN_FAILED + MAIL_PROTOCOL_SMTP] = LOGINS("smtp", "failure"),
    [MAIL_SCANNED + MAIL_SCAN_NO_ACTION] = SCANS("no_action"),
    [MAIL_SCANNED + MAIL_SCAN_GREYLIST] = SCANS("greylist"),
    [MAIL_SCANNED + MAIL_SCAN_ADD_HEADER] = SCANS("add_header"),
    [MAIL_SCANNED + MAIL_SCAN_REWRITE_SUBJECT] = SCANS("rewrite_subject"),
    [MAIL_SCANNED + MAIL_SCAN_SOFT_REJECT] = SCANS("soft_reject"),
    [MAIL_SCANNED + MAIL_SCAN_REJECT] = SCANS("reject"),
    [MAIL_SCANNED + MAIL_SCAN_OTHER] = SCANS("other"),
};

static bool starts(const char *p, const char *end, const char *prefix)
{
	size_t n = strlen(prefix);

	return (size_t)(end - p) >= n && memcmp(p, prefix, n) == 0;
}

static const char *find(const char *p, const char *end, const char *needle)
{
	return p < end ? memmem(p, (size_t)(end - p), needle, strlen(needle)) : NULL;
}

static bool event(struct mail_event *out, unsigned counter, unsigned amount)
{
	out->counter = counter;
	out->amount = amount;
	return true;
}

/* The reply text of "reject: CMD from HOST[ADDR]: CODE X.Y.Z TEXT; from=<...> ..." (the host
   name is one Postfix checked, with no "]"; TEXT starts after the first "]"): which class
   of refusal. Postfix's own phrase decides; a client can still quote one in its own address
   and choose the class of its own refusal, never add one. */
static enum mail_reason reason_of(const char *p, const char *end)
{
	const char *envelope;

	/* "HOST[ADDR]: " (smtpd) or "[ADDR]:PORT: " (postscreen). */
	if ((p = memchr(p, ']', (size_t)(end - p))) == NULL || (p = find(p, end, ": ")) == NULL)
		return MAIL_REASON_OTHER;
	if ((envelope = find(p, end, "; from=<")) != NULL)
		end = envelope;
	if (find(p, end, " blocked using ") != NULL)
		return MAIL_REASON_RBL;
	if (find(p, end, "User unknown in ") != NULL)
		return MAIL_REASON_UNKNOWN_USER;
	if (find(p, end, "Mailbox is full") != NULL)
		return MAIL_REASON_QUOTA;
	if (find(p, end, "too many failed logins from ") != NULL)
		return MAIL_REASON_BANNED;
	return MAIL_REASON_OTHER;
}

/* mailinit health's own RCPT: from loopback (a client cannot have that address), with its
   EHLO name at the very end of the line. Its postmaster@ may be no account. */
static bool health_probe(const char *p, const char *end)
{
	static const char helo[] = " helo=<" HEALTH_HELO ">";
	const char *open;

	if (!starts(p, end, "RCPT from ") || (open = memchr(p, '[', (size_t)(end - p))) == NULL ||
	    (!starts(open, end, "[127.0.0.1]: ") && !starts(open, end, "[::1]: ")))
		return false;
	return (size_t)(end - p) >= sizeof(helo) - 1 &&
	       memcmp(end - (sizeof(helo) - 1), helo, sizeof(helo) - 1) == 0;
}

/* "milter-reject: END-OF-MESSAGE from H[A]: 5.7.1 TEXT; from=<": rspamd's reply TEXT. */
static enum mail_reason milter_reason(const char *p, const char *end)
{
	const char *text_end;

	if ((p = find(p, end, "]: ")) == NULL)
		return MAIL_REASON_SPAM;
	if ((text_end = find(p, end, "; from=<")) == NULL)
		text_end = end;
	if (find(p, text_end, "DMARC") != NULL)
		return MAIL_REASON_DMARC;
	if (find(p, text_end, "atelimit") != NULL || find(p, text_end, "rate limit") != NULL)
		return MAIL_REASON_RATE_LIMIT;
	return MAIL_REASON_SPAM;
}

/* Past an address Postfix wrote in angle brackets, P just after the "<": a quoted local part
   ("a>b"@x, with \ escapes) does not end it. NULL if it does not end. */
static const char *past_address(const char *p, const char *end)
{
	bool quoted = false;

	for (; p < end; p++) {
		if (quoted && *p == '\\' && p + 1 < end)
			p++;
		else if (*p == '"')
			quoted = !quoted;
		else if (!quoted && *p == '>')
			return p + 1;
	}
	return NULL;
}

/* "to=<R>, [orig_to=<O>, ]relay=..., dsn=X.Y.Z, status=WORD (REPLY)": WORD, from the first
   "dsn=, status=" pair past the addresses (a client's, before it, and the other server's
   REPLY, after it, are passed over), believed only if the DSN's class agrees with it (2
   sent, 4 deferred, 5 bounced). */
static bool delivery(const char *program, const char *tag_end, const char *p, const char *end,
		     struct mail_event *out)
{
	static const struct {
		char class;
		const char *word;
		unsigned counter;
	} outcomes[] = {{'2', "sent ", MAIL_DELIVERED},
			{'4', "deferred ", MAIL_DEFERRED},
			{'5', "bounced ", MAIL_BOUNCED}};
	enum mail_via via = MAIL_VIA_OTHER;
	const char *name = tag_end, *dsn, *status;

	/* The program is the last part of the tag: "postfix/lmtp", "postfix/x/smtp". */
	while (name > program && name[-1] != '/')
		name--;
	if ((size_t)(tag_end - name) == 4 && memcmp(name, "lmtp", 4) == 0)
		via = MAIL_VIA_LMTP;
	else if ((size_t)(tag_end - name) == 4 && memcmp(name, "smtp", 4) == 0)
		via = MAIL_VIA_SMTP;
	if ((p = past_address(p + strlen("to=<"), end)) == NULL)
		return false;
	if (starts(p, end, ", orig_to=<") &&
	    (p = past_address(p + strlen(", orig_to=<"), end)) == NULL)
		return false;
	if ((dsn = find(p, end, ", dsn=")) == NULL)
		return false;
	const char *class = dsn + strlen(", dsn=");
	for (status = dsn + 2; status < end && *status != ',' && *status != ' '; status++)
		;
	if (!starts(status, end, ", status="))
		return false;
	status += strlen(", status=");
	for (size_t i = 0; i < sizeof(outcomes) / sizeof(outcomes[0]); i++) {
		if (class < end && *class == outcomes[i].class &&
		    starts(status, end, outcomes[i].word))
			return event(out, outcomes[i].counter + via, 1);
	}
	return false;
}

/* Postfix's "warning: Connection rate limit exceeded: ..." and its like (anvil's limits). */
static bool rate_limited(const char *p, const char *end)
{
	static const char *const limits[] = {
	    "warning: Connection rate limit exceeded: ",
	    "warning: Connection concurrency limit exceeded: ",
	    "warning: Message delivery request rate limit exceeded: ",
	    "warning: Recipient address rate limit exceeded: ",
	    "warning: New TLS session rate limit exceeded: ",
	    "warning: AUTH command rate limit exceeded: "};

	for (size_t i = 0; i < sizeof(limits) / sizeof(limits[0]); i++) {
		if (starts(p, end, limits[i]))
			return true;
	}
	return false;
}

static bool postfix_line(const char *line, const char *end, struct mail_event *out)
{
	const char *tag_end = line, *p;

	while (tag_end < end && *tag_end != '[' && *tag_end != ':')
		tag_end++;
	if ((p = find(tag_end, end, ": ")) == NULL)
		return false;
	p += 2;
	/* Postfix's own words come first; what a client chose comes after them. */
	if (rate_limited(p, end))
		return event(out, MAIL_REJECTED + MAIL_REASON_RATE_LIMIT, 1);
	/* Past "NOQUEUE: " or the queue ID ("4Q2Xy1abc: "): a refusal in a session with no
	   message yet, or of a later recipient of one. */
	const char *id_end = p;
	while (id_end < end &&
	       ((*id_end >= '0' && *id_end <= '9') || (*id_end >= 'A' && *id_end <= 'Z') ||
		(*id_end >= 'a' && *id_end <= 'z')))
		id_end++;
	if (id_end == p || !starts(id_end, end, ": "))
		return false;
	p = id_end + 2;
	if (starts(p, end, "reject: ")) {
		p += strlen("reject: ");
		if (health_probe(p, end))
			return false;
		return event(out, MAIL_REJECTED + reason_of(p, end), 1);
	}
	if ((size_t)(tag_end - line) == strlen("postfix/cleanup") &&
	    memcmp(line, "postfix/cleanup", (size_t)(tag_end - line)) == 0) {
		if (starts(p, end, "message-id="))
			return event(out, MAIL_RECEIVED, 1);
		if (starts(p, end, "milter-reject: "))
			return event(out, MAIL_REJECTED + milter_reason(p, end), 1);
		return false;
	}
	if (starts(p, end, "to=<"))
		return delivery(line, tag_end, p, end, out);
	return false;
}

/* "dovecot: imap-login: Login: user=<a@b>, method=PLAIN, rip=..." */
static bool dovecot_login(const char *p, const char *end, struct mail_event *out)
{
	static const struct {
		const char *prefix;
		enum mail_protocol protocol;
	} logins[] = {{"imap-login: Login: ", MAIL_PROTOCOL_IMAP},
		      {"pop3-login: Login: ", MAIL_PROTOCOL_POP3},
		      {"managesieve-login: Login: ", MAIL_PROTOCOL_MANAGESIEVE}};

	for (size_t i = 0; i < sizeof(logins) / sizeof(logins[0]); i++) {
		if (starts(p, end, logins[i].prefix))
			return event(out, MAIL_LOGIN_OK + logins[i].protocol, 1);
	}
	return false;
}

/* "rspamd[194]: <121b3e>; proxy; rspamd_task_write_log: action: no action, id: <...", as
   templates/rspamd/logging.inc has it written: rspamd's own words up to the action. */
static bool rspamd_line(const char *p, const char *end, struct mail_event *out)
{
	static const struct {
		const char *action;
		enum mail_scan scan;
	} actions[] = {{"no action,", MAIL_SCAN_NO_ACTION},
		       {"greylist,", MAIL_SCAN_GREYLIST},
		       {"add header,", MAIL_SCAN_ADD_HEADER},
		       {"rewrite subject,", MAIL_SCAN_REWRITE_SUBJECT},
		       {"soft reject,", MAIL_SCAN_SOFT_REJECT},
		       {"reject,", MAIL_SCAN_REJECT}};
	static const char marker[] = "; rspamd_task_write_log: action: ";
	const char *at = p;

	/* Before it, only rspamd's "<id>; worker" (letters, digits, "_"): no client's text. */
	if (!starts(at, end, "<"))
		return false;
	for (at++; at < end && isalnum((unsigned char)*at); at++)
		;
	if (!starts(at, end, ">; "))
		return false;
	for (at += 3; at < end && (isalnum((unsigned char)*at) || *at == '_'); at++)
		;
	if (!starts(at, end, marker))
		return false;
	at += sizeof(marker) - 1;
	for (size_t i = 0; i < sizeof(actions) / sizeof(actions[0]); i++) {
		if (starts(at, end, actions[i].action))
			return event(out, MAIL_SCANNED + actions[i].scan, 1);
	}
	return event(out, MAIL_SCANNED + MAIL_SCAN_OTHER, 1);
}

bool mail_event_from_rspamd(unsigned counter)
{
	return counter >= MAIL_SCANNED && counter < MAIL_SCANNED + MAIL_SCANS;
}

bool mail_event_parse(const char *line, size_t len, struct mail_event *out)
{
	const char *end = line + len;
	struct auth_failure failure;

	while (end > line && (end[-1] == '\n' || end[-1] == '\0'))
		end--;
	if (auth_failure_parse(line, (size_t)(end - line), &failure)) {
		static const char *const protocols[MAIL_PROTOCOLS] = {"imap", "pop3", "managesieve",
								      "smtp"};
		for (unsigned i = 0; i < MAIL_PROTOCOLS; i++) {
			if (strcmp(failure.service, protocols[i]) == 0)
				return event(out, MAIL_LOGIN_FAILED + i, failure.attempts);
		}
		return false;
	}
	if (starts(line, end, "dovecot: "))
		return dovecot_login(line + strlen("dovecot: "), end, out);
	if (starts(line, end, "postfix/"))
		return postfix_line(line, end, out);
	if (starts(line, end, "rspamd[")) {
		const char *p = memchr(line, ']', (size_t)(end - line));

		return p != NULL && starts(p, end, "]: ") && rspamd_line(p + 3, end, out);
	}
	return false;
}
