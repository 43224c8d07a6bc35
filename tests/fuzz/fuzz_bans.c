/* What the bans and the metrics read from outside: the daemons' log lines (PID 1, for every
   line), and the guard's two protocols (Postfix's policy requests, Dovecot's dict lines). */
#include <stdlib.h>
#include <string.h>

#include "fuzz.h"
#include "mail/auth_failures.h"
#include "mail/ban_list.h"
#include "mail/guard.h"
#include "mail/mail_events.h"

static struct ban_list *banned(void)
{
	static struct ban_list *list;
	struct ban_address a;

	if (list == NULL) {
		list = ban_list_new();
		ban_address_parse("192.0.2.7", 64, &a);
		ban_list_add(list, &a, 1000, 3600);
		ban_address_parse("2001:db8::1", 64, &a);
		ban_list_add(list, &a, 1000, 3600);
	}
	return list;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct auth_failure f;
	struct ban_address a;
	char answer[256];

	/* What comes out is made of an address's characters (take_address), or nothing; what
	   PID 1 then does with it must not matter: parsed, or not. */
	if (auth_failure_parse((const char *)data, size, &f))
		ban_address_parse(f.address, 64, &a);
	struct mail_event e;
	if (mail_event_parse((const char *)data, size, &e) &&
	    (e.counter >= MAIL_COUNTERS || e.amount == 0))
		__builtin_trap(); /* PID 1 adds it to the scoreboard: always a counter of ours */
	guard_policy_answer(banned(), "127.0.0.0/8 ::1/128", text, 2000, answer, sizeof(answer));
	if (strncmp(answer, "action=", 7) != 0 || strstr(answer, "\n\n") == NULL)
		__builtin_trap();
	guard_dict_answer(banned(), "127.0.0.0/8 ::1/128", text, 2000, answer, sizeof(answer));
	if (answer[0] && strchr(answer, '\n') != answer + strlen(answer) - 1)
		__builtin_trap(); /* one reply line, or none */
	ban_address_parse(text, 64, &a);
	free(text);
	return 0;
}
