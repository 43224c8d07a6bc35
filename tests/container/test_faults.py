"""Fault injection under load: every message that got a 250 is in the Maildir after kill -9 of
each daemon in turn and finally of the whole container. Nothing may be lost. Duplicates are
counted and reported: Postfix delivers again whatever it did not hear "250" for, and the Sieve
"duplicate" test (before.sieve) drops such second copies, but not all: Dovecot keeps the duplicate
records of a delivery session in memory until its end, so a killed LMTP process, or sessions
racing for one mailbox's record file, lose some (measured: 0.3 to 2 % of the messages under this
treatment, all to one mailbox; docs/decisions.md). Exactly-once is not promised."""

import email.parser
import smtplib
import threading
import time
import uuid

from conftest import engine

USERS = {"bob@example.test": "bob-secret-2"}
# What gets kill -9, in this order, found by /proc/PID/comm (the image has no pgrep).
VICTIMS = [
    ("Postfix's master", "cat /var/spool/postfix/pid/master.pid"),
    ("an smtpd", "grep -lx smtpd /proc/[0-9]*/comm | head -1 | cut -d/ -f3"),
    ("Dovecot's master", "cat /run/dovecot/master.pid"),
    ("the LMTP process", "grep -lx lmtp /proc/[0-9]*/comm | head -1 | cut -d/ -f3"),
    ("OpenDKIM", "grep -lx opendkim /proc/[0-9]*/comm | head -1 | cut -d/ -f3"),
]


class Load:
    """SESSIONS SMTP sessions to port 25, each sending until stopped; Message-IDs of the
    messages that got 250, and how many were refused or cut off (not accepted: fine)."""

    def __init__(self, port, sessions=4):
        self.port = port
        self.accepted = []
        self.refused = 0
        self.stop = threading.Event()
        self.lock = threading.Lock()
        self.threads = [threading.Thread(target=self.session) for _ in range(sessions)]

    def session(self):
        while not self.stop.is_set():
            try:
                with smtplib.SMTP("127.0.0.1", self.port, timeout=10) as client:
                    for _ in range(20):
                        if self.stop.is_set():
                            return
                        mid = f"<{uuid.uuid4().hex}@load.example>"
                        data = (f"From: load@example.net\r\nTo: bob@example.test\r\n"
                                f"Subject: load\r\nMessage-ID: {mid}\r\n\r\nbody\r\n")
                        client.sendmail("load@example.net", ["bob@example.test"], data)
                        with self.lock:
                            self.accepted.append(mid)
            except (OSError, smtplib.SMTPException):
                with self.lock:
                    self.refused += 1
                time.sleep(0.1)

    def __enter__(self):
        for t in self.threads:
            t.start()
        return self

    def __exit__(self, *exc):
        self.stop.set()
        for t in self.threads:
            t.join(30)


def delivered_ids(mail_dir):
    """Message-ID -> how many times it is in bob's Maildir."""
    counts = {}
    parser = email.parser.BytesHeaderParser()
    for sub in ("new", "cur"):
        folder = mail_dir / "vhosts" / "example.test" / "bob" / sub
        for path in folder.glob("*") if folder.exists() else []:
            mid = parser.parsebytes(path.read_bytes())["Message-ID"]
            counts[mid] = counts.get(mid, 0) + 1
    return counts


def test_kill_9_of_each_daemon_then_the_container_loses_nothing(start, tmp_path):
    mail_dir, queue_dir = tmp_path / "mail", tmp_path / "queue"
    mail_dir.mkdir()
    queue_dir.mkdir()
    c = start(accounts=USERS, volumes=[f"{mail_dir}:/var/mail", f"{queue_dir}:/var/spool/postfix"])
    with Load(c.port[25]) as load:
        time.sleep(2)
        for what, find in VICTIMS:
            pid = c.exec("sh", "-c", find, check=False).stdout.split()
            assert pid, f"no {what} to kill"
            c.exec("sh", "-c", f"kill -9 {pid[0]}")
            time.sleep(3)  # mailinit restarts what died; the load goes on meanwhile
        engine("kill", "--signal", "KILL", c.name)
    accepted = list(load.accepted)
    engine("start", c.name)
    c.wait_healthy(60)
    # Mail that found Dovecot down was deferred, safe in the queue, for Postfix's next retry
    # (minutes later); ask for it now, as an operator would.
    c.exec("postqueue", "-f")
    deadline = time.monotonic() + 90
    while True:
        counts = delivered_ids(mail_dir)
        if all(mid in counts for mid in accepted) or time.monotonic() > deadline:
            break
        time.sleep(0.5)
    queue = c.exec("postqueue", "-p").stdout
    while "Mail queue is empty" not in queue and time.monotonic() < deadline + 30:
        time.sleep(0.5)  # what was queued but never acknowledged to the client, still going
        queue = c.exec("postqueue", "-p").stdout
    lost = [mid for mid in accepted if mid not in counts]
    doubled = {mid: n for mid, n in counts.items() if n > 1}
    print(f"accepted {len(accepted)}, refused or cut off {load.refused}, delivered "
          f"{len(counts)} distinct, lost {len(lost)}, duplicated {len(doubled)}")
    assert len(accepted) > 100, "the load did not run"
    assert lost == [], f"{len(lost)} accepted messages missing; queue:\n{queue}\n{c.logs()}"
    assert "Mail queue is empty" in queue
    assert set(doubled.values()) <= {2}, doubled  # never more than one extra copy
