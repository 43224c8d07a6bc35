/* Helpers for the fuzz targets (linked into each). */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "fuzz.h"
#include "base/log.h"
#include "mail/settings.h"

int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_size)
{
	int fd = memfd_create("fuzz", MFD_CLOEXEC);

	if (fd < 0 || write(fd, data, size) != (ssize_t)size)
		abort();
	snprintf(path, path_size, "/proc/self/fd/%d", fd);
	return fd;
}

char *fuzz_string(const uint8_t *data, size_t size)
{
	char *text = malloc(size + 1);

	if (text == NULL)
		abort();
	memcpy(text, data, size);
	text[size] = '\0';
	return text;
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	(void)argc;
	(void)argv;
	log_set_level(LOG_LEVEL_ERROR);
	return 0;
}

void admin_files_setup(char *dir, size_t size, struct settings *settings)
{
	static char *env[] = {"MAIL_DOMAIN=example.test", "MAIL_DOMAINS=second.test",
			      "MAIL_HOSTNAME=mail.example.test", NULL};
	struct problems problems = {0};

	snprintf(dir, size, "/dev/shm/mailinit-fuzz-XXXXXX");
	if (mkdtemp(dir) == NULL) {
		snprintf(dir, size, "/tmp/mailinit-fuzz-XXXXXX");
		if (mkdtemp(dir) == NULL)
			abort();
	}
	settings_init(settings);
	settings_read_environment(settings, env, &problems);
	settings_resolve(settings, &problems);
	if (problems.count)
		abort();
}

void admin_files_write(const char *dir, const char *const *names, size_t count,
		       const uint8_t *data, size_t size)
{
	char path[4096];
	const uint8_t *end = data ? data + size : NULL;

	for (size_t i = 0; i < count; i++) {
		const uint8_t *part_end = data < end ? memchr(data, '\0', (size_t)(end - data)) : NULL;
		size_t len = part_end ? (size_t)(part_end - data) : (size_t)(end - data);
		int fd;

		snprintf(path, sizeof(path), "%s/%s", dir, names[i]);
		unlink(path);
		if (data >= end)
			continue;
		if ((fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0600)) < 0 ||
		    write(fd, data, len) != (ssize_t)len)
			abort();
		close(fd);
		data += len + (part_end != NULL);
	}
}
