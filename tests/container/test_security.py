"""Secure by default, checked from outside with real clients."""

import imaplib
import poplib
import smtplib
import subprocess
import time

import pytest

from clients import CLIENT_NAME, message, tls_context

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
    request.addfinalizer(lambda: engine("rm", "-f", "-v", "-t", "0", name, check=False))
    c.wait_healthy()
    return c


def test_no_open_relay_on_25(server):
    _, _, data = message("spammer@example.net", "victim@elsewhere.example")
    client = smtplib.SMTP("127.0.0.1", server.port[25], local_hostname=CLIENT_NAME,
                          timeout=10)
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        client.sendmail("spammer@example.net", ["victim@elsewhere.example"], data)
    code, text = refused.value.recipients["victim@elsewhere.example"]
    assert code == 554 and b"Relay access denied" in text
    # Even after STARTTLS, without a login.
    client = smtplib.SMTP("127.0.0.1", server.port[25], local_hostname=CLIENT_NAME,
                          timeout=10)
    client.starttls(context=tls_context())
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        client.sendmail("spammer@example.net", ["victim@elsewhere.example"], data)


def test_auth_is_never_offered_before_tls_and_never_on_25(server):
    for port in (server.port[25], server.port[587]):
        client = smtplib.SMTP("127.0.0.1", port, local_hostname=CLIENT_NAME,
                              timeout=10)
        client.ehlo("client.example.net")
        assert "auth" not in client.esmtp_features
        assert "starttls" in client.esmtp_features
        client.starttls(context=tls_context())
        client.ehlo("client.example.net")
        assert ("auth" in client.esmtp_features) == (port == server.port[587])
    # Submission refuses mail from anyone not logged in.
    client = smtplib.SMTP("127.0.0.1", server.port[587], local_hostname=CLIENT_NAME,
                          timeout=10)
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
    smtp = smtplib.SMTP_SSL("127.0.0.1", server.port[465], local_hostname=CLIENT_NAME,
                           context=tls_context(), timeout=10)
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


# The capabilities the provisioning issue promised: PID 1 keeps exactly the eight that Postfix
# and Dovecot need in its bounding set (CHOWN, DAC_OVERRIDE, FOWNER, KILL, SETGID, SETUID,
# NET_BIND_SERVICE, SYS_CHROOT); no process in the container has any other.
NEEDED = (1 << 0 | 1 << 1 | 1 << 3 | 1 << 5 | 1 << 6 | 1 << 7 | 1 << 10 | 1 << 18)


def processes(c):
    """comm, uid, CapEff and CapBnd of every process in the container."""
    script = ("for p in /proc/[0-9]*; do printf '%s %s %s %s\\n' \"$(cat $p/comm)\" "
              "\"$(awk '/^Uid/ {print $2}' $p/status)\" "
              "\"$(awk '/^CapEff/ {print $2}' $p/status)\" "
              "\"$(awk '/^CapBnd/ {print $2}' $p/status)\"; done 2>/dev/null")
    rows = []
    for line in c.exec("sh", "-c", script).stdout.splitlines():
        parts = line.split()
        if len(parts) == 4:
            rows.append((parts[0], int(parts[1]), int(parts[2], 16), int(parts[3], 16)))
    return rows


def test_capabilities_of_pid_1_and_every_daemon(server):
    rows = processes(server)
    pid1 = [r for r in rows if r[0] == "mailinit"]
    assert len(pid1) == 1 and pid1[0][2] == NEEDED and pid1[0][3] == NEEDED, pid1
    daemons = {comm for comm, *_ in rows}
    assert {"mailinit", "master", "dovecot", "opendkim", "qmgr", "pickup"} <= daemons, daemons
    for comm, uid, effective, bounding in rows:
        if comm in ("sh", "awk", "cat"):
            continue  # this probe itself: podman exec gives it the runtime's set
        assert bounding & ~NEEDED == 0, (comm, hex(bounding))
        assert effective & ~NEEDED == 0, (comm, hex(effective))
        if uid != 0:  # smtpd, qmgr, imap-login, opendkim...: no capability at all
            assert effective == 0, (comm, uid, hex(effective))
    unprivileged = {comm for comm, uid, *_ in rows if uid != 0}
    assert {"qmgr", "pickup", "opendkim", "anvil"} <= unprivileged, unprivileged
    # The bans' guard stays root (for root's own files) with no capability at all.
    guard = [r for r in rows if r[0] == "mailinit-guard"]
    assert len(guard) == 1 and guard[0][2] == 0, guard


