/* Syslog datagrams, as the /dev/log sink formats them: plain and JSON. */
#include <string.h>

#include "base/buffer.h"
#include "fuzz.h"
#include "init/syslog_sink.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char line[8194];
	struct buffer json = {0};

	if (size > 8192)
		size = 8192; /* the sink's datagram buffer */
	syslog_format((const char *)data, size, line, sizeof(line));
	if (strlen(line) + 1 > sizeof(line) || line[strlen(line) - 1] != '\n')
		__builtin_trap(); /* one datagram, one line: always */
	syslog_format_json((const char *)data, size, "2026-11-22T00:00:00.000Z", &json);
	if (json.len == 0 || memchr(json.data, '\n', json.len) != json.data + json.len - 1)
		__builtin_trap(); /* exactly one line of JSON */
	buffer_free(&json);
	return 0;
}
