/*
 * NAME
 *	scoreboard - what PID 1 counts, in one shared page others may read
 *
 * SYNOPSIS
 *	PID 1:   struct scoreboard *board = scoreboard_create("/run/mailinit/scoreboard");
 *	         scoreboard_service_started(i, "postfix", time(NULL));
 *	         scoreboard_service_exited(i, status);
 *	         scoreboard_count(n, 1);
 *	reader:  const struct scoreboard *board = scoreboard_open(path);   (NULL: errno)
 *
 * DESCRIPTION
 *	The supervisor and the log observers count into a fixed structure in a
 *	file of their own on the tmpfs, mapped shared: a count is one add to
 *	memory, no system call, no allocation, no lock. A reader (the metrics
 *	service, another uid) maps the same file read-only and sees each
 *	count as it moves; an aligned 64-bit word is never seen half written.
 *	The file is root's, mode 0644: counts are no secret, and nobody else
 *	can change them. What the counters mean is the reader's and the
 *	observers' business (mail/mail_events.h names them); the supervisor
 *	only keeps, per service: up, restarts, the last exit status, when it
 *	started.
 *
 *	Without a scoreboard (never created: metrics are off) every call does
 *	nothing.
 */
#ifndef MAILINIT_SCOREBOARD_H
#define MAILINIT_SCOREBOARD_H

#include <stddef.h>
#include <stdint.h>

#define SCOREBOARD_MAGIC    UINT64_C(0x314452414f42494d) /* "MIBOARD1" */
#define SCOREBOARD_SERVICES 16
#define SCOREBOARD_NAME_MAX 32
#define SCOREBOARD_COUNTERS 96

struct scoreboard_service {
	char name[SCOREBOARD_NAME_MAX]; /* "" : no such slot */
	uint64_t up;                    /* 1 running, 0 not */
	uint64_t starts;                /* starts since mailinit began; restarts = starts - 1 */
	int64_t started;                /* the last start, unix seconds */
	int64_t last_exit;              /* the last exit's wait status; -1 none yet */
};

struct scoreboard {
	uint64_t magic;
	uint64_t size; /* sizeof(struct scoreboard): a reader of another build refuses */
	int64_t began; /* mailinit's own start, unix seconds */
	uint64_t pad;
	struct scoreboard_service services[SCOREBOARD_SERVICES];
	uint64_t counters[SCOREBOARD_COUNTERS];
};

/* Where the board is: ROOT/scoreboard (the render root), /run/scoreboard when ROOT is "". */
void scoreboard_path(const char *root, char *out, size_t size);
/* PID 1: a new, zeroed board at PATH (replacing any), kept for the calls below; NULL logged. */
struct scoreboard *scoreboard_create(const char *path);
/* A reader: PATH mapped read-only, checked; NULL with errno (EPROTO: not a board of ours). */
const struct scoreboard *scoreboard_open(const char *path);
void scoreboard_service_started(size_t index, const char *name, int64_t now);
void scoreboard_service_exited(size_t index, int status);
void scoreboard_count(size_t counter, uint64_t amount);

#endif
