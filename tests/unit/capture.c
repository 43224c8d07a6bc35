#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include "capture.h"

static int saved_stderr = -1;
static FILE *sink;

void capture_begin(void)
{
	fflush(stderr);
	sink = tmpfile();
	if (sink == NULL)
		abort();
	saved_stderr = dup(STDERR_FILENO);
	dup2(fileno(sink), STDERR_FILENO);
}

void capture_end(char *buf, size_t size)
{
	size_t len;

	fflush(stderr);
	dup2(saved_stderr, STDERR_FILENO);
	close(saved_stderr);
	rewind(sink);
	len = fread(buf, 1, size - 1, sink);
	buf[len] = '\0';
	fclose(sink);
}
