"""Brute-force bans (ENABLE_BANS, on by default), from outside: a client that hammers wrong
passwords is refused on every port, even with the right password, while the same user logs
in from another address; `mailinit ban del` lets it back; a restart keeps the ban.

The test client reaches the container from podman's gateway address; "another address" is
the container's own address, from inside it (openssl s_client), which is neither loopback
nor trusted. Dovecot delays each answer to an address that keeps failing (its auth penalty,
up to 15 s): the clients here wait up to 60 s for an answer."""

import base64
import imaplib
import poplib
import re
import smtplib
import socket

from clients import tls_context, wait_for_log

USERS = {"alice@example.test": "alice-secret-1"}
ALICE, PASSWORD = "alice@example.test", USERS["alice@example.test"]
WAIT = 60


def imap_login(c, port, password):
    try:
        with imaplib.IMAP4_SSL("127.0.0.1", c.port[port], ssl_context=tls_context(),
                               timeout=WAIT) as client:
            client.login(ALICE, password)
            return True
    except imaplib.IMAP4.error:
        return False


def pop3_login(c, port, password):
    client = poplib.POP3_SSL("127.0.0.1", c.port[port], context=tls_context(), timeout=WAIT)
    try:
        client.user(ALICE)
        client.pass_(password)
        return True
    except poplib.error_proto:
        return False
    finally:
        client.close()


def smtp_login(c, port, password):
    if port == 465:
        client = smtplib.SMTP_SSL("127.0.0.1", c.port[port], context=tls_context(), timeout=WAIT)
    else:
        client = smtplib.SMTP("127.0.0.1", c.port[port], timeout=WAIT)
        client.starttls(context=tls_context())
    try:
        client.login(ALICE, password)
        return True
    except smtplib.SMTPAuthenticationError:
        return False
    finally:
        client.close()


def sieve_login(c, port, password):
    raw = socket.create_connection(("127.0.0.1", c.port[port]), timeout=WAIT)

    def answer(stream):
        while True:
            line = stream.readline().decode()
            assert line, "ManageSieve closed the connection"
            if line.startswith(("OK", "NO", "BYE")):
                return line

    stream = raw.makefile("rwb")
    answer(stream)
    stream.write(b"STARTTLS\r\n")
    stream.flush()
    answer(stream)
    with tls_context().wrap_socket(raw, server_hostname="mail.example.test") as tls:
        stream = tls.makefile("rwb")
        answer(stream)
        token = base64.b64encode(f"\0{ALICE}\0{password}".encode()).decode()
        stream.write(f'AUTHENTICATE "PLAIN" "{token}"\r\n'.encode())
        stream.flush()
        return answer(stream).startswith("OK")


LOGINS = {993: imap_login, 995: pop3_login, 587: smtp_login, 465: smtp_login,
          4190: sieve_login}


def login_from_inside(c, password=PASSWORD):
    """An IMAP login from the container's own (not loopback) address: another client."""
    out = c.exec("sh", "-c",
                 f"printf 'a LOGIN {ALICE} {password}\\r\\nb LOGOUT\\r\\n' | "
                 "openssl s_client -connect $(hostname -i | cut -d' ' -f1):993 -quiet "
                 "2>/dev/null", timeout=WAIT).stdout
    return "a OK" in out


def rcpt_on_25(c):
    with smtplib.SMTP("127.0.0.1", c.port[25], local_hostname="mx.friend.test",
                      timeout=WAIT) as smtp:
        smtp.ehlo()
        smtp.mail("someone@friend.test")
        return smtp.rcpt(ALICE)


def test_a_hammering_client_is_banned_on_every_port_while_the_user_logs_in_elsewhere(start):
    c = start(env={"BAN_AFTER": "3", "ENABLE_MANAGESIEVE": "yes"}, accounts=USERS)
    assert imap_login(c, 993, PASSWORD)
    for _ in range(3):
        assert not imap_login(c, 993, "wrong-password")
    banned = wait_for_log(c, r"ban: (\S+) banned until .* after 3 failed logins \(imap\)")
    address = banned.group(1)
    assert address in c.exec("mailinit", "ban", "list").stdout

    # The right password, from that address: refused on every port that logs in.
    for port, login in LOGINS.items():
        assert not login(c, port, PASSWORD), port
    # ... and its mail on 25 gets a clear refusal, not a hang.
    code, text = rcpt_on_25(c)
    assert code == 554 and b"too many failed logins from " + address.encode() in text, text
    # The same user from another address is not touched.
    assert login_from_inside(c)

    # A restart keeps the ban (the list is on the configuration volume).
    c.restart()
    assert not imap_login(c, 993, PASSWORD)
    assert address in c.exec("mailinit", "ban", "list").stdout

    # The operator lifts it: one log line, and the client is back on every port.
    assert "no longer banned" in c.exec("mailinit", "ban", "del", address).stdout
    wait_for_log(c, rf"ban: {re.escape(address)} lifted \(mailinit ban del\)")
    for port, login in LOGINS.items():
        assert login(c, port, PASSWORD), port
    assert rcpt_on_25(c)[0] == 250


def test_an_address_in_ban_ignore_is_never_banned_nor_can_loopback_be(start):
    # Where the test client comes from, as the server sees it.
    first = start(env={"BAN_AFTER": "5"}, accounts=USERS)
    assert not imap_login(first, 993, "wrong-password")
    address = wait_for_log(first, r"auth failed.*rip=([0-9a-f.:]+),").group(1)
    c = start(env={"BAN_AFTER": "2", "BAN_IGNORE": f"{address}/32"}, accounts=USERS)
    for _ in range(3):
        assert not imap_login(c, 993, "wrong-password")
    # Then failures from an address that is not ignored: its ban, when logged, says that
    # every line before it was counted (PID 1 reads them in order).
    inside = c.exec("sh", "-c", "hostname -i | cut -d' ' -f1").stdout.strip()
    for _ in range(2):
        assert not login_from_inside(c, "wrong-password")
    wait_for_log(c, rf"ban: {re.escape(inside)} banned until")
    assert f"ban: {address} " not in c.logs()
    assert imap_login(c, 993, PASSWORD)
    refused = c.exec("mailinit", "ban", "add", "127.0.0.1", check=False)
    assert refused.returncode != 0
    assert "127.0.0.1 is never banned" in refused.stderr
    refused = c.exec("mailinit", "ban", "add", address, check=False)
    assert f"{address} is never banned" in refused.stderr
    assert address not in c.exec("mailinit", "ban", "list").stdout
    # Anything else can be banned by hand, for as long as asked, one log line each.
    assert "banned" in c.exec("mailinit", "ban", "add", "2001:db8::7", "600").stdout
    wait_for_log(c, r"ban: 2001:db8::/64 banned until .* \(mailinit ban add\)")
    listed = c.exec("mailinit", "ban", "list").stdout
    assert re.search(r"2001:db8::/64 +until .* \((59\d|600) s left, ban 1\)", listed), listed
