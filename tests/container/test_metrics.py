"""The OpenMetrics endpoint (METRICS=yes), scraped from outside with Prometheus' own parser
(python3-prometheus-client) after known traffic: each counter moved by exactly what was
done, the services' state follows a kill, and the endpoint's two halves run as users that
own nothing of the mail."""

import imaplib
import json
import re
import smtplib
import ssl
import subprocess
import time
import urllib.request
from pathlib import Path

import pytest
from prometheus_client.openmetrics.parser import text_string_to_metric_families

from conftest import LEAN
from clients import message, send_25, submit, tls_context, wait_for_subject

DASHBOARD = Path(__file__).resolve().parents[2] / "deploy" / "grafana" / "mailinit.json"
ALICE, PASSWORD = "alice@example.test", "alice-secret-1"
USERS = {ALICE: PASSWORD}


def scrape(c):
    with urllib.request.urlopen(f"http://127.0.0.1:{c.port[9154]}/metrics", timeout=10) as r:
        assert r.headers["Content-Type"].startswith("application/openmetrics-text")
        text = r.read().decode()
    return {(s.name, tuple(sorted(s.labels.items()))): s.value
            for family in text_string_to_metric_families(text) for s in family.samples}


def sample(metrics, metric, **labels):
    return metrics.get((metric, tuple(sorted(labels.items()))))


def moved(before, after, metric, **labels):
    """How far a sample moved; one Dovecot groups by a label appears with its first event."""
    now = sample(after, metric, **labels)
    assert now is not None, (metric, labels)
    return now - (sample(before, metric, **labels) or 0)


def wait_until(c, check, timeout=30):
    deadline = time.monotonic() + timeout
    while True:
        metrics = scrape(c)
        if check(metrics) or time.monotonic() > deadline:
            return metrics
        time.sleep(0.5)


def failed_imap_login(c):
    with imaplib.IMAP4_SSL("127.0.0.1", c.port[993], ssl_context=tls_context(),
                           timeout=30) as client:
        with pytest.raises(imaplib.IMAP4.error):
            client.login(ALICE, "wrong-password")


def test_each_counter_moves_by_what_was_done(start):
    c = start(accounts=USERS, env={"METRICS": "yes"}, publish=(9154,))
    before = scrape(c)
    delivered = ("mailinit_deliveries_total", {"transport": "lmtp", "status": "sent"})

    # Two messages on port 25, one refused recipient, one message submitted with a login.
    subjects = []
    for _ in range(2):
        subject, _, data = message("friend@example.net", ALICE)
        send_25(c.port[25], "friend@example.net", [ALICE], data)
        subjects.append(subject)
    _, _, data = message("friend@example.net", "nobody@example.test")
    with pytest.raises(smtplib.SMTPRecipientsRefused):
        send_25(c.port[25], "friend@example.net", ["nobody@example.test"], data)
    subject, _, data = message(ALICE, ALICE)
    submit(c.port[587], ALICE, PASSWORD, ALICE, [ALICE], data)
    subjects.append(subject)
    for subject in subjects:
        assert wait_for_subject(c.port[993], ALICE, PASSWORD, subject)  # IMAP logins too
    failed_imap_login(c)
    failed_imap_login(c)

    after = wait_until(c, lambda m: moved(before, m, "mailinit_logins_total",
                                          protocol="imap", result="failure") >= 2)
    assert moved(before, after, "mailinit_messages_received_total") == 3
    assert moved(before, after, delivered[0], **delivered[1]) == 3
    assert moved(before, after, "mailinit_rejections_total", reason="unknown_user") == 1
    # Postfix logs no successful AUTH; Dovecot, which it asks, counts it.
    assert sample(after, "mailinit_logins_total", protocol="smtp", result="success") is None
    assert moved(before, after, "dovecot_auth_success_total", service="smtp") == 1
    assert moved(before, after, "mailinit_logins_total", protocol="imap", result="failure") == 2
    assert moved(before, after, "mailinit_logins_total", protocol="imap",
                 result="success") >= 3
    # rspamd (on by default; off in the lean suite) scanned the three messages with a DATA.
    scans = [key for key in after if key[0] == "mailinit_spam_scans_total"]
    assert len(scans) == 7, scans
    assert sum(after[k] - before[k] for k in scans) == (0 if LEAN else 3), scans
    for reason in ("rbl", "spam", "dmarc", "quota", "rate_limit", "banned", "other"):
        assert moved(before, after, "mailinit_rejections_total", reason=reason) == 0, reason
    assert moved(before, after, "mailinit_deliveries_total", transport="lmtp",
                 status="deferred") == 0
    # Dovecot's own counters, in the same scrape.
    assert sample(after, "mailinit_dovecot_stats_up") == 1
    assert moved(before, after, "dovecot_mail_delivery_total") == 3
    assert moved(before, after, "dovecot_auth_failure_total", service="imap") == 2
    # Every metric the Grafana dashboard asks for is served.
    served = {metric for metric, _ in after}
    for panel in json.loads(DASHBOARD.read_text())["panels"]:
        for target in panel["targets"]:
            for metric in re.findall(r"\b((?:mailinit|dovecot)_[a-z_]+)", target["expr"]):
                assert metric in served, (panel["title"], metric)

    # The bans in force (the guard counts them), the DKIM key's age, health's own line.
    c.exec("mailinit", "ban", "add", "192.0.2.99", "600")
    banned = wait_until(c, lambda m: sample(m, "mailinit_bans_active") == 1)
    assert sample(banned, "mailinit_bans_active") == 1
    made = c.exec("sh", "-c", "stat -c %Y /etc/mailinit/dkim/example.test/*.private").stdout
    selectors = {labels: value for (metric, labels), value in after.items()
                 if metric == "mailinit_dkim_key_created_timestamp_seconds"}
    assert list(selectors.values()) == [int(made)], selectors
    assert dict(next(iter(selectors)))["domain"] == "example.test"
    assert re.search(r"^ok +metrics +127\.0\.0\.1:9154 ", c.exec("mailinit", "health").stdout,
                     re.M)

    for queue in ("incoming", "active", "deferred", "hold", "maildrop"):
        assert sample(after, "mailinit_queue_messages", queue=queue) == 0, queue
    expiry = sample(after, "mailinit_tls_certificate_expiry_timestamp_seconds",
                    name="mail.example.test")
    served = ssl.get_server_certificate(("127.0.0.1", c.port[993]))
    not_after = subprocess.run(["openssl", "x509", "-noout", "-enddate"], input=served,
                               capture_output=True, text=True, check=True).stdout
    assert expiry == ssl.cert_time_to_seconds(not_after.strip().split("=", 1)[1])


