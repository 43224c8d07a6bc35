"""Inbound filtering (rspamd, ENABLE_RSPAMD=yes by default), seen from outside: port 25
with a real DNS server (NSD, dns_server.py) serving the zones rspamd checks. The server's
own zone is what `mailinit dns` prints, so these tests also check those records."""

import base64
import email
import email.utils
import ipaddress
import smtplib
import socket
import subprocess
import time
import uuid

import dkim
import pytest

from clients import (CLIENT_NAME, imap_connect_and_login, managesieve_put, message, submit,
                     wait_for_subject)
from conftest import IMAGE, engine

USERS = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2"}
BOB = ("bob@example.test", USERS["bob@example.test"])
GTUBE = "XJS*C4JDBQADN1.NSBN3*2IDNEN*GTUBE-STANDARD-ANTI-UBE-TEST-EMAIL*C.34X"


@pytest.fixture(scope="module")
def sender_key(tmp_path_factory):
    """sender.test's DKIM key: (private PEM, public key base64)."""
    path = tmp_path_factory.mktemp("dkim") / "sender.pem"
    subprocess.run(["openssl", "genrsa", "-out", str(path), "2048"], check=True,
                   capture_output=True)
    der = subprocess.run(["openssl", "rsa", "-in", str(path), "-pubout", "-outform", "DER"],
                         check=True, capture_output=True).stdout
    return path.read_bytes(), base64.b64encode(der).decode()


def client_address():
    """The address the server sees test clients at: the container network's gateway (ports
    published on 127.0.0.1 are forwarded from there)."""
    return engine("network", "inspect", "podman", "-f",
                  "{{range .Subnets}}{{.Gateway}}{{end}}").stdout.strip()


def zones(public_key):
    dkim_text = f'"v=DKIM1; k=rsa; p={public_key[:200]}" "{public_key[200:]}"'
    return {
        "example.test": [],  # the server's own: what `mailinit dns` prints, once it runs
        # A domain with the strictest policy: no host may send for it, only signed mail passes.
        # Its mail server is elsewhere: SPF fails from the test client, so only what its
        # DKIM key signed passes DMARC (as its mail does through a forwarder).
        "sender.test": ['@ IN TXT "v=spf1 mx -all"', '_dmarc IN TXT "v=DMARC1; p=reject"',
                        f"test._domainkey IN TXT ( {dkim_text} )", "@ IN MX 10 mx",
                        "mx IN A 192.0.2.25"],
        # A domain whose mail comes from the test client's address, DMARC monitoring only.
        # A domain whose mail comes from the test client's address, as a well-kept one's
        # does (its MX, the name it says HELO with, SPF); DMARC monitoring only.
        "friend.test": [f'@ IN TXT "v=spf1 ip4:{client_address()} -all"',
                        '_dmarc IN TXT "v=DMARC1; p=none"', "@ IN MX 10 mx",
                        f"mx IN A {client_address()}"],
    }


def own_zone(container, dmarc_policy=None):
    """example.test as `mailinit dns` prints it, and the A record of its MX."""
    printed = container.exec("mailinit", "dns", "example.test").stdout
    records = [line for line in printed.splitlines() if line and not line.startswith(";")]
    if dmarc_policy:
        records = [r.replace("p=quarantine", f"p={dmarc_policy}") for r in records]
    address = engine("inspect", "-f", "{{.NetworkSettings.IPAddress}}",
                     container.name).stdout.strip()
    return records + [f"mail.example.test. IN A {address}"]


@pytest.fixture
def served(start, dns, sender_key):
    """A server pointed at the test DNS, whose own zone is served: (container, dns)."""

    def _served(env=None):
        server = dns(zones(sender_key[1]))
        c = start(accounts=USERS, env={"GREYLISTING": "yes", **(env or {})},
                  options=("--dns", server.ip))
        server.serve("example.test", own_zone(c))
        return c, server

    return _served


def mail(sender, recipient, body, subject=None, extra=""):
    subject = subject or f"test {uuid.uuid4().hex}"
    domain = sender.split("@")[1]
    data = (f"From: {sender}\r\nTo: {recipient}\r\nSubject: {subject}\r\n"
            f"Date: {email.utils.formatdate()}\r\n"
            f"Message-ID: <{uuid.uuid4().hex}@{domain}>\r\n{extra}\r\n{body}\r\n")
    return subject, data


