"""What an operator sees over a container's life: start, wait, stop, restart, crash."""

import hashlib
import re
import shutil
import socket
import subprocess
import time
import uuid

from clients import message, send_25, submit, wait_for_subject
from conftest import engine

USERS = {"alice@example.test": "alice-secret-1"}


def test_hostname_equal_to_the_domain_exits_78_at_once_naming_both(start):
    began = time.monotonic()
    c = start(env={"MAIL_HOSTNAME": "example.test"}, wait=False)
    status = engine("wait", c.name, timeout=30).stdout.strip()
    assert status == "78"
    assert time.monotonic() - began < 10
    logs = c.logs()
    assert 'MAIL_HOSTNAME: "example.test" is the mail domain "example.test"' in logs
    assert "nothing was started" in logs


def test_it_waits_for_the_certificate_and_serves_as_soon_as_it_appears(start, tmp_path):
    """The certificate is watched for, not waited out: with CERT_WAIT at 600 s the server
    serves long before the wait would end (how soon is measured, not asserted: a loaded test
    machine is no stopwatch)."""
    certs = tmp_path / "certs"
    certs.mkdir()
    c = start(env={"CERT_PATH": "/certs/live/mail", "CERT_WAIT": "600"},
              volumes=[f"{certs}:/certs:ro"], wait=False)
    deadline = time.monotonic() + 15
    while "waiting up to 600 s for the certificate" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.1)
    assert not c.healthy()
    # certbot's layout appears: live/mail with the two files.
    staging = tmp_path / "staging"
    staging.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=mail.example.test",
                    "-addext", "subjectAltName=DNS:mail.example.test",
                    "-keyout", str(staging / "privkey.pem"), "-out",
                    str(staging / "fullchain.pem"), "-days", "30"], check=True,
                   capture_output=True)
    (certs / "live").mkdir()
    appeared = time.monotonic()
    shutil.move(str(staging), str(certs / "live" / "mail"))
    waiting = {c.port[25]: b"220", c.port[143]: b"* OK"}
    while waiting:
        assert time.monotonic() - appeared < 120, c.logs()
        for port, greeting in list(waiting.items()):
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
                    s.settimeout(1)
                    if s.recv(16).startswith(greeting):
                        del waiting[port]
            except OSError:
                pass
        time.sleep(0.01)
    print(f"serving {time.monotonic() - appeared:.2f} s after the files appeared")
    c.wait_healthy()


def test_stop_is_quick_and_clean_and_the_queue_survives_on_its_volume(start):
    volume = f"mailinit-spool-{uuid.uuid4().hex[:8]}"
    try:
        c = start(accounts=USERS, env={"RELAYHOST": "[127.0.0.1]:2526"},
                  volumes=[f"{volume}:/var/spool/postfix"])
        # Nobody listens on 2526 yet: outbound mail waits in the queue.
        _, _, data = message("alice@example.test", "friend@elsewhere.example",
                             subject="queued across a restart")
        submit(c.port[587], "alice@example.test", USERS["alice@example.test"],
               "alice@example.test", ["friend@elsewhere.example"], data)
        deadline = time.monotonic() + 10
        while "friend@elsewhere.example" not in c.exec("postqueue", "-p").stdout:
            assert time.monotonic() < deadline, c.logs()
            time.sleep(0.2)
        began = time.monotonic()
        engine("stop", "-t", "10", c.name)
        stopped = time.monotonic() - began
        assert c.exit_code() == 0, c.logs()
        assert stopped < 8, f"podman stop took {stopped:.1f} s"
        assert "all services stopped" in c.logs()
        engine("start", c.name)
        c.wait_healthy()
        c.exec("sh", "-c", "mkdir -p /tmp/sink && chown postfix /tmp/sink && "
                           "(smtp-sink -u postfix -d /tmp/sink/%M. 127.0.0.1:2526 10 "
                           ">/dev/null 2>&1 &)")
        c.exec("postqueue", "-f")
        deadline = time.monotonic() + 20
        while "queued across a restart" not in c.exec("sh", "-c", "cat /tmp/sink/* 2>/dev/null",
                                                      check=False).stdout:
            assert time.monotonic() < deadline, c.logs()
            time.sleep(0.3)
    finally:
        engine("rm", "-f", "-v", "-t", "0", c.name, check=False)
        engine("volume", "rm", "-f", volume, check=False)


