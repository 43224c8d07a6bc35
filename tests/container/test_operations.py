"""Operating a running server from outside: admin commands, live reload, certificate
renewal under client load, the one log stream."""

import hashlib
import imaplib
import json
import poplib
import re
import socket
import ssl
import subprocess
import threading
import time

import dkim
import pytest

from clients import message, submit, tls_context, wait_for_subject
from conftest import engine

USERS = {"alice@example.test": "alice-secret-1"}


def exec_stdin(container, text, *command):
    return engine("exec", "-i", container.name, *command, input=text, check=False)


def imap_login(port, user, password):
    """True when USER logs in, False when the login is refused. None when the connection
    lands in a Dovecot reload: greeted with "BYE Shutting down", or closed before the
    greeting (EOF) by a login process the reload ends, or "BYE Auth process broken" from a
    login process started just before the reload whose auth process ended before their first
    handshake (login-common/main.c auth_connect_notify), or a login answered "NO
    [UNAVAILABLE] Internal login failure" by an auth process the reload replaced; a real
    client retries then, and so do the callers (login_once_settled)."""
    import imaplib
    import ssl
    try:
        client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls_context())
    except (imaplib.IMAP4.error, ConnectionError, ssl.SSLEOFError) as error:
        cut = isinstance(error, (imaplib.IMAP4.abort, ConnectionError, ssl.SSLEOFError))
        reload = "Shutting down" in str(error) or "Auth process broken" in str(error)
        assert cut or reload, error
        return None
    try:
        client.login(user, password)
        client.logout()
        return True
    except imaplib.IMAP4.error as error:
        # "NO [UNAVAILABLE] Internal login failure": the auth process the login went to was
        # replaced by the reload meanwhile; a temporary answer, and clients retry it.
        return None if "UNAVAILABLE" in str(error) else False


def login_once_settled(port, user, password, timeout=10):
    """imap_login, retried only while the answer is a reload's (None)."""
    deadline = time.monotonic() + timeout
    while (result := imap_login(port, user, password)) is None:
        assert time.monotonic() < deadline, f"{user}: still cut by a reload"
        time.sleep(0.05)
    return result


def wait_login(port, user, password, timeout=10):
    """Seconds until USER can log in over IMAPS."""
    began = time.monotonic()
    while not imap_login(port, user, password):
        assert time.monotonic() - began < timeout, f"{user} cannot log in"
        time.sleep(0.05)
    return time.monotonic() - began


RELOADED = "reload: configuration verified and in place"


def wait_reloaded(c, before, timeout=10):
    """Seconds until the log shows one more completed reload than BEFORE."""
    began = time.monotonic()
    while c.logs().count(RELOADED) <= before:
        assert time.monotonic() - began < timeout, c.logs()
        time.sleep(0.05)
    return time.monotonic() - began


def test_a_new_user_logs_in_at_once_without_a_restart(start):
    c = start(accounts=USERS)
    reloads = c.logs().count(RELOADED)
    out = exec_stdin(c, "bob-secret-2\n", "mailinit", "user", "add", "bob@example.test",
                     "--password-stdin", "--quota", "1G")
    assert out.returncode == 0, out.stderr
    # No retries: a failed login costs Dovecot's 2 s auth_failure_delay and would hide
    # the latency. The first attempt after the reload must succeed.
    seconds = wait_reloaded(c, reloads)
    logged_in = login_once_settled(c.port[993], "bob@example.test", "bob-secret-2")
    assert logged_in, c.logs()
    print(f"user add to reloaded: {seconds:.2f} s")
    logs = c.logs()
    assert logs.count("dovecot: started with pid") == 1  # reloaded, not restarted
    assert logs.count("postfix: started with pid") == 1
    assert "bob-secret-2" not in logs
    # Mail reaches the new mailbox too (Postfix's maps were reloaded).
    subject, body, data = message("alice@example.test", "bob@example.test")
    submit(c.port[587], "alice@example.test", USERS["alice@example.test"],
           "alice@example.test", ["bob@example.test"], data)
    assert wait_for_subject(c.port[993], "bob@example.test", "bob-secret-2", subject) == body
    assert "bob@example.test\tquota 1024 MiB" in c.exec("mailinit", "user", "list").stdout


