/*
 * NAME
 *	watch - see changes in a few directories, without polling
 *
 * SYNOPSIS
 *	const char *dirs[] = {"/etc/mailinit", "/certs"};
 *	int fd = watch_open(dirs, 2);           (-1 on error; logged)
 *	poll fd for POLLIN, then
 *	if (watch_drain(fd)) ... something changed
 *
 * DESCRIPTION
 *	One inotify instance with a watch on each directory (not its files):
 *	a file replaced by rename, as file_write, certbot and Kubernetes'
 *	"..data" symlink swap do, is seen as well as one written in place.
 *	A directory that does not exist is skipped with a warning. One given as
 *	"DIR/+" is watched with each of its subdirectories, those made or moved
 *	in later too (CERTS_DIR: a certificate each, certbot's live/NAME/);
 *	WATCH_DEEP_MAX of them.
 *
 *	watch_drain reads every pending event and tells whether any of them
 *	could matter: names starting with a single dot (lock files, editors'
 *	and file_write's temporary files) and editor backups ("~", ".swp")
 *	do not; Kubernetes' "..data" does.
 */
#ifndef MAILINIT_WATCH_H
#define MAILINIT_WATCH_H

#include <stdbool.h>
#include <stddef.h>

#define WATCH_DEEP_MAX 4

int watch_open(char *const *dirs, size_t count);
bool watch_drain(int fd);
/* Whether a change to this name (no directory) matters. */
bool watch_name_matters(const char *name);

#endif
