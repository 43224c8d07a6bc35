#include <signal.h>
#include <stdio.h>
#include <string.h>

#include "capture.h"
#include "init/service_file.h"
#include "unit.h"

static int parse(const char *text, struct supervisor_config *config, char *messages, size_t size)
{
	int status;

	capture_begin();
	status = services_parse_buf(text, config);
	capture_end(messages, size);
	return status;
}

static void full_service_description(void **state)
{
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	assert_int_equal(parse("supervisor { stop_grace = 5 restart_limit = 3 }\n"
			       "service mta {\n"
			       "  command = {\"/usr/sbin/postfix\", \"start-fg\"}\n"
			       "  order = 30\n"
			       "  pidfile = \"/var/spool/postfix/pid/master.pid\"\n"
			       "  reload_command = {\"/usr/sbin/postfix\", \"reload\"}\n"
			       "  stop_signal = \"SIGTERM\"\n"
			       "}\n",
			       &c, msg, sizeof(msg)),
			 0);
	assert_int_equal(c.count, 1);
	assert_string_equal(c.services[0].name, "mta");
	assert_string_equal(c.services[0].argv[0], "/usr/sbin/postfix");
	assert_string_equal(c.services[0].argv[1], "start-fg");
	assert_null(c.services[0].argv[2]);
	assert_string_equal(c.services[0].pidfile, "/var/spool/postfix/pid/master.pid");
	assert_string_equal(c.services[0].reload_argv[1], "reload");
	assert_int_equal(c.services[0].stop_signal, SIGTERM);
	assert_int_equal(c.services[0].order, 30);
	assert_int_equal(c.stop_grace, 5);
	assert_int_equal(c.restart.limit, 3);
	assert_int_equal(c.restart.window, 60); /* default kept */
	services_free(&c);
}

static void defaults_are_term_to_stop_and_hup_to_reload(void **state)
{
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	assert_int_equal(parse("service a { command = {\"true\"} }", &c, msg, sizeof(msg)), 0);
	assert_int_equal(c.services[0].stop_signal, SIGTERM);
	assert_int_equal(c.services[0].reload_signal, SIGHUP);
	assert_null(c.services[0].pidfile);
	assert_null(c.services[0].reload_argv[0]);
	assert_int_equal(c.stop_grace, 8);
	assert_int_equal(c.restart.initial, 1);
	assert_int_equal(c.restart.max, 30);
	assert_int_equal(c.restart.limit, 5);
	services_free(&c);
}

static void services_are_sorted_by_order_stably(void **state)
{
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	assert_int_equal(parse("service postfix { command = {\"p\"} order = 30 }\n"
			       "service dovecot { command = {\"d\"} order = 10 }\n"
			       "service first20 { command = {\"x\"} order = 20 }\n"
			       "service second20 { command = {\"y\"} order = 20 }\n",
			       &c, msg, sizeof(msg)),
			 0);
	assert_string_equal(c.services[0].name, "dovecot");
	assert_string_equal(c.services[1].name, "first20");
	assert_string_equal(c.services[2].name, "second20");
	assert_string_equal(c.services[3].name, "postfix");
	services_free(&c);
}

/* Each bad description fails, and the message names the line and the problem. */
static void bad_descriptions_are_rejected_with_line_and_cause(void **state)
{
	static const struct {
		const char *text;
		const char *message;
	} cases[] = {
	    {"", "no service is defined"},
	    {"service a { order = 1 }", "command is required"},
	    {"service a {\n command = {\"x\"}\n stop_signal = \"TERMINATE\"\n}",
	     "[buf]:3: stop_signal: unknown signal \"TERMINATE\""},
	    {"service a { command = {\"x\"} reload_signal = \"NOPE\" }", "reload_signal: unknown"},
	    {"service a { command = {\"x\"} reload_signal = \"HUP\" reload_command = {\"r\"} }",
	     "not both"},
	    {"service a { command = {\"\"} }", "command: the program name is empty"},
	    {"service \"a b\" { command = {\"x\"} }", "use only letters"},
	    {"service a { command = {\"x\"} }\nservice a { command = {\"y\"} }",
	     "[buf]:2: found duplicate title 'a'"},
	    {"service a { command = {\"x\"} colour = \"red\" }", "colour"},
	    {"supervisor { stop_grace = -1 }\nservice a { command = {\"x\"} }",
	     "stop_grace: -1 is out of range"},
	    {"supervisor { restart_limit = 33 }\nservice a { command = {\"x\"} }",
	     "restart_limit: 33 is out of range (1 to 32)"},
	    {"supervisor { restart_window = 0 }\nservice a { command = {\"x\"} }",
	     "restart_window: 0 is out of range"},
	    {"service a {\n command = {\"x\"} =\n}", "[buf]:2: unexpected token '='"},
	};

	(void)state;
	for (size_t i = 0; i < sizeof(cases) / sizeof(cases[0]); i++) {
		struct supervisor_config c;
		char msg[4096];

		if (parse(cases[i].text, &c, msg, sizeof(msg)) != -1 ||
		    strstr(msg, cases[i].message) == NULL ||
		    strstr(msg, "mailinit: error: ") == NULL)
			fail_msg("case %zu: %s\nexpected \"%s\" in: %s", i, cases[i].text,
				 cases[i].message, msg);
		assert_int_equal(c.count, 0); /* nothing half-loaded */
	}
}

