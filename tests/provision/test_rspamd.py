"""rspamd's configuration as `mailinit check` renders it from the settings, and Postfix's and
OpenDKIM's around it. (The container tests run it: tests/container/test_filtering.py.)"""

import re

OK = {"MAIL_DOMAIN": "example.test"}


RSPAMD = r"\{ unix:/run/rspamd-milter/milter\.sock, default_action=tempfail \}"
DKIM = r"unix:/run/opendkim/milter\.sock"


def test_rspamd_on_by_default_first_milter_with_tempfail_and_opendkim_signing_only(check):
    result = check({**OK, "TRUSTED_NETWORKS": "192.0.2.0/24 [2001:db8::]/48 198.51.100.9"})
    assert result.status == 0, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    # Mail from outside passes rspamd alone; mail that may be signed, OpenDKIM after it.
    assert re.search(rf"^smtpd_milters = {RSPAMD}$", main_cf, re.M), main_cf
    assert re.search(rf"^signing_milters = {RSPAMD}, {DKIM}$", main_cf, re.M), main_cf
    # On port 25 by client address: loopback and the trusted networks (an address alone
    # with its full prefix, as a cidr table wants it).
    assert re.search(r"^smtpd_milter_maps = cidr:\S+/etc/postfix/signing-clients\.cidr$",
                     main_cf, re.M), main_cf
    signing = result.file("/etc/postfix/signing-clients.cidr").splitlines()
    milters = "{ unix:/run/rspamd-milter/milter.sock, default_action=tempfail }, " \
        "unix:/run/opendkim/milter.sock"
    assert signing == [f"{net} {milters}" for net in
                       ("127.0.0.0/8", "::1/128", "192.0.2.0/24", "2001:db8::/48",
                        "198.51.100.9/32")], signing
    # Logged-in users' mail: both, whatever the client's address.
    master_cf = result.file("/etc/postfix/master.cf")
    assert master_cf.count("  -o smtpd_milters=$signing_milters\n  -o smtpd_milter_maps=\n") == 2
    # Mail made on the server itself (Sieve replies) passes the same two, named LOCAL so that
    # rspamd can check its From against its envelope sender.
    assert re.search(r"^non_smtpd_milters = \$signing_milters$", main_cf, re.M), main_cf
    assert re.search(r"^cleanup .*\n  -o milter_macro_daemon_name=LOCAL$",
                     result.file("/etc/postfix/master.cf"), re.M)
    assert re.search(r"^Mode\s+s$", result.file("/etc/opendkim.conf"), re.M)
    proxy = result.file("/etc/rspamd/local.d/worker-proxy.inc")
    assert 'bind_socket = "/run/rspamd-milter/milter.sock mode=0666";' in proxy
    assert "self_scan = yes;" in proxy
    assert re.search(r"^Socket\s+local:/run/opendkim/milter\.sock$",
                     result.file("/etc/opendkim.conf"), re.M)
    controller = result.file("/etc/rspamd/override.d/worker-controller.inc")
    assert re.findall(r"^bind_socket = .*$", controller, re.M) == [
        'bind_socket = "/run/rspamd-controller/controller.sock mode=0666";'], controller
    assert re.search(r"^secure_ip = \[\];$", controller, re.M)
    assert not re.search(r"^(enable_)?password", controller, re.M), controller
    assert 'servers = "/run/redis/redis.sock";' in result.file("/etc/rspamd/local.d/redis.conf")
    redis = result.file("/etc/redis/redis.conf")
    assert re.search(r"^port 0$", redis, re.M) and "maxmemory 128mb" in redis
    assert "enabled = false;" in result.file("/etc/rspamd/local.d/dkim_signing.conf")
    # Scores come from the settings only: no file of scores saved through the controller.
    assert re.search(r'^dynamic_conf = "/etc/rspamd/dynamic.off";$',
                     result.file("/etc/rspamd/override.d/options.inc"), re.M)
    # Learning from Junk moves: Dovecot's two scripts pipe to a program that asks rspamc.
    dovecot_conf = result.file("/etc/dovecot/dovecot.conf")
    assert "mail_plugins = $mail_plugins imap_quota imap_sieve\n" in dovecot_conf
    assert "imapsieve_mailbox1_name = Junk" in dovecot_conf
    assert 'pipe :copy "rspamd-learn" ["spam"];' in \
        result.file("/etc/dovecot/sieve/learn-spam.sieve")
    learn = result.out / "etc/dovecot/sieve-pipe/rspamd-learn"
    assert learn.stat().st_mode & 0o777 == 0o755
    assert 'exec /usr/bin/rspamc -h /run/rspamd-controller/controller.sock "learn_$1"' in \
        learn.read_text()


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
    # The lean server: no milter for mail from outside (an operator who turns rspamd off
    # filters elsewhere); OpenDKIM signs what may be signed.
    assert re.search(r"^smtpd_milters = $", main_cf, re.M), main_cf
    assert re.search(rf"^signing_milters = {DKIM}$", main_cf, re.M), main_cf
    assert result.file("/etc/postfix/signing-clients.cidr").splitlines()[0] == \
        "127.0.0.0/8 unix:/run/opendkim/milter.sock"
    assert re.search(r"^Mode\s+s$", result.file("/etc/opendkim.conf"), re.M)
    assert not (result.out / "etc/rspamd/local.d/actions.conf").exists()
    assert not (result.out / "etc/redis/redis.conf").exists()
    # No learning from Junk: Dovecot's IMAPSieve is not loaded, its scripts not written.
    dovecot_conf = result.file("/etc/dovecot/dovecot.conf")
    assert "imap_sieve" not in dovecot_conf and "imapsieve" not in dovecot_conf
    assert "mail_plugins = $mail_plugins imap_quota\n" in dovecot_conf
    assert not (result.out / "etc/dovecot/sieve/learn-spam.sieve").exists()
    both_off = check({**OK, "ENABLE_RSPAMD": "no", "ENABLE_DKIM": "no"})
    assert "smtpd_milters" not in both_off.file("/etc/postfix/main.cf")
    assert "smtpd_milters" not in both_off.file("/etc/postfix/master.cf")


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


