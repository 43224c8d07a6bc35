/* Run code with stderr sent to a buffer, so tests can read mailinit's messages. */
#ifndef MAILINIT_CAPTURE_H
#define MAILINIT_CAPTURE_H

#include <stddef.h>

/* Start capturing; capture_end copies what was written (NUL-terminated) into buf. */
void capture_begin(void);
void capture_end(char *buf, size_t size);

#endif
