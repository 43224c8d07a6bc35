"""Mail flows: in on 25, out through submission, read with IMAP and POP3."""

import re
import smtplib
import time
from pathlib import Path

import dkim

from clients import (imap_bodies, imap_connect_and_login, message, pop3_bodies, send_25, submit,
                     wait_for_subject)

USERS = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2",
         "carol@example.test": "carol-secret-3"}


def test_mail_on_25_is_readable_by_imap_and_pop3_with_the_exact_body(start):
    c = start(accounts=USERS)
    subject, body, data = message("someone@example.net", "alice@example.test",
                                  body="Hello Alice,\r\nline two.\r\n")
    send_25(c.port[25], "someone@example.net", ["alice@example.test"], data)
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject, tls="ssl") == body
    assert imap_bodies(c.port[143], "alice@example.test", USERS["alice@example.test"],
                       tls="starttls")[subject] == body
    assert pop3_bodies(c.port[110], "alice@example.test", USERS["alice@example.test"],
                       tls="stls")[subject] == body
    assert pop3_bodies(c.port[995], "alice@example.test", USERS["alice@example.test"],
                       tls="ssl")[subject] == body
    # On disk: the Maildir of alice, owned by vmail.
    owners = c.exec("find", "/var/mail/vhosts/example.test/alice/cur",
                    "/var/mail/vhosts/example.test/alice/new", "-type", "f", "-printf", "%U:%G\n")
    assert set(owners.stdout.split()) == {"5000:5000"}


def test_a_mailbox_restored_as_root_is_given_back_to_vmail_beside_the_services(start):
    """A restore that left root as the owner (`cp -r` as root): after the next start the owner
    walk, which runs beside the services, gives every entry back and the mail can be read."""
    c = start(accounts=USERS)
    subject, body, data = message("someone@example.net", "alice@example.test")
    send_25(c.port[25], "someone@example.net", ["alice@example.test"], data)
    wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"], subject)
    c.exec("chown", "-R", "0:0", "/var/mail/vhosts/example.test/alice",
           "/var/mail/home/example.test/alice")
    c.restart()
    deadline = time.monotonic() + 30
    while "/var/mail/vhosts: gave" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.2)
    owners = c.exec("find", "/var/mail/vhosts/example.test/alice",
                    "/var/mail/home/example.test/alice", "-printf", "%U:%G\n")
    assert set(owners.stdout.split()) == {"5000:5000"}
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject) == body

def test_mail_for_an_unknown_user_is_refused_at_rcpt_and_nothing_is_bounced(start):
    """No backscatter: a recipient with no mailbox in our domain is refused in the SMTP
    session (550), so no bounce ever goes to a forged sender; the queue stays empty."""
    c = start(accounts=USERS)
    subject, _, data = message("someone@example.net", "nobody@example.test")
    client = smtplib.SMTP("127.0.0.1", c.port[25], local_hostname="mx.example.net", timeout=30)
    try:
        client.ehlo()
        client.mail("someone@example.net")
        code, text = client.rcpt("nobody@example.test")
        assert code == 550 and b"nobody@example.test" in text, (code, text)
        # A known recipient in the same session is still accepted.
        assert client.rcpt("alice@example.test")[0] == 250
        client.data(data)
    finally:
        client.quit()
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject)
    queue = c.exec("postqueue", "-j").stdout
    assert queue.strip() == "", queue  # nothing deferred, no bounce to the sender
    assert "nobody@example.test" not in c.exec("sh", "-c", "ls -R /var/mail/vhosts").stdout


def test_plus_addressing_reaches_the_user(start):
    c = start(accounts=USERS)
    subject, body, data = message("someone@example.net", "bob+lists@example.test")
    send_25(c.port[25], "someone@example.net", ["bob+lists@example.test"], data)
    assert wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"],
                            subject) == body


