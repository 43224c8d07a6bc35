"""The admin commands and `mailinit import` on a configuration directory, then
`mailinit check` on what they wrote: the files stay valid input."""

import os
import re
import subprocess
from pathlib import Path

import pytest

from conftest import MAILINIT, ROOT

FIXTURES = Path(__file__).resolve().parent / "docker-mailserver"


@pytest.fixture
def admin(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MAILINIT_CONFIG_DIR": str(config_dir),
           "MAILINIT_TEMPLATES": str(ROOT / "templates"), "MAIL_DOMAIN": "example.test",
           "MAIL_HOSTNAME": "mail.example.test"}

    def run(*args, stdin=None):
        return subprocess.run([MAILINIT, *args], env=env, input=stdin or "", text=True,
                              capture_output=True, timeout=60)

    run.dir = config_dir
    return run


def test_user_add_list_passwd_del_keep_the_file_valid(admin):
    assert admin("user", "add", "Alice@Example.test", "--password-stdin",
                 stdin="pw one\n").returncode == 0
    generated = admin("user", "add", "bob@example.test", "--quota", "500M")
    assert generated.returncode == 0
    assert "password for bob@example.test: " in generated.stdout
    assert admin("user", "list").stdout == "alice@example.test\nbob@example.test\tquota 500 MiB\n"
    before = (admin.dir / "accounts").read_text()
    assert admin("user", "passwd", "bob@example.test", "--password-stdin",
                 stdin="new\n").returncode == 0
    after = (admin.dir / "accounts").read_text()
    assert after != before and after.splitlines()[1].endswith(":quota=500M")
    assert oct((admin.dir / "accounts").stat().st_mode & 0o777) == "0o600"
    assert admin("check").returncode == 0
    assert admin("user", "del", "alice@example.test").returncode == 0
    assert admin("user", "list").stdout == "bob@example.test\tquota 500 MiB\n"


def test_comments_and_other_lines_are_kept(admin):
    (admin.dir / "accounts").write_text("# my accounts\n\n")
    admin("user", "add", "alice@example.test", "--password-stdin", stdin="x\n")
    lines = (admin.dir / "accounts").read_text().splitlines()
    assert lines[:2] == ["# my accounts", ""] and lines[2].startswith("alice@example.test:{")


@pytest.mark.parametrize("args, status, text", [
    (["user", "add", "x@other.example"], 65, "other.example is not a mail domain"),
    (["user", "add", "x@mail.example.test"], 65, "the server's host name (MAIL_HOSTNAME)"),
    (["user", "add", "x@@example.test"], 65, "\"x@@example.test\" has a character not allowed"),
    (["user", "add", "x@example.test", "secret"], 64, "unexpected \"secret\""),
    (["user", "add", "x@example.test", "--quota", "lots"], 64, "--quota \"lots\" is not a size"),
    (["user", "passwd", "nobody@example.test", "--password-stdin"], 67, "no account"),
    (["alias", "add", "sales@example.test", "not an address"], 65, "target"),
    (["dkim", "rotate", "other.example"], 65, "not a mail domain"),
    (["user", "frob"], 64, "mailinit user frob: unknown or incomplete: mailinit user takes add, "
                           "passwd, del or list"),
    (["user"], 64, "mailinit user: give add, passwd, del or list"),
    (["alias"], 64, "mailinit alias: give add, del or list"),
])
def test_bad_admin_input_is_named_and_writes_nothing(admin, args, status, text):
    result = admin(*args, stdin="pw\n")
    assert result.returncode == status, result.stderr
    assert text in result.stderr
    assert not (admin.dir / "accounts").exists()
    assert not (admin.dir / "aliases").exists()


def test_passwd_mends_a_line_that_lost_its_hash(admin):
    (admin.dir / "accounts").write_text("  Alice@example.test\n")
    result = admin("user", "passwd", "alice@example.test", "--password-stdin", stdin="pw\n")
    assert result.returncode == 0, result.stderr
    assert (admin.dir / "accounts").read_text().startswith("alice@example.test:{CRYPT}$y$j8T$")
    assert admin("check").returncode == 0


def test_an_empty_password_on_stdin_is_refused(admin):
    result = admin("user", "add", "x@example.test", "--password-stdin", stdin="\n")
    assert result.returncode == 65 and "password is empty" in result.stderr


def test_alias_add_merges_and_del_removes_one_target(admin):
    admin("user", "add", "a@example.test", "--password-stdin", stdin="x\n")
    admin("user", "add", "b@example.test", "--password-stdin", stdin="y\n")
    admin("alias", "add", "team@example.test", "a@example.test")
    admin("alias", "add", "team@example.test", "b@example.test", "a@example.test")
    admin("alias", "add", "@example.test", "a@example.test")
    assert admin("alias", "list").stdout == ("team@example.test\ta@example.test, b@example.test\n"
                                             "@example.test\ta@example.test\n")
    admin("alias", "del", "team@example.test", "a@example.test")
    assert "team@example.test\tb@example.test\n" in admin("alias", "list").stdout
    admin("alias", "del", "team@example.test", "b@example.test")  # its last target
    assert "team@" not in admin("alias", "list").stdout
    assert admin("check").returncode == 0
    assert admin("domain", "list").stdout == "example.test\t2 accounts, 1 alias\n"


