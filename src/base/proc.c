/*
 * NAME
 *	proc - start processes cleanly and find out about them
 *
 * DESCRIPTION
 *	See proc.h. proc_spawn and the pidfile functions allocate nothing: the
 *	supervisor calls them from its loop. proc_run (provisioning's postmap,
 *	verify's postconf) collects the output in a buffer.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <stdbool.h>
#include <string.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "base/buffer.h"
#include "base/proc.h"
#include "base/signals.h"

/*
 * Every signal to SIG_DFL: exec keeps ignored signals ignored. glibc's
 * sigaction() refuses its internal signals (32 and 33), yet they may arrive
 * here as SIG_IGN: glibc's own posix_spawn leaves them so (GNU make starts
 * commands with it). The raw system call resets them; an all-zero kernel
 * sigaction is SIG_DFL with no flags whatever the architecture's layout.
 * Then nothing blocked: PID 1 blocks what it reads from its signalfd.
 */
void proc_reset_signals(void)
{
	struct sigaction dfl = {.sa_handler = SIG_DFL};
	unsigned long kernel_dfl[4] = {0};
	sigset_t none;

	for (int sig = 1; sig < NSIG; sig++) {
		if (signal_is_glibc_internal(sig))
			syscall(SYS_rt_sigaction, sig, kernel_dfl, NULL, (size_t)(_NSIG / 8));
		else
			sigaction(sig, &dfl, NULL);
	}
	sigemptyset(&none);
	sigprocmask(SIG_SETMASK, &none, NULL);
}

#define CLEAN_ENV_MAX 64

/* What a daemon may see of mailinit's environment: where programs are, the time zone and
   the language. Never the settings: RELAYHOST_PASSWORD and whatever a _FILE variable
   brought in are secrets, and the daemons read their configuration from files. */
static bool passed_to_services(const char *entry)
{
	static const char *const names[] = {"PATH=", "TZ=", "LANG=", "LANGUAGE=", "LC_"};

	for (size_t i = 0; i < sizeof(names) / sizeof(names[0]); i++) {
		if (strncmp(entry, names[i], strlen(names[i])) == 0)
			return true;
	}
	return false;
}

extern char **environ;

/* In the child: the state a daemon expects from init, then exec. Never returns.
   output_fd >= 0 becomes stdout and stderr; clean_env: only passed_to_services(). */
static _Noreturn void exec_child(char *const argv[], int report_fd, int output_fd, bool clean_env)
{
	char *env[CLEAN_ENV_MAX + 1];
	size_t n = 0;
	int devnull, err;

	/* A session of its own, not just a process group: a process can join only groups of
	   its own session, so nothing one daemon runs can move into another's group (and get
	   its stop signal, and be waited for). */
	if (setsid() < 0) { /* never: the child leads no group yet */
		err = errno;
		if (write(report_fd, &err, sizeof(err)) < 0)
			_exit(127);
		_exit(127);
	}
	proc_reset_signals();
	if (output_fd >= 0) {
		dup2(output_fd, STDOUT_FILENO);
		dup2(output_fd, STDERR_FILENO);
	}
	devnull = open("/dev/null", O_RDONLY);
	if (devnull >= 0 && devnull != STDIN_FILENO) {
		dup2(devnull, STDIN_FILENO);
		close(devnull);
	}
	/* Inherited fds close at exec; report_fd stays usable until then. */
	close_range(STDERR_FILENO + 1, ~0U, CLOSE_RANGE_CLOEXEC);
	if (clean_env) {
		for (char **e = environ; *e && n < CLEAN_ENV_MAX; e++) {
			if (passed_to_services(*e))
				env[n++] = *e;
		}
		env[n] = NULL;
		environ = env;
	}
	execvp(argv[0], argv);
	err = errno;
	if (write(report_fd, &err, sizeof(err)) < 0)
		_exit(127);
	_exit(127);
}

/*
 * fork, not posix_spawn: glibc's posix_spawn leaves its internal signals
 * (32, 33) at SIG_IGN in the child, and SIG_IGN survives exec. The exec
 * error comes back over a close-on-exec pipe: EOF means exec succeeded.
 */