def messages(port, user, password, folder="INBOX", subject=None, wait=15):
    """The parsed messages in FOLDER (with SUBJECT), once there is one."""
    deadline = time.monotonic() + wait
    while True:
        client = imap_connect_and_login(port, user, password)
        found = []
        if client.select(f'"{folder}"', readonly=True)[0] == "OK":
            _, ids = client.search(None, "ALL")
            for n in ids[0].split():
                _, data = client.fetch(n, "(RFC822)")
                parsed = email.message_from_bytes(data[0][1])
                if subject is None or parsed["Subject"] == subject:
                    found.append(parsed)
        client.logout()
        if found or time.monotonic() > deadline:
            return found
        time.sleep(0.2)


def send_25(port, sender, recipients, data):
    """As friend.test's mail server: HELO with its name, which resolves to the client."""
    client = smtplib.SMTP("127.0.0.1", port, local_hostname="mx.friend.test", timeout=30)
    try:
        client.sendmail(sender, recipients, data)
    finally:
        client.close()


def refused_at_data(port, sender, data):
    with pytest.raises(smtplib.SMTPDataError) as refused:
        send_25(port, sender, ["bob@example.test"], data)
    return refused.value.smtp_code, refused.value.smtp_error.decode()


@pytest.mark.rspamd
def test_gtube_is_refused_and_clean_mail_delivered_with_authentication_results(served):
    c, _ = served()
    _, spam = mail("someone@friend.test", "bob@example.test", GTUBE)
    code, text = refused_at_data(c.port[25], "someone@friend.test", spam)
    assert code == 554 and text.startswith("5.7.1"), (code, text)

    subject, clean = mail("someone@friend.test", "bob@example.test",
                          "Hello Bob, the minutes of Tuesday's meeting are attached below.")
    send_25(c.port[25], "someone@friend.test", ["bob@example.test"], clean)
    [delivered] = messages(c.port[993], *BOB, subject=subject)
    results = delivered.get_all("Authentication-Results")
    assert results and len(results) == 1, delivered.items()
    assert results[0].startswith("mail.example.test;"), results
    assert "spf=pass" in results[0] and "dmarc=pass" in results[0], results
    assert delivered["X-Spam-Status"].startswith("No,"), delivered.items()
    # Nothing of the GTUBE message reached any folder.
    assert not messages(c.port[993], *BOB, folder="Junk", wait=0)
    assert len(messages(c.port[993], *BOB, wait=0)) == 1


@pytest.mark.rspamd
def test_forged_mail_from_a_p_reject_domain_is_refused_and_its_signed_mail_delivered(
        served, sender_key):
    c, _ = served()
    _, forged = mail("ceo@sender.test", "bob@example.test", "Please wire the money today.")
    code, text = refused_at_data(c.port[25], "ceo@sender.test", forged)
    assert code == 554 and text.startswith("5.7.1"), (code, text)

    subject, genuine = mail("ceo@sender.test", "bob@example.test", "The board meets at ten.")
    signature = dkim.sign(genuine.encode(), b"test", b"sender.test", sender_key[0],
                          include_headers=[b"From", b"To", b"Subject", b"Date",
                                           b"Message-ID"])
    send_25(c.port[25], "ceo@sender.test", ["bob@example.test"], signature + genuine.encode())
    [delivered] = messages(c.port[993], *BOB, subject=subject)
    [results] = delivered.get_all("Authentication-Results")
    assert "dkim=pass header.d=sender.test" in results, results
    assert "spf=fail" in results and "dmarc=pass" in results, results


@pytest.mark.rspamd
def test_an_arc_sealed_message_is_verified_and_its_verdict_recorded(served, sender_key):
    """ARC (RFC 8617): a forwarder (a list at sender.test) seals what it saw; rspamd checks
    the chain through sender.test's published key and says so in Authentication-Results. A
    seal whose message was changed after sealing fails. (dkimpy seals; it needs authres.)"""
    c, _ = served({"GREYLISTING": "no"})

    def sealed(subject_body, tamper=False):
        subject, data = mail("someone@friend.test", "bob@example.test", subject_body)
        data = ("Authentication-Results: sender.test; spf=pass "
                "smtp.mailfrom=someone@friend.test\r\n" + data).encode()
        seal = b"".join(dkim.arc_sign(data, b"test", b"sender.test", sender_key[0],
                                      b"sender.test"))
        if tamper:
            data = data.replace(subject_body.encode(), b"Changed on the way.")
        return subject, seal + data

    subject, data = sealed("Forwarded by the list.")
    send_25(c.port[25], "someone@friend.test", ["bob@example.test"], data)
    [delivered] = messages(c.port[993], *BOB, subject=subject)
    [results] = [r for r in delivered.get_all("Authentication-Results")
                 if r.startswith("mail.example.test")]
    assert "arc=pass" in results, results

    subject, data = sealed("Forwarded, then changed.", tamper=True)
    send_25(c.port[25], "someone@friend.test", ["bob@example.test"], data)
    [delivered] = messages(c.port[993], *BOB, subject=subject)
    [results] = [r for r in delivered.get_all("Authentication-Results")
                 if r.startswith("mail.example.test")]
    assert "arc=reject" in results, results  # rspamd's word for a broken chain


