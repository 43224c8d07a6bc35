"""Port 25 from an outside client that is neither logged in nor trusted: a sender address in
one of our domains is refused, whether or not it exists; other senders are welcome, and the
same address sent with a login on submission goes through."""

import smtplib

import pytest

from clients import message, send_25, submit, wait_for_subject

USERS = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2"}


@pytest.mark.parametrize("sender", ["alice@example.test", "nobody@example.test",
                                    "alice@sub.example.test", "carl@other.test"])
def test_our_domains_as_sender_on_port_25_are_refused(start, sender):
    c = start(accounts=USERS, env={"MAIL_DOMAINS": "other.test"})
    _, _, data = message(sender, "bob@example.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_25(c.port[25], sender, ["bob@example.test"], data)
    code, text = refused.value.recipients["bob@example.test"]
    assert code == 554 and b"must log in" in text, (code, text)
    # The same sender with a login, on submission: delivered.
    if sender == "alice@example.test":
        subject, body, data = message(sender, "bob@example.test")
        submit(c.port[587], sender, USERS[sender], sender, ["bob@example.test"], data)
        assert wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"],
                                subject) == body


def test_outside_senders_are_still_welcome_on_port_25(start):
    c = start(accounts=USERS)
    subject, body, data = message("someone@example.net", "bob@example.test")
    send_25(c.port[25], "someone@example.net", ["bob@example.test"], data)
    assert wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"],
                            subject) == body
