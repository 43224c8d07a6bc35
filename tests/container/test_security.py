"""Secure by default, checked from outside with real clients."""

import imaplib
import poplib
import smtplib
import subprocess

import pytest

from clients import message, tls_context

USERS = {"alice@example.test": "alice-secret-1"}


@pytest.fixture(scope="module")
def server(image, tmp_path_factory, request):
    # One server for the read-only checks of this module.
    from conftest import Container, engine, free_port, password_hash, PORTS
    import uuid
    name = f"mailinit-sec-{uuid.uuid4().hex[:8]}"
    config = tmp_path_factory.mktemp("sec")
    (config / "accounts").write_text(f"alice@example.test:{password_hash(USERS['alice@example.test'])}\n")
    ports = {p: free_port() for p in PORTS}
    argv = ["run", "-d", "--name", name, "--hostname", "mail.example.test", "-v",
            f"{config}:/etc/mailinit", "-e", "MAIL_DOMAIN=example.test",
            "-e", "ENABLE_MANAGESIEVE=yes"]
    for inside, outside in ports.items():
        argv += ["-p", f"127.0.0.1:{outside}:{inside}"]
    engine(*argv, image)
    c = Container(name, ports, config)
    request.addfinalizer(lambda: engine("rm", "-f", "-t", "0", name, check=False))
    c.wait_healthy()
    return c


def test_no_open_relay_on_25(server):
    _, _, data = message("spammer@example.net", "victim@elsewhere.example")
    client = smtplib.SMTP("127.0.0.1", server.port[25], timeout=10)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("spammer@example.net", ["victim@elsewhere.example"], data)
    code, text = refused.value.recipients["victim@elsewhere.example"]
    assert code == 554 and b"Relay access denied" in text
    # Even after STARTTLS, without a login.
    client = smtplib.SMTP("127.0.0.1", server.port[25], timeout=10)
    client.starttls(context=tls_context())
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail("spammer@example.net", ["victim@elsewhere.example"], data)


def test_auth_is_never_offered_before_tls_and_never_on_25(server):
    for port in (server.port[25], server.port[587]):
        client = smtplib.SMTP("127.0.0.1", port, timeout=10)
        client.ehlo("client.example.net")
        assert "auth" not in client.esmtp_features
        assert "starttls" in client.esmtp_features
        client.starttls(context=tls_context())
        client.ehlo("client.example.net")
        assert ("auth" in client.esmtp_features) == (port == server.port[587])
    # Submission refuses mail from anyone not logged in.
    client = smtplib.SMTP("127.0.0.1", server.port[587], timeout=10)
    client.starttls(context=tls_context())
    with pytest.raises(smtplib.SMTPException):
        client.sendmail("alice@example.test", ["alice@example.test"], "Subject: x\r\n\r\nx")


def test_login_over_plaintext_is_refused_and_wrong_passwords_fail(server):
    imap = imaplib.IMAP4("127.0.0.1", server.port[143])
    assert "LOGINDISABLED" in imap.capabilities
    with pytest.raises(imaplib.IMAP4.error):
        imap.login("alice@example.test", USERS["alice@example.test"])
    pop = poplib.POP3("127.0.0.1", server.port[110])
    with pytest.raises(poplib.error_proto):
        pop.user("alice@example.test")
        pop.pass_(USERS["alice@example.test"])
    imaps = imaplib.IMAP4_SSL("127.0.0.1", server.port[993], ssl_context=tls_context())
    with pytest.raises(imaplib.IMAP4.error):
        imaps.login("alice@example.test", "wrong-password")
    smtp = smtplib.SMTP_SSL("127.0.0.1", server.port[465], context=tls_context(), timeout=10)
    with pytest.raises(smtplib.SMTPAuthenticationError):
        smtp.login("alice@example.test", "wrong-password")
    # ... and the right one works, over TLS.
    imaps = imaplib.IMAP4_SSL("127.0.0.1", server.port[993], ssl_context=tls_context())
    assert imaps.login("alice@example.test", USERS["alice@example.test"])[0] == "OK"


def handshake(port, version, starttls=None):
    argv = ["openssl", "s_client", "-connect", f"127.0.0.1:{port}", f"-{version}",
            "-servername", "mail.example.test"]
    if version in ("tls1", "tls1_1"):
        argv += ["-cipher", "DEFAULT@SECLEVEL=0"]
    if starttls:
        argv += ["-starttls", starttls]
    out = subprocess.run(argv, input="", capture_output=True, text=True, timeout=20)
    return out.returncode == 0 and "Cipher is (NONE)" not in out.stdout and \
        "New, TLSv1" in out.stdout


@pytest.mark.parametrize("name,starttls", [(25, "smtp"), (587, "smtp"), (465, None),
                                           (143, "imap"), (993, None), (110, "pop3"),
                                           (995, None)])
def test_only_tls_12_and_13_on_every_tls_port(server, name, starttls):
    port = server.port[name]
    assert handshake(port, "tls1_3", starttls), "TLS 1.3 refused"
    assert handshake(port, "tls1_2", starttls), "TLS 1.2 refused"
    assert not handshake(port, "tls1_1", starttls), "TLS 1.1 accepted"
    assert not handshake(port, "tls1", starttls), "TLS 1.0 accepted"