def test_keys_and_password_maps_have_the_right_owner_and_mode(server):
    def stat(path):
        return server.exec("stat", "-c", "%U:%G %a", path).stdout.strip()

    assert stat("/etc/mailinit/dkim/example.test/mail.private") == "opendkim:opendkim 600"
    assert stat("/etc/mailinit/tls/key.pem").endswith(" 600")
    assert stat("/run/mailinit/etc/dovecot/users") == "root:dovecot 640"
    assert stat("/run/mailinit/etc/postfix/sasl_passwd") == "root:root 600"


def test_no_password_or_key_in_the_log(server):
    logs = server.logs()
    accounts = server.exec("cat", "/etc/mailinit/accounts").stdout
    for line in accounts.splitlines():
        if ":" in line and not line.startswith("#"):
            assert line.split(":")[1] not in logs  # the hash
    assert USERS["alice@example.test"] not in logs
    assert "PRIVATE KEY" not in logs
    key = server.exec("cat", "/etc/mailinit/tls/key.pem").stdout.splitlines()[1]
    assert key not in logs


def test_read_only_root_with_only_the_needed_capabilities(start, tmp_path):
    """--read-only (tmpfs /run and /tmp) and --cap-drop ALL plus the eight: mail flows."""
    from clients import message, send_25, wait_for_subject
    mail, queue = tmp_path / "ro-mail", tmp_path / "ro-queue"
    mail.mkdir()
    queue.mkdir()
    c = start(accounts=USERS, volumes=[f"{mail}:/var/mail", f"{queue}:/var/spool/postfix"],
              options=["--read-only", "--tmpfs", "/run", "--tmpfs", "/tmp", "--cap-drop", "ALL",
                       "--cap-add", "CHOWN,DAC_OVERRIDE,FOWNER,SETUID,SETGID,NET_BIND_SERVICE,"
                       "KILL,SYS_CHROOT"])
    assert c.exec("touch", "/etc/x", check=False).returncode != 0  # it is read-only
    subject, body, data = message("x@example.net", "alice@example.test")
    send_25(c.port[25], "x@example.net", ["alice@example.test"], data)
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject) == body
    # A reload works there too: it renders under /run and stages in /tmp.
    out = c.exec("mailinit", "alias", "add", "ro@example.test", "alice@example.test")
    assert out.returncode == 0
    deadline = time.monotonic() + 10
    while "ro@example.test" not in c.exec("cat", "/run/mailinit/etc/postfix/virtual").stdout:
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.1)


# testssl 3.0 cannot speak ManageSieve's STARTTLS: 4190's TLS versions are checked above.
TESTSSL_PORTS = [(25, "smtp"), (587, "smtp"), (465, None), (143, "imap"), (993, None),
                 (110, "pop3"), (995, None)]
WEAK = {"SSLv2", "SSLv3", "TLS1", "TLS1_1", "cipherlist_NULL", "cipherlist_aNULL",
        "cipherlist_EXPORT", "cipherlist_LOW", "cipherlist_3DES_IDEA", "cipherlist_AVERAGE"}


@pytest.mark.parametrize("port, starttls", TESTSSL_PORTS)
def test_testssl_finds_no_weak_protocol_or_cipher(server, tmp_path, port, starttls):
    """Debian's testssl, protocols (-p) and cipher categories (-s), on every TLS port."""
    import json
    out = tmp_path / "testssl.json"
    argv = ["testssl", "--quiet", "--color", "0", "--warnings", "off", "-p", "-s",
            "--jsonfile", str(out)]
    if starttls:
        argv += ["--starttls", starttls]
    subprocess.run(argv + [f"127.0.0.1:{server.port[port]}"], capture_output=True, timeout=300)
    findings = {f["id"]: f for f in json.loads(out.read_text())}
    assert WEAK <= findings.keys(), sorted(findings)  # it looked at each of them
    for weak in WEAK:
        assert findings[weak]["finding"].startswith("not offered"), findings[weak]
    assert findings["TLS1_2"]["finding"].startswith("offered"), findings["TLS1_2"]
    assert findings["TLS1_3"]["finding"].startswith("offered"), findings["TLS1_3"]
    bad = [f for f in findings.values() if f["severity"] in ("MEDIUM", "HIGH", "CRITICAL")]
    assert bad == [], bad


def test_a_missing_capability_is_named_before_provisioning_fails_on_it(start):
    # Provisioning sets owners: with every capability dropped it used to end in
    # "cannot set the owner of /etc/mailinit/dkim: Operation not permitted", exit 71.
    from conftest import engine
    c = start(options=["--cap-drop", "ALL"], wait=False)
    status = engine("wait", c.name, timeout=60).stdout.strip()
    logs = c.logs()
    assert status == "78", logs
    assert "capability cap_chown is missing: Postfix and Dovecot need it (run with --cap-add " \
           "chown)" in logs
    assert "Operation not permitted" not in logs, logs
