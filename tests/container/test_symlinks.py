"""Root never follows a link that a daemon's user planted: vmail owns the mail tree and
OpenDKIM owned the DKIM directories in older volumes. Links are planted as those users,
pointing at root's things, then the server reloads and restarts; the targets must be as
they were, the log must say what was left alone, and mail must still flow."""

import os
import shutil
import time

from clients import message, send_25, wait_for_subject
from conftest import engine

USERS = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2"}
TARGETS = "stat -c '%u:%g %a' /tmp/target /tmp/secret; ls -A /tmp/target"


def as_user(c, user, script):
    return engine("exec", "--user", user, c.name, "sh", "-c", script)


def c_ids(c, user):
    """USER's uid and gid inside the image."""
    return c.exec("sh", "-c", f"id -u {user}; id -g {user}").stdout.split()


def wait_log(c, text, count=1, timeout=30):
    deadline = time.monotonic() + timeout
    while c.logs().count(text) < count:
        assert time.monotonic() < deadline, f"{text!r} not in the log:\n{c.logs()}"
        time.sleep(0.1)


def test_links_planted_by_vmail_are_left_alone_at_reload_and_restart(start):
    c = start(accounts=USERS, env={"MAIL_DOMAINS": "third.test"})
    c.exec("sh", "-c", "mkdir -m 755 /tmp/target && touch /tmp/secret && chmod 644 /tmp/secret")
    before = c.exec("sh", "-c", TARGETS).stdout
    assert before == "0:0 755\n0:0 644\n", before
    # A domain directory, a mailbox directory and a cur/ swapped for links.
    as_user(c, "5000:5000", "cd /var/mail/vhosts && ln -s /tmp/target third.test"
                            " && ln -s /tmp/target example.test/dave"
                            " && mv example.test/bob/cur example.test/bob/cur.old"
                            " && ln -s /tmp/secret example.test/bob/cur")
    # Accounts that make provisioning reach for those places: a live reload.
    for address in ("carl@third.test", "dave@example.test"):
        engine("exec", "-i", c.name, "mailinit", "user", "add", address, "--password-stdin",
               input="pw-123456\n")
    wait_log(c, "/var/mail/vhosts/example.test/dave is a symbolic link or not a directory")
    wait_log(c, "/var/mail/vhosts/third.test is a symbolic link or not a directory")
    assert c.exec("sh", "-c", TARGETS).stdout == before
    # And at the next start.
    engine("restart", "-t", "10", c.name, timeout=60)
    c.wait_healthy()
    wait_log(c, "/var/mail/vhosts/third.test is a symbolic link or not a directory", count=2)
    assert c.exec("sh", "-c", TARGETS).stdout == before
    # Everyone else's mail still arrives.
    subject, body, data = message("someone@example.net", "alice@example.test")
    send_25(c.port[25], "someone@example.net", ["alice@example.test"], data)
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject) == body


def test_dkim_directories_are_root_s_and_links_in_them_are_not_followed(start):
    c = start(accounts=USERS, env={"MAIL_DOMAINS": "other.test"})
    assert c.exec("stat", "-c", "%U:%G %a", "/etc/mailinit/dkim",
                  "/etc/mailinit/dkim/example.test").stdout == "root:opendkim 750\n" * 2
    c.exec("sh", "-c", "mkdir -m 755 /tmp/target && touch /tmp/secret && chmod 644 /tmp/secret")
    before = c.exec("sh", "-c", TARGETS).stdout
    # A volume from an older version: OpenDKIM owned the directories, and could use that to
    # put links where root writes keys. Made while the server is down (a running one takes
    # the directories back at once: the change triggers a reload).
    uid, gid = (int(n) for n in c_ids(c, "opendkim"))
    engine("stop", "-t", "10", c.name, timeout=60)
    dkim = c.config_dir / "dkim"
    for path in [dkim, *dkim.rglob("*")]:
        os.lchown(path, uid, gid)
    shutil.rmtree(dkim / "other.test")
    (dkim / "other.test").symlink_to("/tmp/target")
    engine("start", c.name, timeout=60)
    c.wait_healthy()
    wait_log(c, "/etc/mailinit/dkim/other.test is a symbolic link or not a directory")
    assert c.exec("sh", "-c", TARGETS).stdout == before
    assert c.exec("stat", "-c", "%U:%G %a", "/etc/mailinit/dkim",
                  "/etc/mailinit/dkim/example.test").stdout == "root:opendkim 750\n" * 2
    assert c.exec("stat", "-c", "%U:%G %a", "/etc/mailinit/dkim/example.test/mail.private"
                  ).stdout == "opendkim:opendkim 600\n"


def test_a_key_copied_in_as_root_is_given_to_opendkim(start):
    """Migration step 3 copies a key as root, 0600: OpenDKIM could not read it, and every
    message was refused with 4.7.1."""
    c = start(accounts=USERS)
    c.exec("sh", "-c", "cp /etc/mailinit/dkim/example.test/mail.private /tmp/k"
                       " && rm /etc/mailinit/dkim/example.test/mail.private"
                       " && cp /tmp/k /etc/mailinit/dkim/example.test/mail.private"
                       " && chown root:root /etc/mailinit/dkim/example.test/mail.private"
                       " && chmod 600 /etc/mailinit/dkim/example.test/mail.private")
    engine("restart", "-t", "10", c.name, timeout=60)
    c.wait_healthy()
    assert c.exec("stat", "-c", "%U:%G %a", "/etc/mailinit/dkim/example.test/mail.private"
                  ).stdout == "opendkim:opendkim 600\n"
    wait_log(c, "mail.private: given to OpenDKIM")