@pytest.mark.rspamd
def test_own_domain_forged_in_the_header_follows_our_published_dmarc_policy(served):
    """Envelope senders in our domains are refused on 25 by Postfix (test_spoofing.py); a
    forged header From of ours fails DMARC, and the policy `mailinit dns` publishes
    (p=quarantine) files it into Junk; an operator who publishes p=reject has it refused."""
    c, server = served()
    subject, forged = mail("alice@example.test", "bob@example.test", "Your password expires.")
    send_25(c.port[25], "someone@friend.test", ["bob@example.test"], forged)
    [junk] = messages(c.port[993], *BOB, folder="Junk", subject=subject)
    assert junk["X-Spam-Flag"] == "YES", junk.items()
    assert "dmarc=fail" in junk["Authentication-Results"], junk.items()
    assert not messages(c.port[993], *BOB, subject=subject, wait=0)

    server.serve("example.test", own_zone(c, dmarc_policy="reject"))
    _, forged = mail("alice@example.test", "bob@example.test", "Your password expires.")
    code, text = refused_at_data(c.port[25], "someone@friend.test", forged)
    assert code == 554 and text.startswith("5.7.1"), (code, text)


@pytest.mark.rspamd
def test_mail_signed_by_our_opendkim_verifies_through_the_published_records(served):
    """Sent on 587 (signed by OpenDKIM), then relayed back in on 25 as another server would:
    rspamd finds the key where `mailinit dns` said to publish it."""
    c, _ = served()
    subject, data = mail("alice@example.test", "bob@example.test", "Signed at the source.")
    submit(c.port[587], "alice@example.test", USERS["alice@example.test"],
           "alice@example.test", ["bob@example.test"], data)
    [first] = messages(c.port[993], *BOB, subject=subject)
    assert first["DKIM-Signature"] and "d=example.test" in first["DKIM-Signature"]
    assert first["Authentication-Results"] is None, "our own users' mail carries no verdict"
    # As it left: without the headers delivery added.
    for header in ("Return-Path", "Delivered-To", "Received"):
        del first[header]
    send_25(c.port[25], "relay@friend.test", ["bob@example.test"], first.as_bytes())
    copies = messages(c.port[993], *BOB, subject=subject)
    deadline = time.monotonic() + 15
    while len(copies) < 2 and time.monotonic() < deadline:
        copies = messages(c.port[993], *BOB, subject=subject)
    [results] = [m["Authentication-Results"] for m in copies if m["Authentication-Results"]]
    assert "dkim=pass header.d=example.test" in results, results
    assert "dmarc=pass" in results, results


@pytest.mark.rspamd
def test_greylisting_defers_a_first_try_and_accepts_the_retry_after_the_delay(served):
    c, _ = served(env={"SPAM_GREYLIST_SCORE": "1", "GREYLIST_DELAY": "3"})
    # No Date and no Message-ID: doubtful enough to pass SPAM_GREYLIST_SCORE=1.
    subject = f"test {uuid.uuid4().hex}"
    data = (f"From: someone@friend.test\r\nTo: bob@example.test\r\nSubject: {subject}\r\n\r\n"
            "Are you free for lunch?\r\n")
    # rspamd records the first try in whole seconds (floored), so a retry is let in once
    # GREYLIST_DELAY has passed since that second began: up to 1 s early by our clock.
    first_try = time.monotonic()
    code, text = refused_at_data_temporarily(c.port[25], data)
    assert code == 451 and "Greylisted" in text, (code, text)
    code, _ = refused_at_data_temporarily(c.port[25], data)
    assert code == 451, "a retry before GREYLIST_DELAY is deferred again"
    accepted_at = None
    while accepted_at is None and time.monotonic() < first_try + 60:
        time.sleep(1)
        try:
            send_25(c.port[25], "someone@friend.test", ["bob@example.test"], data)
            accepted_at = time.monotonic()
        except smtplib.SMTPDataError as deferred:
            assert deferred.smtp_code == 451, deferred
    assert accepted_at is not None and accepted_at - first_try >= 3 - 1
    assert messages(c.port[993], *BOB, subject=subject)


