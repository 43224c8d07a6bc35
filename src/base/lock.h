/*
 * NAME
 *	lock - one writer at a time in a directory
 *
 * SYNOPSIS
 *	int fd = lock_directory("/etc/mailinit");   -1: logged
 *	... change the files ...
 *	close(fd);                                   the lock goes with it
 *
 * DESCRIPTION
 *	An exclusive flock(2) on DIR/.lock (made 0600, the directory with it
 *	when missing), waited for: two commands at once never lose a change.
 */
#ifndef MAILINIT_LOCK_H
#define MAILINIT_LOCK_H

int lock_directory(const char *dir);

#endif
