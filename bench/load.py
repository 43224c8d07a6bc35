#!/usr/bin/env python3
"""Load on a running mailinit container, from outside, with Python's clients.

load.py smtp HOST_PORT_25 MAIL_DIR COUNT SESSIONS [MAILBOXES]
    COUNT messages over SESSIONS concurrent SMTP sessions to port 25, each to one of the
    accounts load0..load9@example.test (the first MAILBOXES of them, default all ten); then
    waits until every accepted message is in a Maildir (MAIL_DIR is the host directory
    mounted at /var/mail), counted by Message-ID.
    Prints accepted/s (SMTP) and delivered/s (into Maildir); exits 1 on any loss or duplicate.

load.py queue HOST_PORT_25 IDS_FILE COUNT SESSIONS
    COUNT messages over SESSIONS sessions to one account (load0); the accepted Message-IDs go to
    IDS_FILE (bench/startup.sh then stops and restarts the container).

load.py count MAIL_DIR IDS_FILE DELIVERED_AT_STOP
    Waits until every Message-ID in IDS_FILE is in a Maildir; prints lost and duplicated;
    exits 1 on any.

load.py imap HOST_PORT_993 CLIENTS ROUNDS [PASSWORD [ACCOUNT...]]
    CLIENTS concurrent IMAPS clients, each ROUNDS times: log in, select INBOX, fetch the
    headers of the newest 10 messages, log out; as the ACCOUNTS in turn (load0..load9, with
    PASSWORD load-pw). Prints logins/s; exits 1 on any failure.

load.py greetings SMTP_PORT IMAP_PORT POP3_PORT
    Returns once all three on 127.0.0.1 greet ("220", "* OK", "+OK"), trying every 5 ms.
"""

import email.parser
import imaplib
import smtplib
import socket
import ssl
import sys
import threading
import time
import uuid
from pathlib import Path

ACCOUNTS = [f"load{i}@example.test" for i in range(10)]
# The name the load says HELO with, as a real client's host does (smtplib's default is the
# machine's name, "[127.0.0.1]" where that is "localhost", which rspamd scores as spam).
HELO = "load.example.net"