def refused_at_data_temporarily(port, data):
    with pytest.raises(smtplib.SMTPDataError) as deferred:
        send_25(port, "someone@friend.test", ["bob@example.test"], data)
    return deferred.value.smtp_code, deferred.value.smtp_error.decode()


def processes(container):
    names = container.exec("sh", "-c", "cat /proc/[0-9]*/comm", check=False).stdout
    return set(names.split())


def test_with_rspamd_off_neither_rspamd_nor_redis_runs_and_mail_is_not_filtered(start):
    c = start(accounts=USERS, env={"ENABLE_RSPAMD": "no"})
    running = processes(c)
    assert "master" in running and "dovecot" in running, running
    assert not {"rspamd", "redis-server"} & running, running
    health = c.exec("mailinit", "health").stdout
    assert "rspamd" not in health and "redis" not in health, health
    assert "rspamd" not in c.exec("postconf", "-h", "smtpd_milters").stdout
    subject, body, data = message("someone@example.net", "bob@example.test", body=GTUBE)
    send_25(c.port[25], "someone@example.net", ["bob@example.test"], data)
    assert wait_for_subject(c.port[993], *BOB, subject) == GTUBE


@pytest.mark.rspamd
def test_rspamd_and_redis_run_and_health_probes_them(start):
    c = start(accounts=USERS)
    running = processes(c)
    assert {"rspamd", "redis-server"} <= running, running
    health = c.exec("mailinit", "health").stdout
    for name, answer in (("rspamd", "milter option negotiation"), ("controller", "pong"),
                         ("redis", "+PONG")):
        assert any(line.split()[:2] == ["ok", name] and answer in line
                   for line in health.splitlines()), health
    # rspamd's own check of the configuration mailinit rendered for it.
    configtest = c.exec("rspamadm", "configtest", check=False)
    assert configtest.returncode == 0 and "syntax OK" in configtest.stdout, configtest
    # Redis listens on its socket only.
    assert "0.0.0.0:6379" not in c.exec("cat", "/proc/net/tcp", check=False).stdout
    assert c.exec("redis-cli", "-s", "/run/redis/redis.sock", "CONFIG", "GET",
                  "port").stdout.split() == ["port", "0"]


@pytest.mark.rspamd
def test_what_rspamd_learnt_survives_a_stop_and_a_new_container(start):
    """Bayes lives in Redis, Redis on the /var/lib/redis volume: an ordered stop saves it
    (Redis last, after rspamd), and the next container on the same volume (an upgrade)
    knows what the last one learnt."""
    volume = f"mailinit-test-redis-{uuid.uuid4().hex[:8]}"
    names = []

    def learns(container):
        return container.exec("redis-cli", "-s", "/run/redis/redis.sock", "HGET", "RS",
                              "learns_spam").stdout.strip()

    try:
        first = start(accounts=USERS, volumes=(f"{volume}:/var/lib/redis",))
        names.append(first.name)
        # Bayes learns from a dozen words and more.
        _, spam = mail("seller@example.org", "bob@example.test",
                       "Cheap pills and a lottery win: claim your prize money today, send "
                       "your bank details to our agent before the offer expires tonight.")
        engine("exec", "-i", first.name, "sh", "-c", "cat > /tmp/spam.eml", input=spam)
        learnt = first.exec("rspamc", "-h", "/run/rspamd-controller/controller.sock", "learn_spam",
                            "/tmp/spam.eml")
        assert "success = true;" in learnt.stdout, learnt
        assert learns(first) == "1"
        engine("stop", "-t", "30", first.name)
        second = start(accounts=USERS, volumes=(f"{volume}:/var/lib/redis",))
        names.append(second.name)
        assert learns(second) == "1", second.logs()
    finally:
        engine("rm", "-f", "-v", "-t", "0", *names, check=False)
        engine("volume", "rm", "-f", volume, check=False)