def test_services_are_up_and_a_killed_one_counts_a_restart_and_how_it_ended(start):
    c = start(env={"METRICS": "yes", "ENABLE_RSPAMD": "no"}, publish=(9154,))
    before = scrape(c)
    for service in ("postfix", "dovecot", "opendkim", "metrics"):
        assert sample(before, "mailinit_service_up", service=service) == 1, service
        assert sample(before, "mailinit_service_restarts_total", service=service) == 0
    assert sample(before, "mailinit_service_up", service="rspamd") is None  # not enabled
    # No account: health's RCPT to postmaster@ is refused (the container's health check
    # does it every 30 s); it is not counted as a refused recipient.
    c.exec("mailinit", "health", check=False)
    assert "helo=<health.mailinit>" in c.logs() and "User unknown" in c.logs()
    assert sample(scrape(c), "mailinit_rejections_total", reason="unknown_user") == 0
    c.exec("sh", "-c", "kill -9 $(cat /run/dovecot/master.pid)")
    after = wait_until(c, lambda m: sample(m, "mailinit_service_restarts_total",
                                           service="dovecot") == 1 and
                       sample(m, "mailinit_service_up", service="dovecot") == 1)
    assert sample(after, "mailinit_service_restarts_total", service="dovecot") == 1
    assert sample(after, "mailinit_service_last_exit_status", service="dovecot") == 128 + 9
    assert sample(after, "mailinit_service_start_time_seconds", service="dovecot") >= \
        sample(before, "mailinit_service_start_time_seconds", service="dovecot")


def test_the_http_side_is_mailmetrics_and_the_queue_counter_postfix_and_off_by_default(start):
    c = start(env={"METRICS": "yes", "ENABLE_RSPAMD": "no"}, publish=(9154,))
    users = c.exec("sh", "-c", "for p in /proc/[0-9]*; do "
                   "case $(cat $p/comm 2>/dev/null) in mailinit-metric|mailinit-queue) "
                   "echo $(cat $p/comm) $(awk '/^Uid:/ {print $2}' $p/status);; esac; done"
                   ).stdout.split("\n")
    uid = {name: c.exec("id", "-u", name).stdout.strip() for name in ("_mailmetrics", "postfix")}
    found = sorted(line.split() for line in users if line)
    assert found == [["mailinit-metric", uid["_mailmetrics"]],
                     ["mailinit-queue", uid["postfix"]]], users
    # Anything but GET /metrics is refused.
    request = urllib.request.Request(f"http://127.0.0.1:{c.port[9154]}/metrics",
                                     data=b"x", method="POST")
    with pytest.raises(urllib.error.HTTPError) as refused:
        urllib.request.urlopen(request, timeout=10)
    assert refused.value.code == 405

    plain = start(env={"ENABLE_RSPAMD": "no"}, publish=(9154,))
    assert "mailinit-metric" not in plain.exec("sh", "-c", "cat /proc/[0-9]*/comm").stdout
    with pytest.raises(OSError):
        urllib.request.urlopen(f"http://127.0.0.1:{plain.port[9154]}/metrics", timeout=5)