def test_plus_folders_files_plus_addressed_mail_into_a_folder_made_on_first_use(start):
    c = start(accounts=USERS, env={"PLUS_FOLDERS": "yes"})
    subject, body, data = message("someone@example.net", "bob+work@example.test")
    send_25(c.port[25], "someone@example.net", ["bob+work@example.test"], data)
    client = imap_connect_and_login(c.port[993], "bob@example.test", USERS["bob@example.test"])
    deadline = time.monotonic() + 15
    while client.select('"work"', readonly=True)[0] != "OK":
        assert time.monotonic() < deadline, client.list()
        time.sleep(0.2)
    _, ids = client.search(None, f'SUBJECT "{subject}"')
    assert len(ids[0].split()) == 1
    _, subscribed = client.lsub()
    assert any(b'"work"' in line or line.endswith(b" work") for line in subscribed), subscribed
    client.select("INBOX", readonly=True)
    assert client.search(None, f'SUBJECT "{subject}"')[1] == [b""]
    client.logout()
    # Without a detail, the inbox as always.
    subject, body, data = message("someone@example.net", "bob@example.test")
    send_25(c.port[25], "someone@example.net", ["bob@example.test"], data)
    assert wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"],
                            subject) == body


def test_submission_587_and_465_deliver_locally_and_relay_out_dkim_signed(start):
    c = start(accounts=USERS, env={"RELAYHOST": "[127.0.0.1]:2526"})
    # The outside world: Postfix's smtp-sink in the container's own loopback.
    c.exec("sh", "-c", "mkdir -p /tmp/sink && chown postfix /tmp/sink && "
                       "(smtp-sink -u postfix -d /tmp/sink/%M. 127.0.0.1:2526 10 "
                       ">/dev/null 2>&1 &)")
    alice = ("alice@example.test", USERS["alice@example.test"])
    subject, body, data = message(alice[0], "bob@example.test")
    submit(c.port[587], *alice, alice[0], ["bob@example.test"], data)
    assert wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"],
                            subject) == body

    out_subject, _, out_data = message(alice[0], "friend@elsewhere.example")
    submit(c.port[465], *alice, alice[0], ["friend@elsewhere.example"], out_data,
           implicit_tls=True)
    deadline = time.monotonic() + 15
    dumped = ""
    while out_subject not in dumped and time.monotonic() < deadline:
        dumped = c.exec("sh", "-c", "cat /tmp/sink/* 2>/dev/null", check=False).stdout
        time.sleep(0.2)
    assert out_subject in dumped, c.logs()
    # smtp-sink writes the envelope as X- headers, then the message as received.
    raw = dumped[dumped.index("Received:"):] if "Received:" in dumped else dumped
    raw = raw.replace("\n", "\r\n").encode()
    assert b"DKIM-Signature:" in raw

    # The key to verify with is the one `mailinit dns` tells the operator to publish.
    records = c.exec("mailinit", "dns", "example.test").stdout
    txt = re.search(r"mail\._domainkey\.example\.test\. IN TXT \( (.*) \)", records).group(1)
    public = "".join(re.findall(r'"([^"]*)"', txt)).encode()

    def dnsfunc(name, timeout=5):
        assert name == b"mail._domainkey.example.test."
        return public

    assert dkim.verify(raw, dnsfunc=dnsfunc), raw[:600]


def test_aliases_catch_all_and_lists(start):
    aliases = ("team@example.test alice@example.test, bob@example.test\n"
               "info@example.test carol@example.test\n"
               "@example.test carol@example.test\n")
    c = start(accounts=USERS, aliases=aliases)
    sends = {"team@example.test": ["alice@example.test", "bob@example.test"],
             "info@example.test": ["carol@example.test"],
             "nobody-here@example.test": ["carol@example.test"],
             "alice@example.test": ["alice@example.test"]}  # the catch-all takes no real mailbox
    subjects = {}
    for rcpt in sends:
        subject, _, data = message("x@example.net", rcpt)
        send_25(c.port[25], "x@example.net", [rcpt], data)
        subjects[rcpt] = subject
    for rcpt, owners in sends.items():
        for owner in owners:
            wait_for_subject(c.port[993], owner, USERS[owner], subjects[rcpt])
    # Every delivery is over once the queue is empty (a message's file goes only
    # when all its recipients have had it): a wrong copy for carol would be there.
    deadline = time.monotonic() + 20
    while "Mail queue is empty" not in c.exec("postqueue", "-p").stdout:
        assert time.monotonic() < deadline, c.exec("postqueue", "-p").stdout + c.logs()
        time.sleep(0.2)
    carol = imap_bodies(c.port[993], "carol@example.test", USERS["carol@example.test"], tls="ssl")
    assert subjects["alice@example.test"] not in carol
    assert subjects["team@example.test"] not in carol
