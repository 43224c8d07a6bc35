"""Real mail clients nobody here wrote (Debian's msmtp, mbsync, fetchmail, sieve-connect and
swaks), each trusting the server's own certificate, never with verification turned off."""

import email
import os
import shutil
import subprocess
import textwrap
import time

import pytest

from clients import (imap_connect_and_login, managesieve_put, message, send_25, submit,
                     wait_for_subject)
from test_folders import FILING, filed, folders

USERS = {"alice@example.test": "alice-secret-1", "bob@example.test": "bob-secret-2"}
HOST = "mail.example.test"  # the name in the certificate; clients connect to 127.0.0.1


def run(argv, **kwargs):
    program = shutil.which(argv[0])
    assert program, f"{argv[0]} is not installed (tools/setup.sh test installs it)"
    return subprocess.run(argv, capture_output=True, text=True, timeout=60, **kwargs)


@pytest.fixture
def server(start, tmp_path):
    c = start(accounts=USERS, env={"ENABLE_MANAGESIEVE": "yes"})
    c.cert = c.config_dir / "tls" / "cert.pem"  # the self-signed one, on the config volume
    return c


def test_msmtp_sends_over_587_starttls_and_465_tls(server, tmp_path):
    for port, starttls in ((587, "on"), (465, "off")):
        config = tmp_path / f"msmtprc-{port}"
        config.write_text(textwrap.dedent(f"""\
            account default
            host 127.0.0.1
            port {server.port[port]}
            auth on
            user alice@example.test
            password {USERS["alice@example.test"]}
            from alice@example.test
            tls on
            tls_starttls {starttls}
            tls_trust_file {server.cert}
            tls_host_override {HOST}
            """))
        config.chmod(0o600)
        subject, body, data = message("alice@example.test", "bob@example.test")
        out = run(["msmtp", "-C", str(config), "bob@example.test"], input=data)
        assert out.returncode == 0, out
        assert wait_for_subject(server.port[993], "bob@example.test",
                                USERS["bob@example.test"], subject) == body


def mbsync(server, tmp_path):
    config = tmp_path / "mbsyncrc"
    near = tmp_path / "near"
    near.mkdir(exist_ok=True)
    config.write_text(textwrap.dedent(f"""\
        IMAPAccount alice
        Host 127.0.0.1
        Port {server.port[993]}
        User alice@example.test
        Pass {USERS["alice@example.test"]}
        SSLType IMAPS
        CertificateFile {server.cert}

        IMAPStore far
        Account alice

        MaildirStore near
        Path {near}/
        Inbox {near}/INBOX
        SubFolders Verbatim

        Channel alice
        Far :far:
        Near :near:
        Patterns *
        Create Both
        Expunge Both
        SyncState *
        """))
    return run(["mbsync", "-c", str(config), "-a"]), near


def test_mbsync_syncs_both_ways_after_a_sieve_script_was_uploaded_with_sieve_connect(
        server, tmp_path):
    user, password = "alice@example.test", USERS["alice@example.test"]
    script = tmp_path / "filing.sieve"
    script.write_text(FILING)
    read, write = os.pipe()
    os.write(write, f"{password}\n".encode())
    os.close(write)
    common = ["--server", "127.0.0.1", "--port", str(server.port[4190]), "--user", user,
              "--passwordfd", str(read), "--tlscafile", str(server.cert), "--tlshostname", HOST]
    for action in (["--upload", "--localsieve", str(script), "--remotesieve", "filing"],):
        out = run(["sieve-connect", *common, *action], pass_fds=(read,))
        assert out.returncode == 0, out
    os.close(read)
    read, write = os.pipe()
    os.write(write, f"{password}\n".encode())
    os.close(write)
    out = run(["sieve-connect", *common, "--activate", "--remotesieve", "filing"],
              pass_fds=(read,))
    os.close(read)
    assert out.returncode == 0, out
    # The script files mail (into a folder with a dot in its name) ...
    _, _, data = message("x@example.net", user, subject="acme order 7")
    send_25(server.port[25], "x@example.net", [user], data)
    filed(server.port[993], user, password, "Clients.ACME", "acme order 7")
    # ... and mbsync runs clean afterwards (it stopped at a phantom "dovecot/sieve" before).
    out, near = mbsync(server, tmp_path)
    assert out.returncode == 0, out
    filed_near = [f for sub in ("cur", "new") for f in (near / "Clients.ACME" / sub).iterdir()]
    assert any("acme order 7" in f.read_text() for f in filed_near), filed_near
    # Both ways: a folder made on the near side, with a dot, reaches the server.
    local = near / "Projects.2026"
    for sub in ("cur", "new", "tmp"):
        (local / sub).mkdir(parents=True)
    (local / "new" / "1.near").write_text(message(user, user, subject="near side")[2])
    out, _ = mbsync(server, tmp_path)
    assert out.returncode == 0, out
    assert "Projects.2026" in folders(server.port[993], user, password)
    filed(server.port[993], user, password, "Projects.2026", "near side")
    out, _ = mbsync(server, tmp_path)  # and a third run has nothing to complain of
    assert out.returncode == 0, out


