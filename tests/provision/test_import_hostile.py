"""`mailinit import` fed docker-mailserver files that are broken or hostile: a clear
message naming file and line, no crash, and nothing half written."""

import shutil
import subprocess

import pytest

from conftest import MAILINIT, ROOT
from test_admin import FIXTURES


@pytest.fixture
def importer(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    source = tmp_path / "dms"
    shutil.copytree(FIXTURES, source)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MAILINIT_CONFIG_DIR": str(config_dir),
           "MAILINIT_TEMPLATES": str(ROOT / "templates"), "MAIL_DOMAIN": "example.test",
           "MAIL_HOSTNAME": "mail.example.test"}

    def run(**files):
        for name, text in files.items():
            (source / name.replace("_", "-")).write_text(text)
        return subprocess.run([MAILINIT, "import", str(source)], env=env, text=True,
                              capture_output=True, timeout=60)

    run.config = config_dir
    return run


def test_a_quota_line_without_a_colon_is_named_not_a_crash(importer):
    out = importer(**{"dovecot_quotas.cf": "jane@example.test\njohn@example.test:2G\n"})
    assert out.returncode == 0, out  # was a segfault, exit 139
    assert "dovecot-quotas.cf:1: expected user@domain:SIZE; jane@example.test is imported " \
           "without a quota" in out.stderr
    accounts = (importer.config / "accounts").read_text()
    assert "john@example.test:{SHA512-CRYPT}" in accounts and ":quota=2G" in accounts
    assert "jane@example.test:{SHA512-CRYPT}" in accounts


def test_a_local_part_with_a_slash_is_refused_and_nothing_imported(importer):
    # alice/.archive would be a folder inside alice's Maildir, not a mailbox.
    hashed = "{SHA512-CRYPT}$6$janesalt$" + "x" * 86
    out = importer(**{"postfix_accounts.cf": f"alice@example.test|{hashed}\n"
                                             f"alice/.archive@example.test|{hashed}\n"})
    assert out.returncode != 0, out
    assert "postfix-accounts.cf:2" in out.stderr and "has a / in the local part" in out.stderr
    assert not (importer.config / "accounts").exists() or \
        "alice" not in (importer.config / "accounts").read_text()


def test_control_characters_in_an_import_reach_no_terminal(importer):
    out = importer(**{"postfix_accounts.cf": "\x1b]0;owned\x07@example.test|{PLAIN}x\n"})
    assert out.returncode != 0, out
    assert "\x1b" not in out.stderr + out.stdout and "\x07" not in out.stderr + out.stdout
    assert "\\x1b]0;owned\\x07" in out.stderr, out.stderr


def test_import_as_documented_without_mail_domain_is_quiet_and_succeeds(tmp_path):
    # docs/migration.md step 2: a one-off container with no settings and no server.
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MAILINIT_CONFIG_DIR": str(config_dir),
           "MAILINIT_TEMPLATES": str(ROOT / "templates")}
    out = subprocess.run([MAILINIT, "import", str(FIXTURES)], env=env, text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 0, out
    assert out.stderr == "", out.stderr  # it printed "error: MAIL_DOMAIN: is required" twice
    assert "imported 3 accounts" in out.stdout
    assert "jane@example.test:" in (config_dir / "accounts").read_text()


def test_a_plain_password_in_an_import_gives_advice_that_works(importer):
    out = importer(**{"postfix_accounts.cf": "jane@example.test|{PLAIN}secret\n"})
    assert out.returncode == 65, out
    assert "so nothing is imported: hash it in that file (doveadm pw -s SHA512-CRYPT), or " \
           "remove the line and add the account after the import" in out.stderr
    assert "user passwd" not in out.stderr


def test_sources_joined_by_a_comma_are_refused_not_split(importer):
    # The source of a postfix-virtual.cf line ends at a blank; "x,y target" once imported
    # y as a target of x (found by review of the layered tree).
    out = importer(**{"postfix_virtual.cf":
                      "x@example.test,y@example.test carol@example.test\n"})
    assert out.returncode == 65, out
    assert "postfix-virtual.cf:1: \"x@example.test,y@example.test\"" in out.stderr
    assert not (importer.config / "aliases").exists() or \
        "y@example.test" not in (importer.config / "aliases").read_text()
