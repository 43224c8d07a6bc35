/* What the fuzz targets share: libFuzzer's entry points, and input as a file. */
#ifndef MAILINIT_FUZZ_H
#define MAILINIT_FUZZ_H

#include <stddef.h>
#include <stdint.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
int LLVMFuzzerInitialize(int *argc, char ***argv);

/* DATA in a memfd; *path gets "/proc/self/fd/N" for code that opens by name. Close the fd after. */
int fuzz_file(const uint8_t *data, size_t size, char *path, size_t path_size);
/* DATA as a NUL-terminated string, in memory the caller frees. */
char *fuzz_string(const uint8_t *data, size_t size);

/* For the admin-command targets: a scratch configuration directory on tmpfs (file_write
   fsyncs), made once, and the settings of example.test and second.test. */
struct settings;
void admin_files_setup(char *dir, size_t size, struct settings *settings);
/* Writes the parts of DATA, split at NUL bytes, into DIR/NAMES[i]; a missing part: no file. */
void admin_files_write(const char *dir, const char *const *names, size_t count,
		       const uint8_t *data, size_t size);

#endif