def test_fetchmail_retrieves_over_pop3s(server, tmp_path):
    subject, body, data = message("x@example.net", "bob@example.test")
    send_25(server.port[25], "x@example.net", ["bob@example.test"], data)
    wait_for_subject(server.port[993], "bob@example.test", USERS["bob@example.test"], subject)
    mbox = tmp_path / "fetched"
    rc = tmp_path / "fetchmailrc"
    rc.write_text(textwrap.dedent(f"""\
        poll 127.0.0.1 with protocol pop3 and port {server.port[995]}:
          user "bob@example.test" there with password "{USERS['bob@example.test']}" is root here
          ssl sslcertck sslcertfile "{server.cert}" sslcommonname "{HOST}"
          mda "/bin/sh -c 'cat >> {mbox}'"
        """))
    rc.chmod(0o600)
    out = run(["fetchmail", "-f", str(rc), "--pidfile", str(tmp_path / "pid"), "--nosyslog"],
              env={**os.environ, "HOME": str(tmp_path)})
    assert out.returncode == 0, out
    assert subject in mbox.read_text()


def test_swaks_on_port_25_cannot_claim_a_sender_of_our_domains(server):
    out = run(["swaks", "--server", f"127.0.0.1:{server.port[25]}", "--from",
               "alice@example.test", "--to", "bob@example.test", "--tls", "--tls-verify",
               "--tls-ca-path", str(server.cert), "--tls-sni", HOST])
    assert out.returncode != 0, out.stdout
    assert "554 5.7.1" in out.stdout, out.stdout


def swaks_587(server, header_from, user="alice@example.test", name="From"):
    return run(["swaks", "--server", f"127.0.0.1:{server.port[587]}", "--tls", "--tls-verify",
                "--tls-ca-path", str(server.cert), "--tls-sni", HOST, "--auth", "PLAIN",
                "--auth-user", user, "--auth-password", USERS[user], "--from", user,
                "--to", "bob@example.test", "--header", f"{name}: {header_from}",
                "--header", f"Subject: from {header_from}"])


@pytest.mark.rspamd  # the header From check is rspamd's (rspamd.local.lua)
def test_swaks_on_587_cannot_put_another_user_in_the_header_from(server):
    """Issue 13 item 3: the header From must be an address the login owns (rspamd's
    MAILINIT_FROM_NOT_OWNED, against the sender-logins map). Refused: another user of ours,
    a foreign address. Taken: the login's own address, and an alias that leads to it."""
    for name, header_from in (("From", "bob@example.test"), ("From", "Bob <bob@example.test>"),
                              ("From", "ceo@example.net"),
                              # RFC 5322's obsolete syntax, white space before the colon:
                              # mail readers take it as the From.
                              ("From ", "bob@example.test")):
        out = swaks_587(server, header_from, name=name)
        assert out.returncode != 0, out.stdout
        assert "5.7.1 The From header must be an address of your login" in out.stdout, out.stdout
    (server.config_dir / "aliases").write_text("sales@example.test alice@example.test\n")
    for header_from in ("alice@example.test", "Alice <ALICE@example.test>",
                        "sales@example.test"):
        deadline = time.monotonic() + 15
        while (out := swaks_587(server, header_from)).returncode != 0:
            # sales@ is an alias of alice's once the live reload has rendered the maps.
            assert time.monotonic() < deadline and "sales" in header_from, out.stdout
            time.sleep(0.5)
    assert wait_for_subject(server.port[993], "bob@example.test", USERS["bob@example.test"],
                            "from sales@example.test")


