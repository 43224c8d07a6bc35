"""PROXY_PROTOCOL_NETWORKS, from outside: a real HAProxy (Debian's, in its own container) in
front of the image with send-proxy-v2, and the real client address seen behind it, in the
Received header, in Dovecot's log and in a ban; a PROXY header from anywhere else refused.

The test client reaches the containers from podman's gateway (the host's address on the
bridge); that is the "real" address. HAProxy gets an address of its own on the bridge
(podman run --ip), given to the image as PROXY_PROTOCOL_NETWORKS before either starts."""

import imaplib
import random
import re
import smtplib
import socket
import time
import uuid

import pytest

from clients import CLIENT_NAME, message, tls_context, wait_for_log, wait_for_subject
from conftest import ROOT, engine

USERS = {"alice@example.test": "alice-secret-1"}
ALICE, PASSWORD = "alice@example.test", USERS["alice@example.test"]
WAIT = 60
# The proxy ports (src/mail/gate.c): Postfix's three behind the gate, Dovecot's own five.
PROXY_PORTS = (12525, 10465, 10587, 10143, 10993, 10110, 10995, 14190)

HAPROXY_CFG = """global
  log stdout format raw local0
defaults
  mode tcp
  log global
  option tcplog
  timeout connect 5s
  timeout client 120s
  timeout server 120s
"""


@pytest.fixture(scope="session")
def haproxy_image():
    name = "mailinit-test-haproxy"
    engine("build", "--pull=never", "-t", name, str(ROOT / "tests/container/haproxy"),
           timeout=600)
    return name


@pytest.fixture
def haproxy(haproxy_image, tmp_path):
    """haproxy(ip, backend_ip, {front port: back port}): HAProxy at IP, sending each
    connection on with the PROXY protocol v2, and checking each backend every second on
    its usual port, as docs/operations.md advises."""
    names = []

    def _haproxy(ip, backend, ports):
        config = tmp_path / "haproxy"
        config.mkdir()
        text = HAPROXY_CFG + "".join(
            f"frontend f{front}\n  bind :{front}\n  default_backend b{front}\n"
            f"backend b{front}\n  server mail {backend}:{back} send-proxy-v2 "
            f"check port {front} inter 1s\n"
            for front, back in ports.items())
        (config / "haproxy.cfg").write_text(text)
        name = f"mailinit-test-haproxy-{uuid.uuid4().hex[:8]}"
        engine("run", "-d", "--name", name, "--ip", ip, "-v", f"{config}:/config:ro",
               haproxy_image)
        names.append(name)
        return name

    yield _haproxy
    for name in names:
        engine("rm", "-f", "-t", "0", name, check=False)


def address_of(container_name):
    return engine("inspect", "-f", "{{.NetworkSettings.IPAddress}}",
                  container_name).stdout.strip()


def free_bridge_address():
    """An address on podman's bridge (10.88.0.0/16) far above those it hands out in order."""
    return f"10.88.{random.randint(200, 254)}.{random.randint(2, 254)}"


def smtp_through(ip, port):
    """An SMTP session through HAProxy, once it is up and forwarding."""
    deadline = time.monotonic() + 30
    while True:
        try:
            return smtplib.SMTP(ip, port, local_hostname=CLIENT_NAME, timeout=WAIT)
        except (OSError, smtplib.SMTPException):
            assert time.monotonic() < deadline, f"HAProxy at {ip}:{port} never forwarded"
            time.sleep(0.3)


def imap_login_through(ip, password):
    try:
        with imaplib.IMAP4_SSL(ip, 993, ssl_context=tls_context(), timeout=WAIT) as client:
            client.login(ALICE, password)
            return True
    except imaplib.IMAP4.error:
        return False


def received_from(c, subject):
    """The Received header Postfix added to the message with SUBJECT in Alice's inbox."""
    import email
    with imaplib.IMAP4_SSL("127.0.0.1", c.port[993], ssl_context=tls_context()) as client:
        client.login(ALICE, PASSWORD)
        client.select("INBOX")
        _, found = client.search(None, "SUBJECT", f'"{subject}"')
        _, data = client.fetch(found[0].split()[-1], "(RFC822)")
    parsed = email.message_from_bytes(data[0][1])
    return [h for h in parsed.get_all("Received") if "mail.example.test" in h][-1]


