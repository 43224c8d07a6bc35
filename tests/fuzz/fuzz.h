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

#endif