def run_concurrently(work, count):
    """work(0) ... work(count - 1), each in its own thread; returns when all are done."""
    threads = [threading.Thread(target=work, args=(n,)) for n in range(count)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()


def send(port, count, sessions, mailboxes=len(ACCOUNTS)):
    """COUNT messages over SESSIONS concurrent sessions; returns (accepted Message-IDs, errors,
    seconds taken)."""
    accepted, errors, lock = [], [], threading.Lock()
    per_session = count // sessions

    def session(n):
        client = smtplib.SMTP("127.0.0.1", port, local_hostname=HELO, timeout=60)
        for i in range(per_session):
            rcpt = ACCOUNTS[(n + i) % mailboxes]
            mid = f"<{uuid.uuid4().hex}@load.example>"
            data = (f"From: load@example.net\r\nTo: {rcpt}\r\nSubject: load {n}/{i}\r\n"
                    f"Message-ID: {mid}\r\n\r\n" + "x" * 1000 + "\r\n")
            try:
                client.sendmail("load@example.net", [rcpt], data)
                with lock:
                    accepted.append(mid)
            except smtplib.SMTPException as e:
                with lock:
                    errors.append(repr(e))
                client = smtplib.SMTP("127.0.0.1", port, local_hostname=HELO, timeout=60)
        client.quit()

    past_postscreen(port)
    began = time.monotonic()
    run_concurrently(session, sessions)
    return accepted, errors, time.monotonic() - began


def past_postscreen(port):
    """postscreen (port 25) holds a client it has not seen before for 6 s before its banner,
    once a day: one session before the clock starts, so that the figures are throughput."""
    with smtplib.SMTP("127.0.0.1", port, local_hostname=HELO, timeout=60) as client:
        client.ehlo()


def wait_delivered(mail_dir, accepted, timeout=600):
    """Waits until every accepted Message-ID is in a Maildir (or TIMEOUT seconds); returns
    {Message-ID: copies} of what is there."""
    parser = email.parser.BytesHeaderParser()
    counts = {}
    deadline = time.monotonic() + timeout
    seen_files = set()
    while time.monotonic() < deadline:
        for path in Path(mail_dir, "vhosts", "example.test").glob("load*/new/*"):
            if path not in seen_files:
                seen_files.add(path)
                mid = parser.parsebytes(path.read_bytes())["Message-ID"]
                counts[mid] = counts.get(mid, 0) + 1
        if len(counts) >= len(accepted) and all(m in counts for m in accepted):
            break
        time.sleep(0.2)
    return counts


def smtp(port, mail_dir, count, sessions, mailboxes=len(ACCOUNTS)):
    began = time.monotonic()
    accepted, errors, sent = send(port, count, sessions, mailboxes)
    counts = wait_delivered(mail_dir, accepted)
    delivered = time.monotonic() - began
    lost = [m for m in accepted if m not in counts]
    doubled = [m for m, n in counts.items() if n > 1]
    print(f"smtp: {len(accepted)} accepted of {count // sessions * sessions} over {sessions} "
          f"sessions to {mailboxes} mailboxes, "
          f"{len(errors)} refused, {len(lost)} lost, {len(doubled)} duplicated")
    print(f"smtp: accepted {len(accepted) / sent:.0f} messages/s ({sent:.1f} s); "
          f"delivered into Maildir {len(counts) / delivered:.0f} messages/s ({delivered:.1f} s)")
    return 0 if not lost and not doubled and not errors else 1


def queue(port, ids_file, count, sessions):
    """Sends COUNT messages to one mailbox (one delivery at a time there, so most are still
    in Postfix's queue when the sending ends) and writes the accepted Message-IDs to IDS_FILE, one a line, for
    count() after a stop and a start. Prints nothing; exits 1 if any was refused."""
    accepted, errors, _ = send(port, count, sessions, mailboxes=1)
    Path(ids_file).write_text("".join(m + "\n" for m in accepted))
    for e in errors[:1]:
        print("queue: first refusal:", e)
    return 0 if not errors else 1


def count(mail_dir, ids_file, before):
    """After a restart: waits (up to 120 s) for every Message-ID in IDS_FILE; BEFORE is how many
    were in the Maildirs when the stop began. Prints accepted, lost and duplicated."""
    accepted = Path(ids_file).read_text().split()
    counts = wait_delivered(mail_dir, accepted, timeout=120)
    lost = [m for m in accepted if m not in counts]
    doubled = [m for m, n in counts.items() if n > 1]
    print(f"stop with mail queued: {len(accepted)} accepted, {len(accepted) - before} of them "
          f"not yet delivered at podman stop; after the restart {len(lost)} lost, "
          f"{len(doubled)} duplicated")
    return 0 if not lost and not doubled else 1


def imap(port, clients, rounds, password="load-pw", accounts=ACCOUNTS):
    context = ssl.create_default_context()
    context.check_hostname = False
    context.verify_mode = ssl.CERT_NONE
    failures, lock = [], threading.Lock()
    logins = [0]

    def client(n):
        for _ in range(rounds):
            try:
                c = imaplib.IMAP4_SSL("127.0.0.1", port, ssl_context=context)
                c.login(accounts[n % len(accounts)], password)
                _, data = c.select("INBOX")
                total = int(data[0])
                if total:
                    c.fetch(f"{max(1, total - 9)}:{total}", "(BODY.PEEK[HEADER])")
                c.logout()
                with lock:
                    logins[0] += 1
            except Exception as e:  # every failure is reported
                with lock:
                    failures.append(repr(e))

    began = time.monotonic()
    run_concurrently(client, clients)
    took = time.monotonic() - began
    print(f"imap: {logins[0]} logins with select and fetch by {clients} concurrent clients, "
          f"{len(failures)} failed; {logins[0] / took:.0f} logins/s ({took:.1f} s)")
    if failures:
        print("imap: first failure:", failures[0])
    return 0 if not failures else 1


def greetings(smtp_port, imap_port, pop3_port):
    want = {smtp_port: "220", imap_port: "* OK", pop3_port: "+OK"}
    while want:
        for port, prefix in list(want.items()):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.settimeout(1)
                    if s.recv(64).decode(errors="replace").startswith(prefix):
                        del want[port]
            except OSError:
                pass
        time.sleep(0.005)
    return 0


if __name__ == "__main__":
    if sys.argv[1] == "greetings":
        sys.exit(greetings(*(int(a) for a in sys.argv[2:5])))
    if sys.argv[1] == "queue":
        sys.exit(queue(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])))
    if sys.argv[1] == "count":
        sys.exit(count(sys.argv[2], sys.argv[3], int(sys.argv[4])))
    if sys.argv[1] == "smtp":
        sys.exit(smtp(int(sys.argv[2]), sys.argv[3], int(sys.argv[4]), int(sys.argv[5]),
                      *(int(a) for a in sys.argv[6:7])))
    sys.exit(imap(int(sys.argv[2]), int(sys.argv[3]), int(sys.argv[4]), *sys.argv[5:6],
                  *([sys.argv[6:]] if len(sys.argv) > 6 else [])))
