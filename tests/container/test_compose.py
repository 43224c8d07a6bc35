"""configs/compose.yaml, run with podman-compose as an operator would."""

import os
import shutil
import subprocess
import time
import uuid

import pytest

from clients import message, send_25, wait_for_subject
from conftest import ROOT, engine, free_port, password_hash

COMPOSE = shutil.which("podman-compose")


@pytest.mark.skipif(os.environ.get("ENGINE", "podman") != "podman", reason="podman-compose")
def test_the_compose_stack_serves_mail_with_mounted_certificates(image, tmp_path):
    assert COMPOSE, "podman-compose is not installed"
    project = f"mailinit{uuid.uuid4().hex[:6]}"
    live = tmp_path / "letsencrypt" / "live" / "mail.example.test"
    live.mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=mail.example.test",
                    "-addext", "subjectAltName=DNS:mail.example.test",
                    "-keyout", str(live / "privkey.pem"), "-out", str(live / "fullchain.pem"),
                    "-days", "30"], check=True, capture_output=True)
    ports = {name: free_port() for name in ("SMTP", "SMTPS", "SUBMISSION", "IMAPS", "POP3S")}
    env = {**os.environ, "IMAGE": image, "MAIL_DOMAIN": "example.test",
           "MAIL_HOSTNAME": "mail.example.test", "CERT_DIR": str(tmp_path / "letsencrypt"),
           "BIND": "127.0.0.1", "GREYLISTING": "no",  # as every test but test_filtering's
           **{f"{k}_PORT": str(v) for k, v in ports.items()}}
    compose = [COMPOSE, "-p", project, "-f", str(ROOT / "configs" / "compose.yaml")]
    container = f"{project}_mail_1"
    try:
        subprocess.run(compose + ["up", "-d"], env=env, check=True, capture_output=True,
                       timeout=120)
        # A new stack's first start: rspamd compiles its patterns (~15 s) into its volume.
        deadline = time.monotonic() + 120
        while engine("exec", container, "mailinit", "health", check=False).returncode != 0:
            assert time.monotonic() < deadline, engine("logs", container, check=False).stderr
            time.sleep(0.3)
        # The mounted certificate is the one served, and the healthcheck is the image's.
        def fingerprint(pem):
            return subprocess.run(["openssl", "x509", "-noout", "-fingerprint", "-sha256"],
                                  input=pem, capture_output=True, text=True).stdout
        served = subprocess.run(["openssl", "s_client", "-connect",
                                 f"127.0.0.1:{ports['IMAPS']}"], input="",
                                capture_output=True, text=True, timeout=20).stdout
        assert fingerprint(served) == fingerprint((live / "fullchain.pem").read_text())
        assert engine("healthcheck", "run", container, check=False).returncode == 0
        assert engine("inspect", "-f", "{{.HostConfig.RestartPolicy.Name}}",
                      container).stdout.strip() == "unless-stopped"
        # An account added to the config volume, then mail to it.
        engine("exec", container, "sh", "-c",
               f"echo 'alice@example.test:{password_hash('alice-pw')}' >> "
               "/etc/mailinit/accounts")
        subprocess.run(compose + ["restart"], env=env, check=True, capture_output=True,
                       timeout=120)
        deadline = time.monotonic() + 30
        while engine("exec", container, "mailinit", "health", check=False).returncode != 0:
            assert time.monotonic() < deadline
            time.sleep(0.3)
        subject, body, data = message("x@example.net", "alice@example.test")
        send_25(ports["SMTP"], "x@example.net", ["alice@example.test"], data)
        assert wait_for_subject(ports["IMAPS"], "alice@example.test", "alice-pw",
                                subject) == body
    finally:
        subprocess.run(compose + ["down", "-v"], env=env, capture_output=True, timeout=120)
        for volume in ("mail-config", "mail-data", "mail-queue", "mail-learnt", "mail-filter"):
            engine("volume", "rm", "-f", f"{project}_{volume}", check=False)