def test_the_real_client_address_comes_through_haproxy(start, haproxy):
    proxy_ip = free_bridge_address()
    c = start(env={"PROXY_PROTOCOL_NETWORKS": f"{proxy_ip}/32", "BAN_AFTER": "3"},
              accounts=USERS)
    mail_ip = address_of(c.name)
    haproxy(proxy_ip, mail_ip, {25: 12525, 587: 10587, 993: 10993})

    # Mail from outside on 25, through HAProxy, postscreen and smtpd.
    smtp = smtp_through(proxy_ip, 25)
    client_ip = smtp.sock.getsockname()[0]  # the address HAProxy sees: the real one
    assert client_ip != proxy_ip
    subject, body, data = message("someone@friend.test", ALICE)
    smtp.sendmail("someone@friend.test", [ALICE], data)
    smtp.quit()
    assert wait_for_subject(c.port[993], ALICE, PASSWORD, subject) == body
    received = received_from(c, subject)
    assert f"[{client_ip}]" in received and proxy_ip not in received, received

    # Submission through HAProxy: STARTTLS, a login, the same real address.
    smtp = smtp_through(proxy_ip, 587)
    smtp.starttls(context=tls_context())
    smtp.login(ALICE, PASSWORD)
    subject, body, data = message(ALICE, ALICE)
    smtp.sendmail(ALICE, [ALICE], data)
    smtp.quit()
    assert wait_for_subject(c.port[993], ALICE, PASSWORD, subject) == body
    assert f"[{client_ip}]" in received_from(c, subject)
    assert re.search(rf"postfix/proxy-submission/smtpd\[\d+\]: \w+: client=\S*\["
                     rf"{re.escape(client_ip)}\], sasl_method=PLAIN, sasl_username={ALICE}",
                     c.logs()), c.logs()

    # IMAP through HAProxy: Dovecot logs the real address.
    assert imap_login_through(proxy_ip, PASSWORD)
    wait_for_log(c, rf"imap-login: Login: user=<{ALICE}>, .*rip={re.escape(client_ip)}, "
                    rf"lip={re.escape(mail_ip)}")

    # Wrong passwords through HAProxy ban the real address, never HAProxy's.
    for _ in range(3):
        assert not imap_login_through(proxy_ip, "wrong-password")
    wait_for_log(c, rf"ban: {re.escape(client_ip)} banned until .* after 3 failed logins "
                    rf"\(imap\)")
    listed = c.exec("mailinit", "ban", "list").stdout
    assert client_ip in listed and proxy_ip not in listed, listed
    assert not imap_login_through(proxy_ip, PASSWORD)
    smtp = smtp_through(proxy_ip, 25)
    smtp.ehlo()
    smtp.mail("someone@friend.test")
    code, text = smtp.rcpt(ALICE)
    smtp.close()
    assert code == 554 and f"too many failed logins from {client_ip}".encode() in text, text
    # HAProxy's health checks (each second, on the usual ports) trouble nobody.
    assert not re.search(r"postfix/proxy-\S+\[\d+\]: (warning|error|fatal)", c.logs()), c.logs()
    assert "haproxy: Client not trusted" not in c.logs()
    # HAProxy's own address can never be banned (it would shut out every client).
    refused = c.exec("mailinit", "ban", "add", proxy_ip, check=False)
    assert refused.returncode != 0 and f"{proxy_ip} is never banned" in refused.stderr


def closed_without_a_word(ip, port):
    """True when a connection that starts with a PROXY header gets no byte back."""
    with socket.create_connection((ip, port), timeout=WAIT) as raw:
        raw.sendall(b"PROXY TCP4 203.0.113.9 192.0.2.1 40000 25\r\n")
        try:
            return raw.recv(100) == b""
        except ConnectionResetError:
            return True


