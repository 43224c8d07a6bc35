"""Small helpers around Python's real mail clients."""

import email
import imaplib
import poplib
import re
import smtplib
import ssl
import time
import uuid


# The name test clients say HELO with, as a real client's host does. Left to smtplib it is
# the machine's own name, or "[127.0.0.1]" where that is "localhost": a loopback HELO from
# outside, which rspamd rightly scores as spam (HFILTER_HELO_BADIP), and differs by machine.
CLIENT_NAME = "client.example.net"


def tls_context():
    # The test server's certificate is self-signed: encryption is what is checked here.
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    return context


def message(sender, recipient, body=None, subject=None):
    token = uuid.uuid4().hex
    subject = subject or f"test {token}"
    body = body or f"body {token}\r\n"
    # Returned without the final line break, as the readers below give bodies.
    return subject, body.rstrip("\r\n"), (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
                           f"Message-ID: <{token}@example.net>\r\n\r\n{body}")


def imap_connect_and_login(port, user, password, tls="ssl", retries=20):
    """A logged-in IMAP client. A connection a Dovecot reload cuts before or during the login
    (EOF, "BYE Shutting down": every reload restarts the login processes) is tried again, as
    a real client does; a refused login is not (it raises imaplib.IMAP4.error)."""
    for attempt in range(retries):
        try:
            if tls == "ssl":
                client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls_context())
            else:
                client = imaplib.IMAP4("127.0.0.1", port)
                client.starttls(ssl_context=tls_context())
            client.login(user, password)
            return client
        except (imaplib.IMAP4.error, ConnectionError, ssl.SSLEOFError) as error:
            cut = not isinstance(error, imaplib.IMAP4.error) or \
                isinstance(error, imaplib.IMAP4.abort) or "Shutting down" in str(error)
            if not cut or attempt == retries - 1:
                raise
            time.sleep(0.1)


def imap_bodies(port, user, password, tls="starttls", wait=10):
    """Subject -> body of every message in INBOX, once at least one is there."""
    deadline = time.monotonic() + wait
    while True:
        client = imap_connect_and_login(port, user, password, tls)
        client.select("INBOX")
        _, ids = client.search(None, "ALL")
        found = {}
        for n in ids[0].split():
            _, data = client.fetch(n, "(RFC822)")
            parsed = email.message_from_bytes(data[0][1])
            found[parsed["Subject"]] = parsed.get_payload().rstrip("\r\n")
        client.logout()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def wait_for_subject(port, user, password, subject, tls="ssl", wait=15):
    deadline = time.monotonic() + wait
    while time.monotonic() < deadline:
        found = imap_bodies(port, user, password, tls=tls, wait=0)
        if subject in found:
            return found[subject]
        time.sleep(0.2)
    raise AssertionError(f"{subject!r} never reached {user}")


def pop3_bodies(port, user, password, tls="stls"):
    if tls == "ssl":
        client = poplib.POP3_SSL("127.0.0.1", port, context=tls_context())
    else:
        client = poplib.POP3("127.0.0.1", port)
        client.stls(context=tls_context())
    client.user(user)
    client.pass_(password)
    found = {}
    for i in range(1, len(client.list()[1]) + 1):
        parsed = email.message_from_bytes(b"\r\n".join(client.retr(i)[1]))
        found[parsed["Subject"]] = parsed.get_payload().rstrip("\r\n")
    client.quit()
    return found


def submit(port, user, password, sender, recipients, data, implicit_tls=False):
    if implicit_tls:
        client = smtplib.SMTP_SSL("127.0.0.1", port, local_hostname=CLIENT_NAME,
                                  context=tls_context(), timeout=10)
    else:
        client = smtplib.SMTP("127.0.0.1", port, local_hostname=CLIENT_NAME, timeout=10)
        client.starttls(context=tls_context())
    client.login(user, password)
    client.sendmail(sender, recipients, data)
    client.quit()


def send_25(port, sender, recipients, data):
    client = smtplib.SMTP("127.0.0.1", port, local_hostname=CLIENT_NAME, timeout=10)
    client.sendmail(sender, recipients, data)
    client.quit()


def managesieve_put(port, user, password, name, script):
    """Upload SCRIPT as NAME over ManageSieve (RFC 5804: STARTTLS, AUTHENTICATE PLAIN,
    PUTSCRIPT, SETACTIVE) and make it the active one."""
    import base64
    import socket

    def response(stream):
        lines = []
        while True:
            line = stream.readline().decode()
            assert line, f"ManageSieve closed the connection after {lines}"
            lines.append(line.rstrip("\r\n"))
            if line.startswith(("OK", "NO", "BYE")):
                assert line.startswith("OK"), lines
                return lines

    raw = socket.create_connection(("127.0.0.1", port), timeout=10)
    stream = raw.makefile("rwb")
    response(stream)
    stream.write(b"STARTTLS\r\n")
    stream.flush()
    response(stream)
    tls = tls_context().wrap_socket(raw, server_hostname="mail.example.test")
    stream = tls.makefile("rwb")
    response(stream)  # the capabilities again, under TLS
    token = base64.b64encode(f"\0{user}\0{password}".encode()).decode()
    body = script.encode()
    for command in (f'AUTHENTICATE "PLAIN" "{token}"\r\n'.encode(),
                    f'PUTSCRIPT "{name}" {{{len(body)}+}}\r\n'.encode() + body + b"\r\n",
                    f'SETACTIVE "{name}"\r\n'.encode()):
        stream.write(command)
        stream.flush()
        response(stream)
    stream.write(b"LOGOUT\r\n")
    stream.flush()
    tls.close()


def wait_for_log(c, pattern, timeout=30):
    """The first match of PATTERN in container C's log, once it is there."""
    deadline = time.monotonic() + timeout
    while True:
        found = re.search(pattern, c.logs())
        if found:
            return found
        assert time.monotonic() < deadline, (pattern, c.logs())
        time.sleep(0.2)