def inbox(server, user):
    """Every message in USER's INBOX, parsed."""
    client = imap_connect_and_login(server.port[993], user, USERS[user], "ssl")
    client.select("INBOX")
    _, ids = client.search(None, "ALL")
    messages = [email.message_from_bytes(client.fetch(n, "(RFC822)")[1][0][1])
                for n in ids[0].split()]
    client.logout()
    return messages


def wait_for(server, user, wanted, count=1, timeout=30):
    deadline = time.monotonic() + timeout
    while len(found := [m for m in inbox(server, user) if wanted(m)]) < count:
        assert time.monotonic() < deadline, [(m["From"], m["Subject"]) for m in inbox(server, user)]
        time.sleep(0.3)
    return found


@pytest.mark.rspamd  # the header From check is rspamd's (rspamd.local.lua)
def test_a_sieve_vacation_or_notification_cannot_put_another_user_in_the_header_from(server):
    """Issue 13 item 3, the Sieve way round: a user writes a vacation reply's From and text
    (":from"), and a notification's; Dovecot sends them through Postfix's sendmail. Before,
    only OpenDKIM saw that mail, so alice could have the server sign mail as bob. Now rspamd
    checks it too, against the envelope sender Dovecot sets to the user's own address: a
    forged From is refused (the bounce tells alice why), her own is sent, signed."""
    alice, bob = "alice@example.test", "bob@example.test"

    def sieve(sender, tag):
        return textwrap.dedent(f"""\
            require ["vacation", "enotify"];
            if header :contains "Subject" "{tag}" {{
              notify :from "{sender}" :message "notice {tag}" "mailto:{bob}";
              vacation :days 1 :from "{sender}" :subject "away {tag}" "Back on Monday.";
            }}
            """)

    def mail_alice(subject):
        data = message(bob, alice, subject=subject)[2]
        submit(server.port[587], bob, USERS[bob], bob, [alice], data)

    managesieve_put(server.port[4190], alice, USERS[alice], "away", sieve(f"Bob <{bob}>", "forged"))
    mail_alice("forged trigger")
    bounces = wait_for(server, alice, lambda m: m["Auto-Submitted"] == "auto-replied", count=2)
    for bounce in bounces:
        text = "".join(part.get_payload(decode=True).decode(errors="replace")
                       for part in bounce.walk() if part.get_content_type() == "text/plain")
        assert "The From header must be an address of your login" in text, text

    managesieve_put(server.port[4190], alice, USERS[alice], "away", sieve(f"Alice <{alice}>", "own"))
    mail_alice("own trigger")
    replies = wait_for(server, bob, lambda m: m["Subject"] in ("away own", "notice own"), count=2)
    for reply in replies:
        assert alice in reply["From"]
        assert "d=example.test" in reply["DKIM-Signature"], reply["DKIM-Signature"]
    # Nothing forged reached bob: the bounces above came after rspamd refused both.
    assert not [m["Subject"] for m in inbox(server, bob) if "forged" in m["Subject"]]
    # "reject" would answer a forgeable envelope sender from <> as our postmaster: it is off,
    # and a script asking for it is refused at upload.
    with pytest.raises(AssertionError, match=r"\['NO "):  # PUTSCRIPT refused
        managesieve_put(server.port[4190], alice, USERS[alice], "bounce",
                        'require "reject";\nreject "Go away.";\n')


def test_with_rspamd_off_the_header_from_is_not_checked_as_the_docs_say(start, tmp_path):
    c = start(accounts=USERS, env={"ENABLE_RSPAMD": "no"})
    c.cert = c.config_dir / "tls" / "cert.pem"
    out = swaks_587(c, "bob@example.test")
    assert out.returncode == 0, out.stdout
