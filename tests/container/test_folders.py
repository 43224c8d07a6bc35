"""What a mail client's folder list shows: mail folders only, whatever the Sieve scripts and
Dovecot keep for themselves, and any folder name a client may make (dots too)."""

import imaplib
import re
import time

from clients import managesieve_put, message, send_25, tls_context, wait_for_subject

USERS = {"alice@example.test": "alice-secret-1"}
FILING = ('require ["fileinto", "mailbox"];\n'
          'if header :contains "subject" "acme" { fileinto :create "Clients.ACME"; }\n')


def folders(port, user, password):
    """Every folder LIST shows, each SELECTed (a phantom one fails there)."""
    client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls_context())
    client.login(user, password)
    names = []
    for line in client.list('""', "*")[1]:
        name = re.match(rb'\(.*?\) "/" (.+)$', line).group(1).decode().strip('"')
        status, answer = client.select(f'"{name}"')
        assert status == "OK", (name, answer)
        names.append(name)
    client.logout()
    return names


def filed(port, user, password, folder, subject, timeout=15):
    deadline = time.monotonic() + timeout
    while True:
        client = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=tls_context())
        client.login(user, password)
        status, _ = client.select(f'"{folder}"')
        found = status == "OK" and client.search(None, "SUBJECT", f'"{subject}"')[1][0]
        client.logout()
        if found:
            return
        assert time.monotonic() < deadline, f"{subject!r} never filed into {folder}"
        time.sleep(0.2)


def test_sieve_and_dovecot_files_never_show_as_folders_and_dotted_names_work(start):
    c = start(accounts=USERS, env={"ENABLE_MANAGESIEVE": "yes"})
    user, password = "alice@example.test", USERS["alice@example.test"]
    managesieve_put(c.port[4190], user, password, "filing", FILING)
    for subject in ("acme order 1", "plain note"):
        _, _, data = message("x@example.net", user, subject=subject)
        send_25(c.port[25], "x@example.net", [user], data)
    filed(c.port[993], user, password, "Clients.ACME", "acme order 1")
    wait_for_subject(c.port[993], user, password, "plain note")
    # A client makes a dotted folder of its own and moves mail into it.
    client = imaplib.IMAP4_SSL("127.0.0.1", c.port[993], ssl_context=tls_context())
    client.login(user, password)
    assert client.create('"Projects.2026"')[0] == "OK"
    client.select("INBOX")
    assert client.copy("1", '"Projects.2026"')[0] == "OK"
    client.logout()
    names = folders(c.port[993], user, password)
    # Delivery wrote its duplicate database and ManageSieve its active link: in the home.
    assert not [n for n in names if n.lower().startswith("dovecot")], names
    assert {"INBOX", "Clients.ACME", "Projects.2026"} <= set(names), names
    ls = c.exec("ls", "-a", "/var/mail/vhosts/example.test/alice").stdout.split()
    assert not [n for n in ls if n.startswith(".dovecot") or n == "sieve"], ls


def test_a_store_of_the_old_layout_is_moved_at_start_and_its_sieve_script_still_files(start):
    c = start(accounts=USERS, env={"ENABLE_MANAGESIEVE": "yes"})
    user, password = "alice@example.test", USERS["alice@example.test"]
    # What the previous image left: home and Maildir one directory, with an active script,
    # the duplicate database and its lock directory in it (made as vmail, as Dovecot did).
    maildir = "/var/mail/vhosts/example.test/alice"
    c.exec("setpriv", "--reuid=5000", "--regid=5000", "--clear-groups", "sh", "-c",
           f"mkdir -p {maildir}/sieve {maildir}/.dovecot.lda-dupes.locks && "
           f"printf '%s' '{FILING}' > {maildir}/sieve/old.sieve && "
           f"ln -s sieve/old.sieve {maildir}/.dovecot.sieve && "
           f": > {maildir}/.dovecot.lda-dupes")
    c.restart()
    assert "alice@example.test: moved Dovecot's own files out of the Maildir" in c.logs()
    _, _, data = message("x@example.net", user, subject="acme order 2")
    send_25(c.port[25], "x@example.net", [user], data)
    filed(c.port[993], user, password, "Clients.ACME", "acme order 2")  # the moved script
    names = folders(c.port[993], user, password)
    assert not [n for n in names if n.lower().startswith("dovecot")], names
    # A second start finds nothing left to move.
    c.restart()
    assert c.logs().count("moved Dovecot's own files") == 1
