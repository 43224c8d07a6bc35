"""rspamd's configuration as `mailinit check` renders it from the settings, and Postfix's and
OpenDKIM's around it. (The container tests run it: tests/container/test_filtering.py.)"""

import re

OK = {"MAIL_DOMAIN": "example.test"}


def test_rspamd_on_by_default_first_milter_with_tempfail_and_opendkim_signing_only(check):
    result = check(OK)
    assert result.status == 0, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert re.search(r"^smtpd_milters = \{ inet:127\.0\.0\.1:11332, default_action=tempfail \}, "
                     r"inet:127\.0\.0\.1:8891$", main_cf, re.M), main_cf
    # Mail made on the server itself is signed, not filtered.
    assert re.search(r"^non_smtpd_milters = inet:127\.0\.0\.1:8891$", main_cf, re.M)
    assert re.search(r"^Mode\s+s$", result.file("/etc/opendkim.conf"), re.M)
    proxy = result.file("/etc/rspamd/local.d/worker-proxy.inc")
    assert 'bind_socket = "127.0.0.1:11332";' in proxy and "self_scan = yes;" in proxy
    controller = result.file("/etc/rspamd/local.d/worker-controller.inc")
    assert 'bind_socket = "/run/rspamd/controller.sock mode=0600";' in controller
    assert 'servers = "/run/redis/redis.sock";' in result.file("/etc/rspamd/local.d/redis.conf")
    redis = result.file("/etc/redis/redis.conf")
    assert re.search(r"^port 0$", redis, re.M) and "maxmemory 128mb" in redis
    assert "enabled = false;" in result.file("/etc/rspamd/local.d/dkim_signing.conf")


def test_scores_greylisting_and_trusted_networks_reach_rspamd(check):
    result = check({**OK, "SPAM_REJECT_SCORE": "20", "SPAM_JUNK_SCORE": "8",
                    "SPAM_GREYLIST_SCORE": "5", "GREYLIST_DELAY": "120",
                    "TRUSTED_NETWORKS": "192.0.2.0/24 [2001:db8::]/32",
                    "REDIS_MAX_MEMORY": "256"})
    assert result.status == 0, result.output
    actions = result.file("/etc/rspamd/local.d/actions.conf")
    assert "reject = 20;" in actions and "add_header = 8;" in actions
    assert "greylist = 5;" in actions
    greylist = result.file("/etc/rspamd/local.d/greylist.conf")
    assert "enabled = yes;" in greylist and "timeout = 120;" in greylist
    local = '"127.0.0.0/8", "::1", "192.0.2.0/24", "2001:db8::/32"'
    # override.d: the list replaces rspamd's own (which holds every private network).
    assert f"local_addrs = [{local}];" in result.file("/etc/rspamd/override.d/options.inc")
    assert f"ip = [{local}];" in result.file("/etc/rspamd/local.d/settings.conf")
    assert "maxmemory 256mb" in result.file("/etc/redis/redis.conf")


def test_greylisting_off_leaves_no_greylist_action(check):
    result = check({**OK, "GREYLISTING": "no", "SPAM_GREYLIST_SCORE": "50"})
    assert result.status == 0, result.output
    assert "greylist = null;" in result.file("/etc/rspamd/local.d/actions.conf")
    assert "enabled = no;" in result.file("/etc/rspamd/local.d/greylist.conf")


def test_scores_out_of_order_are_refused_naming_both(check):
    result = check({**OK, "SPAM_JUNK_SCORE": "15", "SPAM_REJECT_SCORE": "10"})
    assert result.status != 0
    assert ("SPAM_JUNK_SCORE: 15 (from environment) must be below SPAM_REJECT_SCORE, 10 "
            "(from environment)") in result.output, result.output
    result = check({**OK, "SPAM_GREYLIST_SCORE": "7"})
    assert result.status != 0
    assert "SPAM_GREYLIST_SCORE: 7 (from environment) must be below SPAM_JUNK_SCORE, 6 " \
        "(from default)" in result.output, result.output


def test_rspamd_off_is_today_s_lean_server(check):
    result = check({**OK, "ENABLE_RSPAMD": "no"})
    assert result.status == 0, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert re.search(r"^smtpd_milters = inet:127\.0\.0\.1:8891$", main_cf, re.M), main_cf
    assert re.search(r"^Mode\s+sv$", result.file("/etc/opendkim.conf"), re.M)
    assert not (result.out / "etc/rspamd/local.d/actions.conf").exists()
    assert not (result.out / "etc/redis/redis.conf").exists()
    both_off = check({**OK, "ENABLE_RSPAMD": "no", "ENABLE_DKIM": "no"})
    assert "smtpd_milters" not in both_off.file("/etc/postfix/main.cf")


def test_the_operators_own_rspamd_files_are_given_to_rspamd_after_ours(check):
    files = {"rspamd/antivirus.conf": 'clamav { servers = "clamd:3310"; }\n',
             "rspamd/actions.conf": "reject = 30;\n", "rspamd/notes.txt": "not for rspamd\n"}
    (check.config_dir / "rspamd").mkdir()
    result = check(OK, files=files)
    assert result.status == 0, result.output
    assert "clamd:3310" in result.file("/etc/rspamd/local.d/antivirus.conf")
    assert result.file("/etc/rspamd/local.d/actions.conf") == "reject = 30;\n"
    assert not (result.out / "etc/rspamd/local.d/notes.txt").exists()
    assert "rspamd/notes.txt: not given to rspamd (only NAME.conf and NAME.inc are)" in \
        result.output
