/*
 * NAME
 *	signals - which signals mailinit takes, and their names
 *
 * DESCRIPTION
 *	See signals.h.
 */
#include <signal.h>
#include <sys/signalfd.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "base/signals.h"

static const struct {
	int number;
	const char *name;
} signal_names[] = {
    {SIGHUP, "HUP"},   {SIGINT, "INT"},       {SIGQUIT, "QUIT"}, {SIGILL, "ILL"},
    {SIGTRAP, "TRAP"}, {SIGABRT, "ABRT"},     {SIGBUS, "BUS"},   {SIGFPE, "FPE"},
    {SIGKILL, "KILL"}, {SIGUSR1, "USR1"},     {SIGSEGV, "SEGV"}, {SIGUSR2, "USR2"},
    {SIGPIPE, "PIPE"}, {SIGALRM, "ALRM"},     {SIGTERM, "TERM"}, {SIGSTKFLT, "STKFLT"},
    {SIGCHLD, "CHLD"}, {SIGCONT, "CONT"},     {SIGSTOP, "STOP"}, {SIGTSTP, "TSTP"},
    {SIGTTIN, "TTIN"}, {SIGTTOU, "TTOU"},     {SIGURG, "URG"},   {SIGXCPU, "XCPU"},
    {SIGXFSZ, "XFSZ"}, {SIGVTALRM, "VTALRM"}, {SIGPROF, "PROF"}, {SIGWINCH, "WINCH"},
    {SIGIO, "IO"},     {SIGPWR, "PWR"},       {SIGSYS, "SYS"},
};

/* Signals that report a fault of the receiving thread, or cannot be caught. */
static bool signal_is_synchronous_or_uncatchable(int sig)
{
	switch (sig) {
	case SIGILL:
	case SIGTRAP:
	case SIGABRT:
	case SIGBUS:
	case SIGFPE:
	case SIGSEGV:
	case SIGSYS:
	case SIGKILL:
	case SIGSTOP: return true;
	default: return false;
	}
}

/* glibc keeps the first real-time signals (32, 33) for itself. */
bool signal_is_glibc_internal(int sig)
{
	return sig >= 32 && sig < SIGRTMIN;
}

void signals_handled(sigset_t *set)
{
	sigemptyset(set);
	for (int sig = 1; sig < NSIG; sig++) {
		if (signal_is_glibc_internal(sig))
			continue;
		if (!signal_is_synchronous_or_uncatchable(sig) && sig != SIGPIPE)
			sigaddset(set, sig);
	}
}

bool signal_is_relayed(int sig)
{
	switch (sig) {
	case SIGCHLD:
	case SIGTERM:
	case SIGINT:
	case SIGHUP:
	case SIGPIPE:
	/* Job control is between a terminal and mailinit, not the daemons. */
	case SIGTSTP:
	case SIGTTIN:
	case SIGTTOU:
	case SIGCONT: return false;
	default:
		return sig > 0 && sig < NSIG && !signal_is_synchronous_or_uncatchable(sig) &&
		       !signal_is_glibc_internal(sig);
	}
}

int signal_from_name(const char *name)
{
	char *end;
	long number;

	if (strncasecmp(name, "SIG", 3) == 0)
		name += 3;
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
		if (strcasecmp(name, signal_names[i].name) == 0)
			return signal_names[i].number;
	}
	number = strtol(name, &end, 10);
	if (*name != '\0' && *end == '\0' && number > 0 && number < NSIG)
		return (int)number;
	return 0;
}

const char *signal_name(int sig)
{
	for (size_t i = 0; i < sizeof(signal_names) / sizeof(signal_names[0]); i++) {
		if (signal_names[i].number == sig)
			return signal_names[i].name;
	}
	return "real-time signal";
}

int signals_stop_and_reread(void)
{
	sigset_t set;

	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	if (sigprocmask(SIG_BLOCK, &set, NULL) != 0)
		return -1;
	return signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
}
