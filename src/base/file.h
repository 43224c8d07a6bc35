/*
 * NAME
 *	file - read a file whole; write one whole or not at all
 *
 * SYNOPSIS
 *	file_write("/etc/app/app.conf", data, len, 0644, 0, 0);
 *	file_mkdirs("/var/lib/app/cache", 0750, uid, gid);
 *	char *text = file_read("/etc/app/app.conf", &len);     free(text) after
 *
 * DESCRIPTION
 *	file_write writes to a temporary file in the same directory, sets
 *	mode and owner (uid/gid -1: leave them), fsyncs, sets the mtime two
 *	seconds into the past, renames it over the target and fsyncs the
 *	directory. A reader sees the old file or the new one, never half of
 *	one. The past mtime matters: some readers wait while their file looks
 *	newer than "now" (every Postfix program, ~1 s per command, for main.cf).
 *	A file whose content, mode and owner are already right is left alone.
 *
 *	file_mkdirs creates missing directories along the path; the ones
 *	it creates get mode and owner, existing ones are not touched.
 *
 * DIAGNOSTICS
 *	Errors are logged with the path; the functions return -1.
 */
#ifndef MAILINIT_FILE_H
#define MAILINIT_FILE_H

#include <stddef.h>
#include <sys/types.h>

int file_write(const char *path, const char *data, size_t len, mode_t mode, uid_t uid, gid_t gid);
int file_mkdirs(const char *path, mode_t mode, uid_t uid, gid_t gid);
/* Read a whole file into a NUL-terminated allocated string; NULL with errno set.
   A file that reports no size (/proc) is read to its end, up to 1 MiB. */
char *file_read(const char *path, size_t *len);
/* NAME in DIR_FD, only if a regular file of at most 1 MiB (else EFBIG, EINVAL), through a
   symbolic link only to a file beneath DIR_FD (else EXDEV; a Kubernetes ConfigMap's files
   are links into its ..data directory); as file_read otherwise. */
char *file_read_at(int dir_fd, const char *name, size_t *len);

#endif