static pid_t spawn_with_output(char *const argv[], int output_fd, bool clean_env)
{
	int report[2], err = 0;
	ssize_t got;
	pid_t pid;

	if (pipe2(report, O_CLOEXEC) != 0)
		return -errno;
	pid = fork();
	if (pid < 0) {
		err = errno;
		close(report[0]);
		close(report[1]);
		return -err;
	}
	if (pid == 0)
		exec_child(argv, report[1], output_fd, clean_env);
	close(report[1]);
	do
		got = read(report[0], &err, sizeof(err));
	while (got < 0 && errno == EINTR);
	close(report[0]);
	if (got == (ssize_t)sizeof(err)) {
		waitpid(pid, NULL, 0); /* the child that could not exec */
		return -err;
	}
	return pid;
}

pid_t proc_spawn(char *const argv[])
{
	return spawn_with_output(argv, -1, true);
}

pid_t proc_spawn_output(char *const argv[], int output_fd)
{
	return spawn_with_output(argv, output_fd, true);
}

int proc_run(char *const argv[], struct buffer *output)
{
	int pipefd[2], status;
	char chunk[4096];
	ssize_t got;
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC) != 0)
		return -errno;
	pid = spawn_with_output(argv, pipefd[1], false);
	close(pipefd[1]);
	if (pid < 0) {
		close(pipefd[0]);
		return pid;
	}
	while ((got = read(pipefd[0], chunk, sizeof(chunk))) != 0) {
		if (got < 0 && errno == EINTR)
			continue;
		if (got < 0)
			break;
		buffer_append(output, chunk, (size_t)got);
	}
	close(pipefd[0]);
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -errno;
	}
	if (output->data == NULL)
		buffer_append(output, "", 0);
	return status;
}

int proc_exec_failure_status(int errnum)
{
	switch (errnum) {
	case ENOENT:
	case ENOTDIR: return 127;
	case EACCES:
	case EPERM:
	case ENOEXEC:
	case EISDIR:
	case ELOOP:
	case ENAMETOOLONG: return 126;
	default: return 0; /* a temporary failure (EAGAIN, ENOMEM): worth a retry */
	}
}

/* Read a small file into buf as a string; -1 when it cannot be read. */
static ssize_t read_small_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC | O_NOCTTY);
	ssize_t len;

	if (fd < 0)
		return -1;
	do
		len = read(fd, buf, size - 1);
	while (len < 0 && errno == EINTR);
	close(fd);
	if (len >= 0)
		buf[len] = '\0';
	return len;
}

pid_t proc_read_pidfile(const char *path)
{
	char buf[64], *p, *end;
	long pid;

	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* Postfix writes "%10d\n": leading blanks are normal. */
	for (p = buf; *p == ' ' || *p == '\t'; p++)
		;
	errno = 0;
	pid = strtol(p, &end, 10);
	if (errno != 0 || end == p || (*end != '\0' && *end != '\n') || pid <= 1 || pid > 4194304)
		return 0;
	return (pid_t)pid;
}

static pid_t parent_of(pid_t pid)
{
	char path[64], buf[512], *close_paren;
	int ppid;

	snprintf(path, sizeof(path), "/proc/%d/stat", (int)pid);
	if (read_small_file(path, buf, sizeof(buf)) <= 0)
		return 0;
	/* The command name may hold spaces and parentheses: skip to the last ')'. */
	if ((close_paren = strrchr(buf, ')')) == NULL ||
	    sscanf(close_paren + 1, " %*c %d", &ppid) != 1)
		return 0;
	return (pid_t)ppid;
}

bool proc_is_descendant(pid_t pid, pid_t ancestor)
{
	/* Bounded: a chain longer than this is not a daemon we started. */
	for (int depth = 0; depth < 64 && pid > 1; depth++) {
		pid = parent_of(pid);
		if (pid == ancestor)
			return true;
	}
	return false;
}

void proc_describe_status(int status, char *text, size_t size)
{
	if (WIFEXITED(status))
		snprintf(text, size, "exited with status %d", WEXITSTATUS(status));
	else if (WIFSIGNALED(status))
		snprintf(text, size, "killed by signal %d (SIG%s)%s", WTERMSIG(status),
			 signal_name(WTERMSIG(status)), WCOREDUMP(status) ? ", core dumped" : "");
	else
		snprintf(text, size, "changed state (wait status 0x%x)", (unsigned)status);
}