def test_concurrent_user_adds_lose_none(admin):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MAILINIT_CONFIG_DIR": str(admin.dir),
           "MAILINIT_TEMPLATES": str(ROOT / "templates"), "MAIL_DOMAIN": "example.test",
           "MAIL_HOSTNAME": "mail.example.test"}
    procs = [subprocess.Popen([MAILINIT, "user", "add", f"u{i}@example.test", "--password-stdin"],
                              env=env, stdin=subprocess.PIPE, stdout=subprocess.DEVNULL,
                              stderr=subprocess.PIPE, text=True) for i in range(40)]
    for i, p in enumerate(procs):
        p.stdin.write(f"pw{i}\n")
        p.stdin.close()
    assert [p.wait(60) for p in procs] == [0] * 40
    listed = admin("user", "list").stdout.split()
    assert sorted(listed) == sorted(f"u{i}@example.test" for i in range(40))


def test_dkim_rotate_then_remove_the_old_key(admin):
    assert admin("check").returncode == 0  # check makes keys in its scratch directory only
    dkim = admin.dir / "dkim" / "example.test"
    rotated = admin("dkim", "rotate", "example.test")
    assert rotated.returncode == 0, rotated.stderr
    selector = (dkim / "selector").read_text().strip()
    assert selector.startswith("s") and (dkim / f"{selector}.private").exists()
    again = admin("dkim", "rotate", "example.test")
    second = (dkim / "selector").read_text().strip()
    assert second == selector + "a", again.stdout
    assert "no running mailinit found" in again.stdout
    assert admin("dkim", "remove", "example.test", second).returncode == 65
    assert admin("dkim", "remove", "example.test", selector).returncode == 0
    assert not (dkim / f"{selector}.private").exists()
    shown = admin("dkim", "show", "example.test").stdout
    assert f"signs with selector {second}" in shown
    assert f"{second}._domainkey.example.test. IN TXT" in shown


def test_dns_prints_mta_sts_and_tls_rpt(admin):
    admin("dkim", "rotate", "example.test")
    out = admin("dns", "example.test").stdout
    assert '_smtp._tls.example.test.\tIN\tTXT\t"v=TLSRPTv1; rua=mailto:postmaster@example.test"' in out
    assert "_mta-sts.example.test.\tIN\tTXT\t\"v=STSv1; id=" in out
    assert ";   mx: mail.example.test" in out
    assert out == admin("dns", "example.test").stdout  # the id is stable


def test_import_from_docker_mailserver(admin):
    result = admin("import", str(FIXTURES))
    assert result.returncode == 0, result.stderr
    assert "imported 3 accounts" in result.stdout
    accounts = (admin.dir / "accounts").read_text()
    assert "jane@example.test:{SHA512-CRYPT}$6$" in accounts
    assert "john@example.test:{SHA512-CRYPT}$6$" in accounts and ":quota=2G" in accounts
    assert "userdb_" not in accounts
    aliases = admin("alias", "list").stdout
    assert "info@example.test\tjane@example.test, john@example.test\n" in aliases
    assert "@second.test\tmary@second.test\n" in aliases
    assert admin("check").returncode == 0
    # Twice is the same as once.
    admin("import", str(FIXTURES))
    assert (admin.dir / "accounts").read_text() == accounts
    assert admin("alias", "list").stdout == aliases


def test_import_with_a_bad_line_imports_nothing_and_names_the_line(admin, tmp_path):
    bad = tmp_path / "dms"
    bad.mkdir()
    (bad / "postfix-accounts.cf").write_text(
        (FIXTURES / "postfix-accounts.cf").read_text() + "oops|{PLAIN}secret\n")
    result = admin("import", str(bad))
    assert result.returncode == 65
    assert f"{bad}/postfix-accounts.cf:5: \"oops\" is not an address" in result.stderr
    assert not (admin.dir / "accounts").exists()
    missing = admin("import", str(tmp_path / "nowhere"))
    assert missing.returncode == 66 and "postfix-accounts.cf" in missing.stderr


def test_an_alias_to_a_local_address_that_does_not_exist_is_refused(admin):
    admin("user", "add", "anna@example.test", "--password-stdin", stdin="x\n")
    result = admin("alias", "add", "sales@example.test", "anna@example.test", "ghost@example.test")
    assert result.returncode == 67, result
    assert ("alias add: ghost@example.test is in a mail domain of this server but is no account "
            "or alias: mail to sales@example.test would bounce") in result.stderr
    assert not (admin.dir / "aliases").exists()
    assert admin("alias", "add", "sales@example.test", "anna@example.test").returncode == 0
    # What does lead somewhere: an account with a +tag, postmaster@, another server's address,
    # another alias.
    for target in ("anna+sales@example.test", "postmaster@example.test", "x@elsewhere.example",
                   "sales@example.test"):
        result = admin("alias", "add", "team@example.test", target)
        assert result.returncode == 0, (target, result.stderr)


