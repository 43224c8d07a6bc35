/* Each test file runs its cmocka group and returns the number of failures. */
#ifndef MAILINIT_UNIT_H
#define MAILINIT_UNIT_H

#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>

#include <cmocka.h>

int run_backoff_tests(void);
int run_lifecycle_tests(void);
int run_services_tests(void);
int run_signals_tests(void);
int run_proc_tests(void);
int run_template_tests(void);
int run_validate_tests(void);
int run_perms_tests(void);
int run_tls_tests(void);
int run_caps_tests(void);
int run_render_tests(void);
int run_settings_tests(void);
int run_accounts_tests(void);
int run_dkim_tests(void);
int run_syslog_tests(void);
int run_watch_tests(void);
int run_lookup_table_tests(void);
int run_text_tests(void);
int run_sessions_tests(void);
int run_metrics_tests(void);
int run_bans_tests(void);
int run_gate_tests(void);

#endif