static void too_many_services(void **state)
{
	char text[4096] = "";
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	for (int i = 0; i <= SERVICES_MAX; i++) {
		char line[64];

		snprintf(line, sizeof(line), "service s%d { command = {\"x\"} }\n", i);
		strcat(text, line);
	}
	assert_int_equal(parse(text, &c, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "more than the 16 supported"));
}

static void missing_file_names_the_file_and_what_to_do(void **state)
{
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	capture_begin();
	assert_int_equal(services_load("/nonexistent/mailinit.conf", &c), -1);
	capture_end(msg, sizeof(msg));
	assert_non_null(strstr(msg, "/nonexistent/mailinit.conf: cannot read"));
	assert_non_null(strstr(msg, "MAILINIT_CONF"));
}

static void the_shipped_configuration_loads(void **state)
{
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	capture_begin();
	int status = services_load("configs/services.conf", &c);
	capture_end(msg, sizeof(msg));
	if (status != 0)
		fail_msg("configs/services.conf: %s", msg);
	/* The gate stops first (no proxied client comes in), then Postfix: they are last in
	   start order; Redis stops last, after rspamd. */
	assert_string_equal(c.services[c.count - 1].name, "gate");
	assert_string_equal(c.services[c.count - 1].enabled_by, "PROXY_PROTOCOL_NETWORKS");
	assert_string_equal(c.services[c.count - 2].name, "postfix");
	assert_non_null(c.services[c.count - 2].pidfile);
	assert_string_equal(c.services[0].name, "redis");
	assert_string_equal(c.services[0].enabled_by, "ENABLE_RSPAMD");
	assert_string_equal(c.services[c.count - 3].name, "rspamd");
	services_free(&c);
}

static void switched_services_keep_their_switch_and_can_be_left_out(void **state)
{
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	assert_int_equal(parse("service store { command = {\"redis\"} order = 5\n"
			       "  enabled_by = \"ENABLE_FILTER\" reloads = false }\n"
			       "service filter { command = {\"rspamd\"} order = 20\n"
			       "  enabled_by = \"ENABLE_FILTER\" }\n"
			       "service mta { command = {\"postfix\"} order = 30 }\n",
			       &c, msg, sizeof(msg)),
			 0);
	assert_string_equal(c.services[0].enabled_by, "ENABLE_FILTER");
	assert_false(c.services[0].reloads);
	assert_true(c.services[1].reloads);
	assert_string_equal(c.services[2].enabled_by, "");
	services_remove(&c, 1);
	assert_int_equal(c.count, 2);
	assert_string_equal(c.services[0].name, "store");
	assert_string_equal(c.services[1].name, "mta");
	assert_string_equal(c.services[1].argv[0], "postfix");
	services_free(&c);
	assert_int_equal(
	    parse("service a { command = {\"true\"} enabled_by = \"\" }", &c, msg, sizeof(msg)),
	    -1);
	assert_non_null(strstr(msg, "enabled_by: a switch name of 1 to 31 characters"));
}

/* ROLE: a service names the roles it runs in (cli/run.c leaves out the others). */
static void roles_are_kept_as_words_and_checked(void **state)
{
	struct supervisor_config c;
	char msg[2048];

	(void)state;
	assert_int_equal(parse("service mta { command = {\"postfix\"} roles = {\"all\", \"mx\"} }\n"
			       "service store { command = {\"dovecot\"} }\n",
			       &c, msg, sizeof(msg)),
			 0);
	assert_string_equal(c.services[0].roles, " all mx ");
	assert_string_equal(c.services[1].roles, "");
	services_free(&c);
	assert_int_equal(
	    parse("service a { command = {\"true\"} roles = {\"MX\"} }", &c, msg, sizeof(msg)), -1);
	assert_non_null(strstr(msg, "roles: names of lower-case letters"));
	assert_int_equal(
	    parse("service a { command = {\"true\"} roles = {\"\"} }", &c, msg, sizeof(msg)), -1);
}

int run_services_tests(void)
{
	const struct CMUnitTest tests[] = {
	    cmocka_unit_test(full_service_description),
	    cmocka_unit_test(defaults_are_term_to_stop_and_hup_to_reload),
	    cmocka_unit_test(services_are_sorted_by_order_stably),
	    cmocka_unit_test(bad_descriptions_are_rejected_with_line_and_cause),
	    cmocka_unit_test(too_many_services),
	    cmocka_unit_test(missing_file_names_the_file_and_what_to_do),
	    cmocka_unit_test(the_shipped_configuration_loads),
	    cmocka_unit_test(switched_services_keep_their_switch_and_can_be_left_out),
	    cmocka_unit_test(roles_are_kept_as_words_and_checked),
	};
	return cmocka_run_group_tests_name("services", tests, NULL, NULL);
}