def test_check_warns_of_an_alias_whose_local_target_is_gone(admin):
    admin("user", "add", "anna@example.test", "--password-stdin", stdin="x\n")
    admin("user", "add", "bob@example.test", "--password-stdin", stdin="y\n")
    admin("alias", "add", "sales@example.test", "anna@example.test", "bob@example.test")
    assert admin("user", "del", "bob@example.test").returncode == 0
    result = admin("check")
    assert result.returncode == 0, result.stderr  # the server still starts: anna gets the mail
    assert ("aliases:1: bob@example.test is no account or alias of this server: mail to "
            "sales@example.test for it bounces") in result.stderr


def test_a_change_to_a_configuration_refused_as_a_whole_is_not_reported_as_success(admin):
    admin("user", "add", "anna@example.test", "--password-stdin", stdin="x\n")
    # A hand edit that the server refuses: every later reload and start would fail.
    (admin.dir / "aliases").write_text("broken-line-without-target\n")
    result = admin("user", "add", "bob@example.test", "--password-stdin", stdin="y\n")
    assert result.returncode == 78, result
    assert "aliases:1:" in result.stderr
    assert ("user: written, but the configuration as a whole is refused (the problems are "
            "above): the running server keeps its last good configuration") in result.stderr
    assert "bob@example.test" in (admin.dir / "accounts").read_text()
    # Listing changes nothing and checks nothing.
    assert admin("user", "list").returncode == 0


# One command per status of docs/exit-codes.md's table of the commands an operator types:
# the table cannot name a status the commands do not give, nor miss one they do.
EXIT_CODE_CASES = {
    0: ["domain", "list"],
    64: ["user", "frob"],
    65: ["dkim", "show", "other.example"],
    66: ["import", "/nonexistent-dms-dir"],
    67: ["user", "del", "nobody@example.test"],
    69: ["reload"],  # PID 1 of this test is not mailinit
    78: ["user", "add", "x@example.test", "--password-stdin"],  # with a broken aliases file
}
# What only a failing system call gives; each is named by the command's own message.
NEEDS_A_BROKEN_SYSTEM = {71: "the lock or a file could not be opened",
                         73: "a file could not be written"}


def exit_code_table():
    text = (ROOT / "docs" / "exit-codes.md").read_text()
    commands = text[text.index("## The commands an operator types"):]
    return {int(m) for m in re.findall(r"^\| (\d+) \|", commands, re.M)}


@pytest.mark.parametrize("status", sorted(EXIT_CODE_CASES))
def test_each_exit_status_of_the_table_is_what_its_command_gives(admin, status):
    admin("user", "add", "a@example.test", "--password-stdin", stdin="x\n")
    if status == 78:
        (admin.dir / "aliases").write_text("broken\n")
    result = admin(*EXIT_CODE_CASES[status], stdin="pw\n")
    assert result.returncode == status, result


def test_the_table_lists_exactly_the_statuses_the_commands_give():
    assert exit_code_table() == set(EXIT_CODE_CASES) | set(NEEDS_A_BROKEN_SYSTEM)


def test_a_new_password_hash_is_yescrypt_that_dovecot_verifies(admin):
    assert admin("user", "add", "y@example.test", "--password-stdin", stdin="pw-of-y\n"
                 ).returncode == 0
    line = (admin.dir / "accounts").read_text().splitlines()[-1]
    hashed = line.split(":", 1)[1]
    assert hashed.startswith("{CRYPT}$y$"), line
    # The real Dovecot, through its own crypt(3): what a login will do.
    good = subprocess.run(["doveadm", "pw", "-t", hashed, "-p", "pw-of-y"], capture_output=True,
                          text=True, timeout=30)
    assert good.returncode == 0 and "(verified)" in good.stdout, good
    bad = subprocess.run(["doveadm", "pw", "-t", hashed, "-p", "not-it"], capture_output=True,
                         text=True, timeout=30)
    assert bad.returncode != 0, bad


def test_a_malformed_line_elsewhere_does_not_turn_the_target_check_off(admin):
    # The check used to read the files' lines; a refactor that parsed them took any problem
    # in them for "the target exists" (found by review).
    admin("user", "add", "anna@example.test", "--password-stdin", stdin="x\n")
    with open(admin.dir / "accounts", "a") as accounts:
        accounts.write("broken@example.test:{SHA512-CRYPT}$6$x$y:colour=blue\n")
    result = admin("alias", "add", "sales@example.test", "ghost@example.test")
    assert result.returncode == 67, result
    assert "ghost@example.test is in a mail domain of this server but is no account" \
        in result.stderr
    assert not (admin.dir / "aliases").exists()
