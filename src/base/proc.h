/*
 * NAME
 *	proc - start processes cleanly and find out about them
 *
 * SYNOPSIS
 *	pid_t pid = proc_spawn(argv);            (< 0: -errno, nothing started)
 *	pid = proc_spawn_output(argv, fd);       its stdout and stderr into fd
 *	int status = proc_run(argv, &output);    run to the end, output captured
 *	int code = proc_exec_failure_status(-pid);  127 not found, 126 not runnable, 0 other
 *	pid_t target = proc_read_pidfile(path);  0 when absent or malformed
 *	proc_is_descendant(target, getpid())
 *	proc_describe_status(status, text, sizeof(text));
 *
 * DESCRIPTION
 *	proc_spawn runs argv[0] (searched in PATH when it has no slash) as the
 *	leader of a new session and process group (nothing it runs can join
 *	another service's group), with every signal unblocked and at its
 *	default disposition, stdin from /dev/null, stdout and stderr inherited,
 *	and no other file descriptor, and of the environment only PATH, TZ,
 *	LANG, LANGUAGE and LC_*: the settings (a relay password, what a _FILE
 *	variable read) never reach a daemon. A failed exec comes back as an error
 *	number, so "not found" is told apart from a daemon that started and
 *	failed.
 *
 *	proc_is_descendant walks the parent chain in /proc, so a stale pidfile
 *	naming some unrelated process is never signalled.
 */
#ifndef MAILINIT_PROC_H
#define MAILINIT_PROC_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct buffer;

pid_t proc_spawn(char *const argv[]);
/* As proc_spawn, with OUTPUT_FD as stdout and stderr instead of the inherited ones. */
pid_t proc_spawn_output(char *const argv[], int output_fd);
/* Run argv to the end, its stdout and stderr into *output; wait status, or -errno. */
int proc_run(char *const argv[], struct buffer *output);
int proc_exec_failure_status(int errnum);
pid_t proc_read_pidfile(const char *path);
bool proc_is_descendant(pid_t pid, pid_t ancestor);
void proc_describe_status(int status, char *text, size_t size);
/* Every signal back to SIG_DFL and unblocked (a forked child of PID 1, exec or not). */
void proc_reset_signals(void);

#endif