def test_ten_restarts_leave_a_working_server_with_the_same_configuration(start):
    c = start(accounts=USERS)

    def config_digest():
        files = c.exec("sh", "-c", "cat /etc/postfix/main.cf /etc/postfix/master.cf "
                                   "/etc/dovecot/dovecot.conf /etc/opendkim.conf "
                                   "/etc/mailinit/tls/cert.pem /etc/mailinit/dkim/*/*.private")
        return hashlib.sha256(files.stdout.encode()).hexdigest()

    before = config_digest()
    for _ in range(10):
        engine("restart", "-t", "10", c.name)
    c.wait_healthy()
    assert config_digest() == before
    subject, body, data = message("x@example.net", "alice@example.test")
    send_25(c.port[25], "x@example.net", ["alice@example.test"], data)
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject) == body


def test_pid_1_is_mailinit_without_openssl_and_a_reload_still_provisions(start):
    """PID 1 is mailinit-init, named mailinit: OpenSSL (1.7 MB of its resident memory when it
    was linked in) is only in the provisioning child, which a live reload runs again."""
    c = start(accounts=USERS)
    assert c.exec("cat", "/proc/1/comm").stdout == "mailinit\n"
    maps = c.exec("cat", "/proc/1/maps").stdout
    assert "/usr/bin/mailinit-init" in maps
    assert "libcrypto" not in maps and "libssl" not in maps, maps
    before = c.logs().count("reload: configuration rendered and verified")
    engine("exec", "-i", c.name, "mailinit", "user", "add", "bob@example.test",
           "--password-stdin", input="bob-secret-22\n")
    deadline = time.monotonic() + 30
    while c.logs().count("reload: configuration rendered and verified") == before:
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.2)
    subject, body, data = message("x@example.net", "bob@example.test")
    send_25(c.port[25], "x@example.net", ["bob@example.test"], data)
    assert wait_for_subject(c.port[993], "bob@example.test", "bob-secret-22", subject) == body


def test_a_killed_daemon_is_restarted_and_mail_flows_again(start):
    c = start(accounts=USERS)

    def crashes(name):
        return len(re.findall(rf"\b{name}: [^\n]* unexpectedly$", c.logs(), re.M))

    for name, pidfile in (("dovecot", "/run/dovecot/master.pid"),
                          ("postfix", "/var/spool/postfix/pid/master.pid")):
        starts = c.logs().count(f"{name}: started with pid")
        seen = crashes(name)
        c.exec("sh", "-c", f"kill -9 $(cat {pidfile})")
        deadline = time.monotonic() + 20
        while c.logs().count(f"{name}: started with pid") <= starts:
            assert time.monotonic() < deadline, c.logs()
            time.sleep(0.2)
        # This daemon's own unexpected end, logged before its restart (the second
        # time round, dovecot's line alone would have done).
        assert crashes(name) > seen, c.logs()
        c.wait_healthy()
        subject, body, data = message("x@example.net", "alice@example.test")
        send_25(c.port[25], "x@example.net", ["alice@example.test"], data)
        assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                                subject) == body


def test_postfix_start_fg_killed_alone_leaves_master_serving_and_supervised(start):
    # "postfix start-fg" is a shell script waiting for master: killed alone, it leaves master
    # running. Restarting it gave "the Postfix mail system is already running" until the
    # restart limit stopped the whole container.
    c = start(accounts=USERS)
    script = re.search(r"postfix: started with pid (\d+)", c.logs()).group(1)
    master = c.exec("cat", "/var/spool/postfix/pid/master.pid").stdout.strip()
    c.exec("sh", "-c", f"kill -9 {script}")  # no kill(1) in the image: the shell's
    deadline = time.monotonic() + 10
    while "runs on: supervising that" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.1)
    assert (f"postfix: killed by signal 9 (SIGKILL), but its daemon (pid {master}, in "
            "/var/spool/postfix/pid/master.pid) runs on: supervising that") in c.logs()
    subject, body, data = message("x@example.net", "alice@example.test")
    send_25(c.port[25], "x@example.net", ["alice@example.test"], data)
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject) == body
    logs = c.logs()
    assert "already running" not in logs and logs.count("postfix: started with pid") == 1, logs
    # Still under supervision: the stop reaches master, and the container exits cleanly.
    engine("stop", c.name, timeout=60)
    assert c.exit_code() == 0, c.logs()
    assert "postfix: still running at the grace limit" not in c.logs()