def test_an_operators_rspamd_file_is_written_once_and_leaves_when_it_is_removed(check):
    """A render writes each of rspamd's files once: the operator's actions.conf is not first
    overwritten with ours (the supervisor reloads rspamd, restarting its workers, whenever
    one of its files changed). A file the operator removes leaves local.d at the next render
    (a live reload renders into the same directory)."""
    (check.config_dir / "rspamd").mkdir()
    files = {"rspamd/antivirus.conf": "clamav { }\n", "rspamd/actions.conf": "reject = 30;\n"}
    first = check(OK, files=files, out="run")
    assert first.status == 0, first.output
    local = first.out / "etc/rspamd/local.d"
    # A write is a new file renamed over the old one: a new inode.
    before = {p.name: p.stat().st_ino for p in local.iterdir()}
    again = check(OK, out="run")
    assert again.status == 0, again.output
    assert {p.name: p.stat().st_ino for p in local.iterdir()} == before
    (check.config_dir / "rspamd/antivirus.conf").unlink()
    (check.config_dir / "rspamd/actions.conf").unlink()
    gone = check(OK, out="run")
    assert gone.status == 0, gone.output
    assert not (local / "antivirus.conf").exists()
    assert "reject = 15;" in (local / "actions.conf").read_text()  # ours again


def test_an_operators_rspamd_file_may_be_a_link_within_its_directory_never_out_of_it(check,
                                                                                  tmp_path):
    """The copy in local.d is world-readable: a link in the config directory must not turn
    a root-only file elsewhere into one rspamd (and anyone) can read. A Kubernetes ConfigMap's
    files are links into its own ..data directory: those are read."""
    secret = tmp_path / "secret"
    secret.write_text("password = hunter2;\n")
    secret.chmod(0o600)
    rspamd = check.config_dir / "rspamd"
    (rspamd / "..2026_12_03").mkdir(parents=True)
    (rspamd / "..2026_12_03/multimap.conf").write_text("from_map { type = \"from\"; }\n")
    (rspamd / "..data").symlink_to("..2026_12_03")
    (rspamd / "multimap.conf").symlink_to("..data/multimap.conf")
    result = check(OK)
    assert result.status == 0, result.output
    assert "from_map" in result.file("/etc/rspamd/local.d/multimap.conf")
    (rspamd / "leak.conf").symlink_to(secret)
    result = check(OK)
    assert result.status != 0, result.output
    assert "rspamd/leak.conf: cannot read it for rspamd (a regular file is needed, or a link " \
        "to one in the same directory)" in result.output, result.output
    assert not (result.out / "etc/rspamd/local.d/leak.conf").exists()


def test_the_web_interface_is_off_unless_given_a_password_then_on_loopback_with_it(check,
                                                                                   tmp_path):
    secret = tmp_path / "rspamd-web"
    secret.write_text("correct horse battery\n")
    result = check({**OK, "RSPAMD_WEB_PASSWORD_FILE": str(secret)})
    assert result.status == 0, result.output
    path = result.out / "etc/rspamd/override.d/worker-controller.inc"
    controller = path.read_text()
    assert re.findall(r"^bind_socket = .*$", controller, re.M) == [
        'bind_socket = "/run/rspamd-controller/controller.sock mode=0666";',
        'bind_socket = "127.0.0.1:11334";'], controller
    assert 'password = "correct horse battery";' in controller
    assert 'enable_password = "correct horse battery";' in controller
    assert re.search(r"^secure_ip = \[\];$", controller, re.M), controller
    assert path.stat().st_mode & 0o777 == 0o600  # the password: root's only
    assert "correct horse" not in result.output


def test_a_weak_web_password_or_an_address_rspamd_cannot_bind_is_refused(check):
    result = check({**OK, "RSPAMD_WEB_PASSWORD": "short", "RSPAMD_WEB_LISTEN": "localhost"})
    assert result.status != 0
    assert "RSPAMD_WEB_PASSWORD: must be 12 characters or more, without \", \\ or $ " \
        "(from environment)" in result.output, result.output
    assert 'RSPAMD_WEB_LISTEN: "localhost" is not ADDRESS:PORT' in result.output
    for listen in ("[::1]:11334", "0.0.0.0:8080"):
        fine = check({**OK, "RSPAMD_WEB_PASSWORD": "a$long$password", "RSPAMD_WEB_LISTEN": listen})
        assert "RSPAMD_WEB_LISTEN" not in fine.output, fine.output
        assert "RSPAMD_WEB_PASSWORD: must be" in fine.output  # "$" is rspamd's variable
