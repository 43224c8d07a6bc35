#include "unit.h"

int main(void)
{
	int failed = 0;

	failed += run_backoff_tests();
	failed += run_lifecycle_tests();
	failed += run_services_tests();
	failed += run_signals_tests();
	failed += run_proc_tests();
	failed += run_template_tests();
	failed += run_validate_tests();
	failed += run_perms_tests();
	failed += run_tls_tests();
	failed += run_caps_tests();
	failed += run_render_tests();
	failed += run_settings_tests();
	failed += run_accounts_tests();
	failed += run_dkim_tests();
	failed += run_syslog_tests();
	failed += run_watch_tests();
	failed += run_bans_tests();
	failed += run_gate_tests();
	failed += run_lookup_table_tests();
	failed += run_text_tests();
	failed += run_sessions_tests();
	failed += run_metrics_tests();
	return failed == 0 ? 0 : 1;
}