@pytest.mark.rspamd
def test_moving_mail_into_junk_teaches_rspamd_spam_and_out_of_it_ham(start):
    """Dovecot's IMAPSieve runs our two scripts at a move (or copy, or a save into Junk):
    rspamd's Bayes counts grow in Redis. Deleting spam from Junk (into the Trash) teaches
    nothing. Only Dovecot's mail user and root reach the controller's socket, and a user's
    own Sieve script may not pipe."""
    c = start(accounts=USERS, env={"ENABLE_MANAGESIEVE": "yes"})

    def learns(spam, ham):
        """Whether Bayes has learnt SPAM spam and HAM ham messages (within 10 s)."""
        deadline = time.monotonic() + 10
        while True:
            counts = tuple(int(c.exec("redis-cli", "-s", "/run/redis/redis.sock", "HGET",
                                      "RS", f"learns_{kind}").stdout.strip() or 0)
                           for kind in ("spam", "ham"))
            if counts == (spam, ham) or time.monotonic() > deadline:
                return counts == (spam, ham) or counts
            time.sleep(0.2)

    def saved(folder, words):
        _, data = mail("seller@example.org", "bob@example.test",
                       f"{words} Claim your prize money today, send your bank details to "
                       "our agent before the offer expires tonight, winners are waiting.")
        client = imap_connect_and_login(c.port[993], *BOB)
        assert client.append(folder, None, None, data.encode())[0] == "OK"
        return client

    client = saved("INBOX", "Cheap pills and a lottery win.")
    client.select("INBOX")
    assert client._simple_command("MOVE", "1", "Junk")[0] == "OK"
    assert learns(spam=1, ham=0) is True
    client.select("Junk")
    assert client._simple_command("MOVE", "1", "Trash")[0] == "OK"
    client.logout()
    # Had the Trash taught "ham", the spam would now be relearnt as ham: (0, 1), then (1, 1).
    client = saved("Junk", "Your parcel is waiting: pay the customs fee.")  # a client's own save
    assert learns(spam=2, ham=0) is True
    client.select("Junk")
    assert client._simple_command("MOVE", "1", "INBOX")[0] == "OK"  # it was no spam after all
    client.logout()
    assert learns(spam=1, ham=1) is True  # relearnt: rspamd takes back its "spam"
    assert "Error" not in "".join(line for line in c.logs().splitlines()
                                  if line.startswith("dovecot: imap("))

    for user in ("_rspamd", "opendkim", "postfix", "redis"):
        reached = c.exec("setpriv", f"--reuid={user}", f"--regid={user}", "--clear-groups",
                         "rspamc", "-h", "/run/rspamd-controller/controller.sock", "stat",
                         check=False)
        assert "Messages scanned" not in reached.stdout, user
    with pytest.raises(AssertionError, match=r"\['NO "):  # PUTSCRIPT refused
        managesieve_put(c.port[4190], *BOB, "learn",
                        'require "vnd.dovecot.pipe";\npipe "rspamd-learn" ["spam"];\n')


@pytest.mark.rspamd
def test_rspamd_s_web_interface_is_off_by_default_and_asks_everyone_its_password(start,
                                                                                 tmp_path):
    """Debian's rspamd listens on localhost:11334 and lets any process of the host in without
    a password (secure_ip): here, without RSPAMD_WEB_PASSWORD nothing listens there; with it,
    the interface is on loopback and every request, from loopback too, needs the password."""
    off = start(accounts=USERS)
    listening = off.exec("cat", "/proc/net/tcp", "/proc/net/tcp6").stdout
    assert ":2C46 " not in listening.upper(), listening  # 11334
    (tmp_path / "web-password").write_text("correct-horse-battery\n")
    on = start(accounts=USERS, env={"RSPAMD_WEB_PASSWORD_FILE": "/run/secrets/rspamd-web"},
               volumes=(f"{tmp_path / 'web-password'}:/run/secrets/rspamd-web:ro",))
    anonymous = on.exec("rspamc", "-h", "127.0.0.1:11334", "stat", check=False).stdout
    assert "HTTP error: 401" in anonymous, anonymous
    learn = on.exec("rspamc", "-h", "127.0.0.1:11334", "learn_spam", "/etc/hostname",
                    check=False).stdout
    assert "HTTP error: 401" in learn, learn
    allowed = on.exec("rspamc", "-h", "127.0.0.1:11334", "-P", "correct-horse-battery",
                      "stat").stdout
    assert "Messages scanned:" in allowed, allowed
    # mailinit's own way in (health, learning) stays the controller's unix socket.
    assert "Messages scanned:" in on.exec("rspamc", "-h", "/run/rspamd-controller/controller.sock",
                                          "stat").stdout
    # Scores are the settings' (SPAM_REJECT_SCORE...): the interface's "save" is refused, and
    # nothing lands on the /var/lib/rspamd volume to override them at the next start.
    body = "[100, null, 100, 100]"
    saved = on.exec("bash", "-c", "exec 3<>/dev/tcp/127.0.0.1/11334; printf 'POST /saveactions "
                    "HTTP/1.0\\r\\nPassword: correct-horse-battery\\r\\nContent-Length: "
                    f"{len(body)}\\r\\n\\r\\n{body}' >&3; cat <&3").stdout
    assert saved.startswith("HTTP/1.1 500") and "Save error" in saved, saved
    assert on.exec("ls", "/var/lib/rspamd/rspamd_dynamic", check=False).returncode != 0


