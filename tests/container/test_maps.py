"""Addresses as Postfix looks them up in the running image: an alias on an account's own
address must not stop anyone's mail, and postmaster@ and abuse@ of every domain arrive."""

import time

from clients import imap_bodies, message, send_25, wait_for_subject

USERS = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2"}


def test_an_alias_on_an_account_keeps_its_mail_and_breaks_no_one_elses(start):
    c = start(accounts=USERS)
    c.exec("mailinit", "alias", "add", "alice@example.test", "bob@example.test")
    # Until the reload has happened, mail to alice reaches only alice: send until bob gets
    # a copy, which proves the new map is the one Postfix reads.
    deadline = time.monotonic() + 30
    sent = {}
    while True:
        subject, body, data = message("someone@example.net", "alice@example.test")
        send_25(c.port[25], "someone@example.net", ["alice@example.test"], data)
        sent[subject] = body
        copies = set(sent) & set(imap_bodies(c.port[993], "bob@example.test",
                                             USERS["bob@example.test"], tls="ssl", wait=2))
        if copies:
            break
        assert time.monotonic() < deadline, c.logs()
    for subject in copies:  # and alice has kept her own
        assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                                subject) == sent[subject]
    subject, body, data = message("someone@example.net", "bob@example.test")
    send_25(c.port[25], "someone@example.net", ["bob@example.test"], data)
    assert wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"],
                            subject) == body
    assert "duplicate entry" not in c.logs()


def test_postmaster_and_abuse_of_every_domain_arrive(start):
    c = start(accounts=USERS, env={"MAIL_DOMAINS": "other.test"})
    for address in ("postmaster@example.test", "postmaster@other.test", "abuse@other.test"):
        subject, body, data = message("someone@example.net", address)
        send_25(c.port[25], "someone@example.net", [address], data)
        # POSTMASTER_ADDRESS is its default, which has no mailbox: the first account has it.
        assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                                subject) == body
