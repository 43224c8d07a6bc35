/*
 * NAME
 *	password_input - a password typed or piped in, never an argument
 *
 * DESCRIPTION
 *	See admin_commands.h. On a terminal the echo is off while it is typed.
 */
#include <stdbool.h>
#include <stdio.h>
#include <string.h>
#include <termios.h>
#include <unistd.h>

#include "base/log.h"
#include "base/text.h"
#include "cli/admin_commands.h"

int password_read_stdin(const char *what, char *out, size_t size)
{
	struct termios saved, quiet;
	bool terminal = isatty(STDIN_FILENO) && tcgetattr(STDIN_FILENO, &saved) == 0;
	size_t len;

	if (terminal) {
		fputs("password: ", stderr);
		quiet = saved;
		quiet.c_lflag &= ~(tcflag_t)ECHO;
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &quiet);
	}
	char *got = fgets(out, (int)size, stdin);
	if (terminal) {
		tcsetattr(STDIN_FILENO, TCSAFLUSH, &saved);
		fputs("\n", stderr);
	}
	if (got == NULL) {
		log_error("%s: no password on standard input (pipe it in, or leave out "
			  "--password-stdin to have one generated)",
			  what);
		return -1;
	}
	len = strcspn(out, "\r\n");
	if (out[len] == '\0' && len == size - 1) {
		log_error("%s: the password is longer than %zu characters", what, size - 2);
		return -1;
	}
	out[len] = '\0';
	if (len == 0 || find_control_character(out) >= 0) {
		log_error("%s: the password is empty or has a control character", what);
		return -1;
	}
	return 0;
}