@pytest.mark.rspamd
def test_only_postfix_reaches_the_milters_and_nothing_listens_on_their_old_ports(start):
    """The milters moved from TCP on loopback (open to every process of the container: any
    uid could have had OpenDKIM sign a message of its own) to unix sockets in directories
    only Postfix's group may enter besides the milter."""
    c = start(accounts=USERS)
    listening = c.exec("cat", "/proc/net/tcp", "/proc/net/tcp6").stdout.upper()
    assert ":22BB " not in listening and ":2C44 " not in listening, listening  # 8891, 11332
    # A real connect() from each uid, with perl (perl-base is in every Debian image).
    probe = ["perl", "-MIO::Socket::UNIX", "-e", 'for (@ARGV) { print "$_ ", '
             '(IO::Socket::UNIX->new(Peer => $_) ? "connected" : "refused: $!"), "\\n" }']
    sockets = ("/run/opendkim/milter.sock", "/run/rspamd-milter/milter.sock")

    def connect_as(*setpriv):
        return c.exec("setpriv", *setpriv, *probe, *sockets).stdout

    # Postfix: uid postfix with its group.
    out = connect_as("--reuid=postfix", "--regid=postfix", "--init-groups")
    assert out.count("connected") == 2, out
    # Anyone else: the mail uid (Dovecot's sessions, Sieve), Dovecot's own, rspamd's.
    for user, group in (("5000", "5000"), ("dovecot", "dovecot"), ("_rspamd", "_rspamd")):
        out = connect_as(f"--reuid={user}", f"--regid={group}", "--clear-groups")
        assert out.count("refused: Permission denied") == 2, (user, out)


@pytest.mark.rspamd
def test_mail_waits_with_4xx_while_rspamd_is_not_up(start, tmp_path):
    """No unfiltered mail: Postfix's milter default for rspamd is tempfail. Here rspamd is
    left out of a copy of the service file, so it never comes up."""
    services = engine("run", "--rm", "--entrypoint", "cat", IMAGE,
                      "/usr/share/mailinit/services.conf").stdout
    head, _, rest = services.partition("service rspamd {")
    without = head + rest.partition("\n}\n")[2]
    (tmp_path / "services.conf").write_text(without)
    c = start(accounts=USERS, wait=False,
              volumes=(f"{tmp_path / 'services.conf'}:/etc/services-test.conf:ro",),
              env={"MAILINIT_CONF": "/etc/services-test.conf"})
    deadline = time.monotonic() + 30
    while True:
        try:
            client = smtplib.SMTP("127.0.0.1", c.port[25], local_hostname=CLIENT_NAME,
                                  timeout=10)
            break
        except OSError:
            assert time.monotonic() < deadline, c.logs()
            time.sleep(0.2)
    _, _, data = message("someone@example.net", "bob@example.test")
    # Postfix says so as soon as it would first need the milter: at MAIL FROM.
    with pytest.raises(smtplib.SMTPResponseException) as deferred:
        client.sendmail("someone@example.net", ["bob@example.test"], data)
    client.close()
    assert deferred.value.smtp_code == 451, deferred.value
    assert "rspamd" in c.exec("mailinit", "health", check=False).stdout


@pytest.mark.rspamd
def test_a_reload_that_turns_rspamd_off_is_refused_until_a_restart(start):
    c = start(accounts=USERS)
    (c.config_dir / "mailinit.conf").write_text("enable_rspamd = \"no\"\n")
    c.exec("mailinit", "reload")
    deadline = time.monotonic() + 15
    while "takes a restart" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.2)
    assert {"rspamd", "redis-server"} <= processes(c)
    health = c.exec("mailinit", "health", check=False)
    assert "the last change was refused" in health.stdout, health.stdout
    c.restart()
    assert not {"rspamd", "redis-server"} & processes(c)


def rcpt_answer(port, recipient, size):
    """The answer to RCPT TO after MAIL FROM with SIZE, in a session of its own (an smtpd
    reads the maps when it starts: a new account is seen by new sessions)."""
    with smtplib.SMTP("127.0.0.1", port, local_hostname="mx.friend.test", timeout=30) as smtp:
        smtp.ehlo()
        smtp.mail("someone@example.net", [f"SIZE={size}"])
        return smtp.rcpt(recipient)


