/*
 * NAME
 *	demo_account - DEMO_ACCOUNT: the first account, its password shown once
 *
 * DESCRIPTION
 *	See demo_account.h.
 */
#include <limits.h>
#include <stdio.h>
#include <string.h>

#include "base/buffer.h"
#include "base/file.h"
#include "base/log.h"
#include "mail/demo_account.h"
#include "mail/password.h"

/* The first account, with a password nobody chose: shown once, on stdout. */
int demo_account_make(const char *address, const char *accounts_path)
{
	char secret[PASSWORD_LEN + 1], hash[PASSWORD_HASH_MAX];
	struct buffer line = {0};
	int status;

	if (password_generate(secret, sizeof(secret)) != 0 ||
	    password_hash(secret, hash, sizeof(hash)) != 0)
		return -1;
	buffer_printf(&line, "# made by mailinit for DEMO_ACCOUNT\n%s:%s\n", address, hash);
	char dir[PATH_MAX];
	snprintf(dir, sizeof(dir), "%s", accounts_path);
	*strrchr(dir, '/') = '\0';
	status = file_mkdirs(dir, 0755, (uid_t)-1, (gid_t)-1);
	if (status == 0)
		status = file_write(accounts_path, line.data, line.len, 0600, (uid_t)-1, (gid_t)-1);
	buffer_free(&line);
	if (status == 0 && log_is_json()) {
		/* One object, as every line of a JSON log must be. */
		log_info("demo account: %s, password: %s (shown once; it is stored hashed in %s)",
			 address, secret, accounts_path);
	} else if (status == 0) {
		printf("\n  demo account: %s\n  password:     %s\n  (shown once; it is "
		       "stored hashed in %s)\n\n",
		       address, secret, accounts_path);
		fflush(stdout);
	}
	explicit_bzero(secret, sizeof(secret));
	return status;
}