def test_a_proxy_header_from_anyone_else_is_refused(start):
    c = start(env={"PROXY_PROTOCOL_NETWORKS": f"{free_bridge_address()}/32",
                   "ENABLE_MANAGESIEVE": "yes"}, accounts=USERS)
    mail_ip = address_of(c.name)
    for port in PROXY_PORTS:
        assert closed_without_a_word(mail_ip, port), port
    logs = c.logs()
    assert "203.0.113.9" not in logs
    # The gate says who it refused, on which port; so does Dovecot.
    gateway = re.search(r"gate: refused a connection from (\S+) to port 12525: not in "
                        r"PROXY_PROTOCOL_NETWORKS", logs).group(1)
    for port in (10465, 10587):
        assert f"gate: refused a connection from {gateway} to port {port}" in logs
    assert f"haproxy: Client not trusted (rip={gateway})" in logs
    # The usual ports are untouched: a client there needs no load balancer.
    with smtplib.SMTP("127.0.0.1", c.port[25], local_hostname=CLIENT_NAME,
                      timeout=WAIT) as smtp:
        assert smtp.noop()[0] == 250
    with imaplib.IMAP4_SSL("127.0.0.1", c.port[993], ssl_context=tls_context()) as client:
        client.login(ALICE, PASSWORD)
    health = c.exec("mailinit", "health").stdout
    assert re.search(r"^ok +proxy .* on 12525 10465 10587 10143 10993 10110 10995 14190 ",
                     health, re.M), health
    # The gate: its own user, in group postdrop only, no capability, no way to regain one.
    status = c.exec("sh", "-c", "for p in /proc/[0-9]*; do grep -q '^Name:.mailinit-gate$' "
                                "$p/status && cat $p/status; done; true").stdout
    fields = dict(line.split(":", 1) for line in status.splitlines() if ":" in line)
    gate_uid = c.exec("id", "-u", "_mailgate").stdout.strip()
    postdrop = c.exec("getent", "group", "postdrop").stdout.split(":")[2]
    assert fields["Uid"].split() == [gate_uid] * 4, status
    assert fields["Gid"].split() == [postdrop] * 4, status
    assert fields["Groups"].strip() == "", status
    assert int(fields["CapEff"], 16) == 0 and int(fields["CapPrm"], 16) == 0, status
    assert fields["NoNewPrivs"].strip() == "1", status


class SmtpWithProxyHeader(smtplib.SMTP):
    """An SMTP client that is its own load balancer: a PROXY v1 header claiming CLAIMED."""

    def __init__(self, ip, port, claimed):
        self.claimed = claimed
        super().__init__(ip, port, local_hostname=CLIENT_NAME, timeout=WAIT)

    def _get_socket(self, host, port, timeout):
        sock = socket.create_connection((host, port), timeout)
        sock.sendall(f"PROXY TCP4 {self.claimed} {host} 40000 {port}\r\n".encode())
        return sock


def test_behind_the_balancer_loopback_is_nobody_and_trusted_networks_are_trusted(start):
    # This time the test client is the load balancer: the host's address on podman's bridge.
    gateway = engine("network", "inspect", "podman", "-f",
                     "{{range .Subnets}}{{.Gateway}}{{end}}").stdout.strip()
    c = start(env={"PROXY_PROTOCOL_NETWORKS": f"{gateway}/32",
                   "TRUSTED_NETWORKS": "192.0.2.0/24"}, accounts=USERS)
    mail_ip = address_of(c.name)
    # A client that claims to be the server itself relays nothing ...
    with SmtpWithProxyHeader(mail_ip, 12525, "127.0.0.1") as smtp:
        smtp.ehlo()
        smtp.mail("someone@friend.test")
        code, text = smtp.rcpt("someone@elsewhere.test")
        assert code == 554 and b"Relay access denied" in text, (code, text)
    # ... while one of TRUSTED_NETWORKS, behind the balancer, is trusted as if it came in
    # directly: past the relay check, the recipient's domain is looked up (and not found:
    # the test DNS has no names).
    with SmtpWithProxyHeader(mail_ip, 12525, "192.0.2.7") as smtp:
        smtp.ehlo()
        smtp.mail("someone@friend.test")
        code, text = smtp.rcpt("someone@elsewhere.test")
        assert code == 450 and b"Domain not found" in text, (code, text)
    logs = c.logs()
    assert re.search(r"postfix/proxy-smtp/smtpd\[\d+\]: NOQUEUE: reject: RCPT from "
                     r"\S*\[127\.0\.0\.1\]", logs), logs