def test_a_full_mailbox_is_refused_at_rcpt_and_nothing_is_bounced(start):
    """Dovecot's quota-status, asked by Postfix at RCPT: 552 during SMTP (the sender's own
    server tells its user), so this server never sends a bounce to a forged sender."""
    c = start(accounts=USERS)
    c.exec("sh", "-c", "printf 'carol-secret-3\\n' | mailinit user add carol@example.test "
                       "--quota 10K --password-stdin")
    deadline = time.monotonic() + 15
    while (answer := rcpt_answer(c.port[25], "carol@example.test", 6500))[0] != 250:
        assert time.monotonic() < deadline, answer  # the new account is live after its reload
        time.sleep(0.3)
    _, big = mail("someone@example.net", "carol@example.test", "x" * 6000)
    send_25(c.port[25], "someone@example.net", ["carol@example.test"], big)
    deadline = time.monotonic() + 15
    while (answer := rcpt_answer(c.port[25], "carol@example.test", 6500))[0] == 250:
        assert time.monotonic() < deadline, "still room after the first message was delivered"
        time.sleep(0.3)
    code, text = answer
    assert code == 552 and b"Mailbox is full" in text, answer
    # Nothing bounced: the queue is empty, and the one message is in the mailbox.
    assert "Mail queue is empty" in c.exec("postqueue", "-p").stdout
    assert len(messages(c.port[993], "carol@example.test", "carol-secret-3")) == 1


def banner_lines(port):
    """Connect to PORT as a client that waits for its turn: every banner line, the last
    one "220 " (postscreen sends "220-" first to a client it does not know yet)."""
    with socket.create_connection(("127.0.0.1", port), timeout=30) as sock:
        reader = sock.makefile("rb")
        lines = [reader.readline()]
        while lines[-1].startswith(b"220-"):
            lines.append(reader.readline())
        sock.sendall(b"QUIT\r\n")
        return lines


def test_postscreen_drops_a_client_that_talks_first_and_remembers_one_that_waited(start):
    """Port 25 at the shipped greet wait (6 s): a client that sends its EHLO before the
    banner is over (a bot saving time) is dropped with 521 before any smtpd serves it; one
    that waits its turn gets through and is remembered on the queue volume, so the next
    container on that volume lets it straight in."""
    volume = f"mailinit-test-queue-{uuid.uuid4().hex[:8]}"
    env = {"POSTFIX_POSTSCREEN_GREET_WAIT": None}
    names = []
    try:
        first = start(accounts=USERS, env=env, volumes=(f"{volume}:/var/spool/postfix",))
        names.append(first.name)
        with socket.create_connection(("127.0.0.1", first.port[25]), timeout=30) as sock:
            reader = sock.makefile("rb")
            assert reader.readline().startswith(b"220-")
            sock.sendall(b"EHLO bot.example.org\r\n")
            assert reader.readline().startswith(b"521 5.5.1"), first.logs()
            try:  # closed: at the end, or reset (it left our EHLO unread)
                rest = reader.readline()
            except ConnectionResetError:
                rest = b""
            assert rest == b"", "the connection stays open after 521"
        assert "PREGREET" in first.logs()
        assert "smtpd" not in "".join(line for line in first.logs().splitlines()
                                      if "bot.example.org" in line)

        lines = banner_lines(first.port[25])
        assert lines[0].startswith(b"220-") and lines[-1].startswith(b"220 "), lines
        _, data = mail("friend@friend.test", "bob@example.test", "Waited its turn.")
        send_25(first.port[25], "friend@friend.test", ["bob@example.test"], data)
        engine("stop", "-t", "30", first.name)

        second = start(accounts=USERS, env=env, volumes=(f"{volume}:/var/spool/postfix",))
        names.append(second.name)
        lines = banner_lines(second.port[25])
        assert len(lines) == 1 and lines[0].startswith(b"220 "), (lines, second.logs())
        assert "PASS OLD" in second.logs()
    finally:
        engine("rm", "-f", "-v", "-t", "0", *names, check=False)
        engine("volume", "rm", "-f", volume, check=False)