def test_generated_passwords_are_shown_once_and_never_logged(start):
    c = start(accounts=USERS)
    out = c.exec("mailinit", "user", "add", "carol@example.test")
    password = re.search(r"password for carol@example.test: (\S+)", out.stdout).group(1)
    wait_login(c.port[993], "carol@example.test", password)
    new = exec_stdin(c, "changed-pw-3\n", "mailinit", "user", "passwd", "carol@example.test",
                     "--password-stdin")
    assert new.returncode == 0, new.stderr
    wait_login(c.port[993], "carol@example.test", "changed-pw-3")
    assert login_once_settled(c.port[993], "carol@example.test", password) is False
    accounts = c.exec("cat", "/etc/mailinit/accounts").stdout
    assert password not in accounts and "changed-pw-3" not in accounts
    assert password not in c.logs() and "changed-pw-3" not in c.logs()


def test_admin_errors_are_clear_and_change_nothing(start):
    c = start(accounts=USERS)
    before = c.exec("cat", "/etc/mailinit/accounts").stdout
    cases = [
        (["user", "add", "dave@unknown.example"], 65, "unknown.example is not a mail domain"),
        (["user", "add", "alice@example.test"], 65, "alice@example.test already exists"),
        (["user", "add", "not-an-address"], 65, '"not-an-address" is not an address'),
        (["user", "add", "eve@example.test", "--password", "x"], 64, "--password-stdin"),
        (["user", "del", "nobody@example.test"], 67, "there is no account nobody@example.test"),
        (["alias", "del", "nobody@example.test"], 67, "there is no alias"),
        (["alias", "add", "sales@unknown.example", "alice@example.test"], 65,
         "unknown.example is not a mail domain"),
    ]
    for args, status, text in cases:
        out = c.exec("mailinit", *args, check=False)
        assert out.returncode == status, (args, out.stdout, out.stderr)
        assert text in out.stderr, (args, out.stderr)
    assert c.exec("cat", "/etc/mailinit/accounts").stdout == before


def test_concurrent_user_adds_all_land(start):
    c = start(accounts=USERS)
    procs = [subprocess.Popen(["podman", "exec", "-i", c.name, "mailinit", "user", "add",
                               f"user{i}@example.test", "--password-stdin"],
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE,
                              stderr=subprocess.PIPE, text=True) for i in range(12)]
    for i, p in enumerate(procs):
        p.communicate(f"pw-{i}\n", timeout=60)
        assert p.returncode == 0
    listed = c.exec("mailinit", "user", "list").stdout.split()
    assert sorted(a for a in listed if a.startswith("user")) == sorted(
        f"user{i}@example.test" for i in range(12))
    wait_login(c.port[993], "user11@example.test", "pw-11")


def test_aliases_change_live(start):
    c = start(accounts={**USERS, "bob@example.test": "bob-secret-2"})
    c.exec("mailinit", "alias", "add", "sales@example.test", "bob@example.test")
    assert "sales@example.test\tbob@example.test" in c.exec("mailinit", "alias", "list").stdout
    deadline = time.monotonic() + 10
    subject, body, data = message("alice@example.test", "sales@example.test")
    while True:  # until Postfix has reloaded its alias map
        try:
            submit(c.port[587], "alice@example.test", USERS["alice@example.test"],
                   "alice@example.test", ["sales@example.test"], data)
            break
        except Exception:
            assert time.monotonic() < deadline, c.logs()
            time.sleep(0.1)
    assert wait_for_subject(c.port[993], "bob@example.test", "bob-secret-2", subject) == body
    assert "example.test\t2 accounts, 1 alias" in c.exec("mailinit", "domain", "list").stdout


def test_a_broken_change_is_refused_and_the_running_config_keeps_serving(start):
    c = start(accounts=USERS)
    vmailbox = c.exec("cat", "/run/mailinit/etc/postfix/vmailbox").stdout
    with open(c.config_dir / "accounts", "a") as f:
        f.write("broken-line-without-password\n")
    deadline = time.monotonic() + 10
    while "the new configuration was refused" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.1)
    assert "accounts:2: expected user@domain:{SCHEME}hash" in c.logs()
    assert c.exec("cat", "/run/mailinit/etc/postfix/vmailbox").stdout == vmailbox
    assert imap_login(c.port[993], "alice@example.test", USERS["alice@example.test"])
    assert c.healthy()
    # mailinit reload says the same, and asks for nothing.
    out = c.exec("mailinit", "reload", check=False)
    assert out.returncode == 78 and "accounts:2" in out.stderr
    # Fixed, and the next change goes through.
    lines = (c.config_dir / "accounts").read_text().splitlines()
    (c.config_dir / "accounts").write_text(lines[0] + "\n")
    out = c.exec("mailinit", "reload")
    assert "reload asked for" in out.stdout


