"""`podman stop` while the container waits for its certificate: it stops at once with
status 0, instead of sitting out CERT_WAIT and the engine's own timeout."""

import time

from conftest import engine


def test_podman_stop_during_the_certificate_wait_is_prompt(start, tmp_path):
    certs = tmp_path / "certs"
    certs.mkdir()
    c = start(env={"CERT_PATH": "/certs/live", "CERT_WAIT": "120"},
              volumes=[f"{certs}:/certs:ro"], wait=False)
    deadline = time.monotonic() + 30
    while "waiting up to 120 s for the certificate" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.1)
    began = time.monotonic()
    engine("stop", "-t", "30", c.name, timeout=60)
    elapsed = time.monotonic() - began
    assert elapsed < 10, f"podman stop took {elapsed:.1f} s (it used to take the whole -t)"
    assert c.exit_code() == 0, c.logs()
    assert "received SIGTERM during provisioning: stopping before anything starts" in c.logs()
    assert "started with pid" not in c.logs()