def test_a_client_a_dnsbl_lists_is_refused_unless_it_is_in_a_trusted_network(start, dns):
    """DNSBL_SITES names a blocklist zone that lists the test client (d.c.b.a.zone A
    127.0.0.2, as real lists do): its mail is refused at RCPT with the list's name. A
    client in TRUSTED_NETWORKS is not asked about."""
    client = client_address()
    listed = ".".join(reversed(client.split(".")))
    server = dns({"dnsbl.test": [f"{listed} IN A 127.0.0.2"]})
    env = {"DNSBL_SITES": "dnsbl.test", "POSTFIX_POSTSCREEN_GREET_WAIT": None}
    c = start(accounts=USERS, env=env, options=("--dns", server.ip))
    _, data = mail("friend@friend.test", "bob@example.test", "From a listed address.")
    with pytest.raises(smtplib.SMTPRecipientsRefused) as refused:
        send_25(c.port[25], "friend@friend.test", ["bob@example.test"], data)
    code, text = refused.value.recipients["bob@example.test"]
    assert code == 550 and b"blocked using dnsbl.test" in text, (code, text)
    assert messages(c.port[993], *BOB, wait=0) == []

    trusted = start(accounts=USERS, options=("--dns", server.ip),
                    env={**env, "TRUSTED_NETWORKS": f"{client}/32"})
    subject, data = mail("friend@friend.test", "bob@example.test", "From a trusted network.")
    send_25(trusted.port[25], "friend@friend.test", ["bob@example.test"], data)
    assert messages(trusted.port[993], *BOB, subject=subject)


@pytest.mark.rspamd
def test_port_25_mail_from_a_trusted_network_is_signed_and_from_outside_passes_rspamd_alone(
        start, dns):
    """OpenDKIM only signs, so Postfix hands it only mail that may be signed: on port 25,
    by client address (a cidr table of loopback and TRUSTED_NETWORKS). A trusted client's
    mail From our domain is signed; an outside client's is filtered by rspamd. (That it
    reaches no OpenDKIM is the rendered configuration's: tests/provision/test_rspamd.py.)"""
    network = ipaddress.ip_network(f"{client_address()}/24", strict=False)
    server = dns({})
    trusted = start(accounts=USERS, options=("--dns", server.ip),
                    env={"TRUSTED_NETWORKS": str(network), "GREYLISTING": "no"})
    subject, data = mail("alice@example.test", "bob@example.test", "From an app server.")
    send_25(trusted.port[25], "alice@example.test", ["bob@example.test"], data)
    [delivered] = messages(trusted.port[993], *BOB, subject=subject)
    signature = delivered["DKIM-Signature"]
    assert signature and "d=example.test" in signature, delivered.items()
    assert "DKIM-Signature field added" in trusted.logs()

    outside = start(accounts=USERS, options=("--dns", server.ip), env={"GREYLISTING": "no"})
    subject, data = mail("friend@friend.test", "bob@example.test", "From the Internet.")
    send_25(outside.port[25], "friend@friend.test", ["bob@example.test"], data)
    [delivered] = messages(outside.port[993], *BOB, subject=subject)
    assert delivered["Authentication-Results"], delivered.items()  # rspamd's verdict
    assert delivered["DKIM-Signature"] is None


@pytest.mark.rspamd
def test_our_users_and_trusted_networks_are_not_greylisted_or_scored_as_inbound(start):
    """With greylisting on and its score at 1, a doubtful message (no Date, no Message-ID)
    from outside is deferred; the same from a logged-in user on 587 or from a trusted
    network on port 25 is delivered at once, into the inbox, without rspamd's verdict."""
    env = {"GREYLISTING": "yes", "SPAM_GREYLIST_SCORE": "1"}

    def doubtful(sender):
        subject = f"test {uuid.uuid4().hex}"
        return subject, f"From: {sender}\r\nTo: bob@example.test\r\nSubject: {subject}\r\n\r\nhi\r\n"

    outside = start(accounts=USERS, env=env)
    _, data = doubtful("someone@friend.test")
    code, text = refused_at_data(outside.port[25], "someone@friend.test", data)
    assert code == 451 and "Greylisted" in text, (code, text)

    network = ipaddress.ip_network(f"{client_address()}/24", strict=False)
    c = start(accounts=USERS, env={**env, "TRUSTED_NETWORKS": str(network)})
    subject, data = doubtful("alice@example.test")
    submit(c.port[587], "alice@example.test", USERS["alice@example.test"],
           "alice@example.test", ["bob@example.test"], data)
    [delivered] = messages(c.port[993], *BOB, subject=subject)
    assert delivered["X-Spam-Status"] is None and delivered["X-Spam-Flag"] is None, \
        delivered.items()
    subject, data = doubtful("app@example.test")
    send_25(c.port[25], "app@example.test", ["bob@example.test"], data)
    [delivered] = messages(c.port[993], *BOB, subject=subject)
    assert delivered["X-Spam-Status"] is None, delivered.items()
    assert not messages(c.port[993], *BOB, folder="Junk", wait=0)