def test_dkim_rotate_signs_with_the_new_selector_and_keeps_the_old_one(start):
    c = start(accounts={**USERS, "bob@example.test": "bob-secret-2"})
    out = c.exec("mailinit", "dkim", "rotate", "example.test").stdout
    selector = re.search(r"now signs with selector (\S+);", out).group(1)
    assert "the running server reloads now" in out
    records = c.exec("mailinit", "dns", "example.test").stdout
    assert "mail._domainkey.example.test." in records  # the old key stays published
    txt = re.search(rf"{selector}\._domainkey\.example\.test\. IN TXT \( (.*) \)",
                    records).group(1)
    public = "".join(re.findall(r'"([^"]*)"', txt)).encode()
    assert "_mta-sts.example.test." in records and "_smtp._tls.example.test." in records
    deadline = time.monotonic() + 10
    while f"s={selector}" not in (raw := last_signature(c)):
        assert time.monotonic() < deadline, c.logs()
    message_bytes = raw.encode()

    def dnsfunc(name, timeout=5):
        assert name == f"{selector}._domainkey.example.test.".encode()
        return public

    assert dkim.verify(message_bytes, dnsfunc=dnsfunc)
    assert c.exec("mailinit", "dkim", "remove", "example.test", selector,
                  check=False).returncode == 65  # the active one is refused
    c.exec("mailinit", "dkim", "remove", "example.test", "mail")
    assert "mail._domainkey" not in c.exec("mailinit", "dns", "example.test").stdout


def last_signature(c):
    """Submit a message to bob and return it as delivered (CRLF line ends)."""
    import imaplib
    subject, _, data = message("alice@example.test", "bob@example.test")
    submit(c.port[587], "alice@example.test", USERS["alice@example.test"],
           "alice@example.test", ["bob@example.test"], data)
    wait_for_subject(c.port[993], "bob@example.test", "bob-secret-2", subject)
    client = imaplib.IMAP4_SSL("127.0.0.1", c.port[993], ssl_context=tls_context())
    client.login("bob@example.test", "bob-secret-2")
    client.select("INBOX")
    _, ids = client.search(None, "SUBJECT", f'"{subject}"')
    _, fetched = client.fetch(ids[0].split()[-1], "(RFC822)")
    client.logout()
    return fetched[0][1].decode()


# ---- certificates: a Kubernetes Secret volume, renewed under client load ----

def make_cert(directory):
    directory.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=mail.example.test",
                    "-addext", "subjectAltName=DNS:mail.example.test",
                    "-keyout", str(directory / "tls.key"), "-out", str(directory / "tls.crt"),
                    "-days", "30"], check=True, capture_output=True)
    der = ssl.PEM_cert_to_DER_cert((directory / "tls.crt").read_text())
    return hashlib.sha256(der).hexdigest()


def secret_volume(tmp_path):
    """The layout the kubelet makes: ..data -> ..TIMESTAMP, each key a symlink via ..data."""
    certs = tmp_path / "secret"
    certs.mkdir()
    first = make_cert(certs / "..2026_11_22_01")
    (certs / "..data").symlink_to("..2026_11_22_01")
    for key in ("tls.crt", "tls.key"):
        (certs / key).symlink_to(f"..data/{key}")
    return certs, first


def kubelet_update(certs, name):
    """A Secret update as the kubelet does it: a new directory, then one rename."""
    fingerprint = make_cert(certs / name)
    (certs / "..data_tmp").symlink_to(name)
    (certs / "..data_tmp").rename(certs / "..data")
    return fingerprint


def starttls(sock, port):
    f = sock.makefile("rb")

    def expect(prefix):
        while True:
            line = f.readline()
            if not line:
                raise ConnectionError(f"port {port}: closed")
            if line.startswith(prefix):
                return line

    if port in (25, 587):
        expect(b"220 ")
        sock.sendall(b"EHLO client.example\r\n")
        expect(b"250 ")
        sock.sendall(b"STARTTLS\r\n")
        expect(b"220 ")
    elif port == 143:
        expect(b"* OK")
        sock.sendall(b"a STARTTLS\r\n")
        expect(b"a OK")
    elif port == 110:
        expect(b"+OK")
        sock.sendall(b"STLS\r\n")
        expect(b"+OK")
    elif port == 4190:
        expect(b"OK")
        sock.sendall(b"STARTTLS\r\n")
        expect(b"OK")


