"""The log says what happened, once: an inbound message costs OpenDKIM no line (it used to
write four, among them "no MTA name match"), a signed one exactly one; a delivery through
Sieve costs Dovecot no warning (a setting naming an extension Pigeonhole lacks wrote one per
message)."""

from clients import message, send_25, submit, wait_for_subject

USERS = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2"}


def opendkim_lines(c):
    return [line for line in c.logs().splitlines()
            if "opendkim[" in line and "starting (args" not in line]


def test_opendkim_logs_one_line_per_signed_message_and_none_per_inbound_one(start):
    c = start(accounts=USERS)
    subject, _, data = message("someone@example.net", "bob@example.test")
    send_25(c.port[25], "someone@example.net", ["bob@example.test"], data)
    wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"], subject)
    assert opendkim_lines(c) == []
    subject, _, data = message("alice@example.test", "bob@example.test")
    submit(c.port[587], "alice@example.test", USERS["alice@example.test"], "alice@example.test",
           ["bob@example.test"], data)
    wait_for_subject(c.port[993], "bob@example.test", USERS["bob@example.test"], subject)
    lines = opendkim_lines(c)
    assert len(lines) == 1 and "DKIM-Signature field added (s=mail, d=example.test)" in lines[0], \
        lines
    # Both deliveries ran the Sieve plugin: Dovecot had nothing to warn about.
    warnings = [line for line in c.logs().splitlines()
                if "dovecot:" in line and ("Warning:" in line or "Error:" in line)]
    assert warnings == [], warnings