def test_healthcheck_is_healthy_when_serving_and_unhealthy_when_a_listener_is_gone(start):
    c = start()
    assert engine("healthcheck", "run", c.name, check=False).returncode == 0
    # Freeze Dovecot: its listeners accept nothing any more.
    c.exec("sh", "-c", "kill -STOP $(cat /run/dovecot/master.pid)")
    try:
        began = time.monotonic()
        assert engine("healthcheck", "run", c.name, check=False).returncode == 1
        assert time.monotonic() - began < 10
    finally:
        c.exec("sh", "-c", "kill -CONT $(cat /run/dovecot/master.pid)")


def test_health_fails_when_a_map_cannot_be_read_though_every_banner_answers(start):
    c = start(accounts=USERS)
    health = c.exec("mailinit", "health", check=False)
    assert health.returncode == 0, health.stdout
    assert re.search(r"ok\s+smtp\s", health.stdout), health.stdout
    # A map Postfix refuses (a duplicate key), as a bad rendering or hand edit would leave it:
    # every recipient then gets "451 4.3.0 Temporary lookup failure" while the banner answers.
    c.exec("sh", "-c", "printf 'x@example.test alice@example.test\\nx@example.test "
                       "alice@example.test\\n' >> /run/mailinit/etc/postfix/virtual && "
                       "postfix reload")
    deadline = time.monotonic() + 20
    while (health := c.exec("mailinit", "health", check=False)).returncode == 0:
        assert time.monotonic() < deadline, health.stdout
        time.sleep(0.5)
    assert re.search(r"FAIL\s+smtp\s+127.0.0.1:25\s+RCPT TO:<postmaster@example.test> "
                     r"answered 451", health.stdout), health.stdout


def test_health_warns_of_a_refused_live_change_and_mail_still_flows(start):
    c = start(accounts=USERS)
    (c.config_dir / "aliases").write_text("broken-line-without-a-target\n")
    deadline = time.monotonic() + 20
    while "reload: the new configuration was refused" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.2)
    health = c.exec("mailinit", "health", check=False)
    # Mail flows on the last good configuration: healthy, so nothing restarts it into the
    # refused one; but the warning says the next start would fail.
    assert health.returncode == 0, health.stdout
    assert re.search(r"warn\s+configuration\s+\S+\s+the last change was refused at .*: mail "
                     r"flows on the last good configuration, but the next start fails",
                     health.stdout), health.stdout
    subject, body, data = message("x@example.net", "alice@example.test")
    send_25(c.port[25], "x@example.net", ["alice@example.test"], data)
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject) == body
    # Fixed: the warning goes.
    (c.config_dir / "aliases").write_text("")
    deadline = time.monotonic() + 20
    while "warn" in (health := c.exec("mailinit", "health", check=False)).stdout:
        assert time.monotonic() < deadline, health.stdout
        time.sleep(0.2)
    assert health.returncode == 0, health.stdout


def test_postfix_dovecot_and_opendkim_log_to_the_container_log(start):
    c = start(accounts=USERS)
    _, _, data = message("alice@example.test", "alice@example.test")
    submit(c.port[587], "alice@example.test", USERS["alice@example.test"], "alice@example.test",
           ["alice@example.test"], data)
    deadline = time.monotonic() + 10
    while "status=sent" not in c.logs() or "DKIM-Signature" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.2)
    logs = c.logs()
    assert "postfix/submission/smtpd" in logs and "postfix/lmtp" in logs
    assert "lmtp(alice@example.test)" in logs  # Dovecot's delivery
    assert re.search(r"^opendkim\[\d+\]: \w+: DKIM-Signature field added", logs, re.M), logs
    assert "mailinit: dovecot: started with pid" in logs


def test_an_empty_queue_directory_is_set_up_and_mail_flows(start, tmp_path):
    # A bind mount of an empty directory: Postfix's own check creates the queue.
    queue = tmp_path / "queue"
    queue.mkdir()
    c = start(accounts=USERS, volumes=[f"{queue}:/var/spool/postfix"])
    subject, body, data = message("x@example.net", "alice@example.test")
    send_25(c.port[25], "x@example.net", ["alice@example.test"], data)
    assert wait_for_subject(c.port[993], "alice@example.test", USERS["alice@example.test"],
                            subject) == body
    assert (queue / "hold").is_dir() and (queue / "maildrop").is_dir()
    assert "Mail queue is empty" in c.exec("postqueue", "-p").stdout
    # Dovecot's sockets in private/ came up first time, not after a race with Postfix.
    assert "Dovecot auth socket" not in c.logs()
    assert "Fatal" not in c.logs()