def served_fingerprint(container, port):
    with socket.create_connection(("127.0.0.1", container.port[port]), timeout=10) as raw:
        raw.settimeout(10)
        if port not in (465, 993, 995):
            starttls(raw, port)
        with tls_context().wrap_socket(raw, server_hostname="mail.example.test") as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


TLS_PORTS = (25, 587, 465, 143, 993, 110, 995, 4190)


def test_a_renewed_kubernetes_secret_is_served_on_every_port_with_no_failed_connection(
        start, tmp_path):
    certs, first = secret_volume(tmp_path)
    c = start(env={"TLS_CERT_FILE": "/certs/tls.crt", "TLS_KEY_FILE": "/certs/tls.key",
                   "ENABLE_MANAGESIEVE": "yes"},
              volumes=[f"{certs}:/certs:ro"], accounts=USERS)
    for port in TLS_PORTS:
        assert served_fingerprint(c, port) == first, port

    stop = threading.Event()
    results = {port: {"ok": 0, "failed": []} for port in TLS_PORTS}
    latest = {}

    def client_loop(port):
        while not stop.is_set():
            try:
                latest[port] = served_fingerprint(c, port)
                results[port]["ok"] += 1
            except Exception as e:  # every failure counts: that is the point
                results[port]["failed"].append(repr(e))

    threads = [threading.Thread(target=client_loop, args=(p,)) for p in TLS_PORTS]
    for t in threads:
        t.start()
    try:
        time.sleep(1)
        renewed = kubelet_update(certs, "..2026_11_22_02")
        swapped = time.monotonic()
        while any(latest.get(p) != renewed for p in TLS_PORTS):
            assert time.monotonic() - swapped < 15, (latest, c.logs())
            time.sleep(0.02)
        seconds = time.monotonic() - swapped
        time.sleep(1)  # keep the load on after the swap
    finally:
        stop.set()
        for t in threads:
            t.join(30)
    print(f"renewed certificate on all {len(TLS_PORTS)} ports after {seconds:.2f} s; "
          f"connections: {sum(r['ok'] for r in results.values())}")
    failed = {port: r["failed"] for port, r in results.items() if r["failed"]}
    assert failed == {}, (failed, c.logs()[-4000:])
    assert all(r["ok"] > 2 for r in results.values()), results
    assert seconds < 10
    assert c.logs().count("dovecot: started with pid") == 1


def imaps_session(c, user, password):
    imap = imaplib.IMAP4_SSL("127.0.0.1", c.port[993], ssl_context=tls_context(), timeout=20)
    imap.login(user, password)
    imap.select("INBOX")
    return imap


def test_sessions_outlive_a_reload_and_are_told_bye_at_the_stop(start):
    """Every reload (an account added, a renewed certificate) cut every logged-in IMAP and
    POP3 session 6 s later: Dovecot's shutdown_clients. They now outlive reloads, and a
    stop ends them with SIGTERM (they were SIGKILLed), within the grace."""
    c = start(accounts=USERS)
    imap = imaps_session(c, "alice@example.test", USERS["alice@example.test"])
    pop = poplib.POP3_SSL("127.0.0.1", c.port[995], context=tls_context(), timeout=20)
    pop.user("alice@example.test")
    pop.pass_(USERS["alice@example.test"])

    reloads = c.logs().count(RELOADED)
    out = exec_stdin(c, "carol-secret-3\n", "mailinit", "user", "add", "carol@example.test",
                     "--password-stdin")
    assert out.returncode == 0, out.stderr
    wait_reloaded(c, reloads)
    time.sleep(8)  # with shutdown_clients = yes Dovecot ends what is left 6 s after a reload
    assert imap.noop()[0] == "OK", c.logs()
    assert pop.noop().startswith(b"+OK"), c.logs()
    assert "Processes aren't dying after reload" not in c.logs()
    assert not re.search(r"ended \d+ session", c.logs()), c.logs()  # nobody's was ended

    engine("stop", "-t", "10", c.name)
    # Its process ended on SIGTERM, mailbox closed. Its BYE goes out through imap-login,
    # which has the TLS; Dovecot's old login process gets the same SIGTERM and may close
    # first: the line is not promised, the end of the session is.
    assert imap.readline() in (b"", b"* BYE Server shutting down.\r\n"), c.logs()
    assert c.exit_code() == 0, c.logs()
    assert "grace limit" not in c.logs()
    assert "all services stopped" in c.logs()


