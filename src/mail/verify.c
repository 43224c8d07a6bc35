/*
 * NAME
 *	verify - ask Postfix, Dovecot and OpenDKIM whether they accept a config
 *
 * DESCRIPTION
 *	See verify.h.
 */
#include <ctype.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>

#include "base/buffer.h"
#include "base/proc.h"
#include "mail/verify.h"

/* Run argv; report a failure to run, a non-zero exit, or (when strict) any warning line. */
static void run_checker(const char *who, char *const argv[], int strict, struct problems *problems)
{
	struct buffer out = {0};
	int status = proc_run(argv, &out);
	int reported = 0;

	if (status < 0) {
		problem(problems, "%s: cannot run %s: %s", who, argv[0], strerror(-status));
		buffer_free(&out);
		return;
	}
	for (char *line = strtok(out.data, "\n"); line; line = strtok(NULL, "\n")) {
		const char *unused = strstr(line, "unused parameter: ");
		int is_error = strstr(line, "fatal:") || strstr(line, "error:") ||
			       strstr(line, "Error:") || (strict && strstr(line, "warning:"));

		if (!is_error && !(status != 0 && strstr(line, argv[0])))
			continue;
		reported++;
		if (unused) {
			char variable[128] = "POSTFIX_";
			size_t n = 8;

			for (const char *p = unused + 18; *p && *p != '=' && n < 120; p++)
				variable[n++] = (char)toupper((unsigned char)*p);
			variable[n] = '\0';
			problem(problems, "%s: %s (is %s a Postfix parameter? see postconf(5))",
				who, line, variable);
		} else {
			problem(problems, "%s: %s", who, line);
		}
	}
	if (!reported && (!WIFEXITED(status) || WEXITSTATUS(status) != 0))
		problem(problems, "%s: %s failed with status %d: %s", who, argv[0],
			WIFEXITED(status) ? WEXITSTATUS(status) : 128 + WTERMSIG(status),
			out.data && *out.data ? out.data : "(no output)");
	buffer_free(&out);
}

void verify_postfix(const char *config_dir, struct problems *problems)
{
	char *main_cf[] = {"postconf", "-c", (char *)config_dir, "-n", NULL};
	char *master_cf[] = {"postconf", "-c", (char *)config_dir, "-M", NULL};

	run_checker("postfix", main_cf, 1, problems);
	run_checker("postfix", master_cf, 1, problems);
}

void verify_dovecot(const char *config_file, struct problems *problems)
{
	char *argv[] = {"doveconf", "-n", "-c", (char *)config_file, NULL};

	run_checker("dovecot", argv, 0, problems);
}

void verify_sieve(const char *script, const char *dovecot_config, struct problems *problems)
{
	/* The rendered configuration, not /etc/dovecot's: a fresh container running "check"
	   has no /run/mailinit for that link to point into, and a reload checks the staged one. */
	char *argv[] = {"sievec", "-c", (char *)dovecot_config, (char *)script, NULL};

	run_checker("sieve", argv, 0, problems);
}

void verify_opendkim(const char *config_file, struct problems *problems)
{
	char *argv[] = {"opendkim", "-n", "-x", (char *)config_file, NULL};

	run_checker("opendkim", argv, 0, problems);
}
