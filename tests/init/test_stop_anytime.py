"""SIGTERM and SIGINT at any moment stop mailinit at once, and nothing starts after them:
here while provisioning waits for a certificate (CERT_WAIT), the longest moment before the
supervisor runs. As PID 1 mailinit ignored them there (no handler yet), so a `podman stop`
waited for the whole CERT_WAIT and then SIGKILL, and a certificate that came after the
SIGTERM started every service."""

import signal
import subprocess
import time

import pytest

from conftest import FAKE, ROOT, config, service

DAEMON = str(FAKE / "daemon.sh")


def waiting_for_a_certificate(start, tmp_path):
    certs = tmp_path / "certs"
    env = {"MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "mail.example.test",
           "CERT_PATH": str(certs), "CERT_WAIT": "120",
           "MAILINIT_CONFIG_DIR": str(tmp_path / "config"),
           "MAILINIT_TEMPLATES": str(ROOT / "templates"),
           "MAILINIT_ROOT": str(tmp_path / "root"), "MAILINIT_MAIL_DIR": str(tmp_path / "mail")}
    run = start(config(service("only", [DAEMON, "only", str(tmp_path)], order=1),
                       provision="true"), env=env)
    run.wait_log(r"waiting up to 120 s for the certificate")
    return run, certs


def make_certificate(certs):
    certs.mkdir()
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=mail.example.test",
                    "-addext", "subjectAltName=DNS:mail.example.test",
                    "-keyout", str(certs / "privkey.pem"), "-out", str(certs / "fullchain.pem"),
                    "-days", "30"], check=True, capture_output=True)


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_a_stop_during_the_certificate_wait_ends_it_and_starts_nothing(start, tmp_path, sig):
    run, certs = waiting_for_a_certificate(start, tmp_path)
    began = time.monotonic()
    run.kill(sig)
    # The certificate arriving now must not start anything.
    make_certificate(certs)
    status = run.wait(timeout=30)
    elapsed = time.monotonic() - began
    assert status == 0, run.log()
    assert elapsed < 20, f"{elapsed:.1f} s: it waited for the certificate\n{run.log()}"
    assert f"received SIG{sig.name[3:]} during provisioning" in run.log()
    assert "started with pid" not in run.log(), run.log()
    assert not (tmp_path / "only.pid").exists()


def test_services_get_a_clean_environment_without_the_settings(start, tmp_path):
    dump = tmp_path / "env.txt"
    run = start(config(service("env", [str(FAKE / "env.sh"), str(dump)], order=1)),
                env={"RELAYHOST_PASSWORD": "secret-1", "POSTFIX_SMTPD_BANNER": "x",
                     "TZ": "Europe/Paris", "LANG": "C.UTF-8"})
    deadline = time.monotonic() + 10
    while not dump.exists():
        assert time.monotonic() < deadline, run.log()
        time.sleep(0.05)
    names = {line.split("=", 1)[0] for line in dump.read_text().splitlines() if "=" in line}
    assert "RELAYHOST_PASSWORD" not in names and "POSTFIX_SMTPD_BANNER" not in names, names
    assert "LOG_LEVEL" not in names, names
    assert {"PATH", "TZ", "LANG"} <= names, names