def test_user_passwd_and_user_del_end_that_accounts_sessions_and_no_other(start):
    """Dovecot checks a password only at login: with sessions kept across reloads, a leaked
    password changed by the operator, or a removed account, would stay logged in. The
    reload ends that account's sessions, and only its."""
    users = {**USERS, "bob@example.test": "bob-secret-2", "carol@example.test": "carol-pw-3"}
    c = start(accounts=users)
    alice = imaps_session(c, "alice@example.test", users["alice@example.test"])
    bob = imaps_session(c, "bob@example.test", users["bob@example.test"])
    carol = poplib.POP3_SSL("127.0.0.1", c.port[995], context=tls_context(), timeout=20)
    carol.user("carol@example.test")
    carol.pass_(users["carol@example.test"])

    out = exec_stdin(c, "alice-new-4\n", "mailinit", "user", "passwd", "alice@example.test",
                     "--password-stdin")
    assert out.returncode == 0, out.stderr
    # The session ends (BYE, or the connection closed) without the client doing anything;
    # readline() would time out after 20 s if it stayed.
    line = alice.readline()
    assert line == b"" or line.startswith(b"* BYE"), (line, c.logs())
    assert login_once_settled(c.port[993], "alice@example.test", "alice-new-4"), c.logs()
    assert login_once_settled(c.port[993], "alice@example.test",
                              users["alice@example.test"]) is False
    assert bob.noop()[0] == "OK", c.logs()
    assert carol.noop().startswith(b"+OK"), c.logs()
    deadline = time.monotonic() + 10  # the line may reach the log after the BYE
    while "ended 1 session of the 1 account" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.1)

    assert c.exec("mailinit", "user", "del", "carol@example.test").returncode == 0
    deadline = time.monotonic() + 20
    with pytest.raises((poplib.error_proto, OSError)):  # EOF, or the session's goodbye
        while time.monotonic() < deadline:
            carol.noop()
            time.sleep(0.2)
    assert bob.noop()[0] == "OK", c.logs()
    bob.logout()


def test_json_logs_are_one_object_per_line_from_every_program(start):
    c = start(env={"LOG_FORMAT": "json"}, accounts={**USERS, "bob@example.test": "b-pw-2"})
    subject, _, data = message("alice@example.test", "bob@example.test")
    submit(c.port[587], "alice@example.test", USERS["alice@example.test"],
           "alice@example.test", ["bob@example.test"], data)
    wait_for_subject(c.port[993], "bob@example.test", "b-pw-2", subject)
    deadline = time.monotonic() + 10
    while True:
        out = engine("logs", c.name, check=False)
        lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
        objects = [json.loads(line) for line in lines]  # every line parses
        programs = {o["program"].split("/")[0] for o in objects}
        if {"mailinit", "postfix", "dovecot", "opendkim"} <= programs:
            break
        assert time.monotonic() < deadline, programs
        time.sleep(0.2)
    for o in objects:
        assert {"time", "program", "level", "message"} <= o.keys(), o
        assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", o["time"]), o
    assert any(o["program"] == "postfix/submission/smtpd" and "client=" in o["message"]
               for o in objects)
    assert any(o["program"] == "opendkim" and "DKIM-Signature field added" in o["message"]
               for o in objects)


def test_json_mode_the_demo_banner_is_an_object_and_commands_answer_in_plain_lines(start):
    c = start(env={"LOG_FORMAT": "json", "DEMO_ACCOUNT": "demo@example.test"})
    out = engine("logs", c.name, check=False)
    lines = [line for line in (out.stdout + out.stderr).splitlines() if line.strip()]
    objects = [json.loads(line) for line in lines]  # the five-line banner did not parse
    banner = [o for o in objects if o["message"].startswith("demo account: demo@example.test")]
    assert len(banner) == 1, lines
    password = re.search(r"password: (\S+) \(shown once", banner[0]["message"]).group(1)
    wait_login(c.port[993], "demo@example.test", password)
    # An operator's command answers the operator, not a log shipper.
    wrong = c.exec("mailinit", "user", "del", "nobody@example.test", check=False)
    assert wrong.returncode == 67
    assert wrong.stderr.startswith("mailinit: error: user del: there is no account"), wrong.stderr
    # A stop adds objects only: postfix-script printed a bare "Terminated" when master ended.
    engine("stop", c.name, timeout=60)
    out = engine("logs", c.name, check=False)
    for line in (out.stdout + out.stderr).splitlines():
        if line.strip():
            json.loads(line)
