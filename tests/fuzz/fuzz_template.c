/* Templates: the engine on any text, with a lookup that knows a few names. */
#include <stdlib.h>
#include <string.h>

#include "base/buffer.h"
#include "fuzz.h"
#include "base/template.h"

static const char *lookup(const char *name, void *context)
{
	(void)context;
	if (strcmp(name, "MAIL_DOMAIN") == 0)
		return "example.com";
	if (strcmp(name, "ENABLE_POP3") == 0)
		return "yes";
	if (strcmp(name, "ENABLE_IMAP") == 0)
		return "no";
	if (strcmp(name, "EMPTY") == 0)
		return "";
	return NULL;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	char *text = fuzz_string(data, size);
	struct buffer out = {0};

	template_render(text, "fuzz", lookup, NULL, &out);
	buffer_free(&out);
	free(text);
	return 0;
}
