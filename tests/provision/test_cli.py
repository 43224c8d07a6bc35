"""The command line: help on every command, and nothing done when help is asked;
health's one deadline."""

import re
import subprocess

import pytest

from conftest import MAILINIT


@pytest.mark.parametrize("args", [["--help"], ["-h"], ["run", "--help"], ["check", "-h"],
                                  ["user", "--help"], ["user", "add", "--help"],
                                  ["alias", "-h"], ["dns", "--help"], ["reload", "--help"],
                                  ["import", "--help"], ["health", "-h"]])
def test_help_prints_the_usage_and_does_nothing_else(tmp_path, args):
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MAILINIT_CONFIG_DIR": str(tmp_path / "c"),
           "MAIL_DOMAIN": "example.test"}
    out = subprocess.run([MAILINIT, *args], env=env, text=True, capture_output=True,
                         timeout=10)
    assert out.returncode == 0, out
    assert out.stdout.startswith("usage: mailinit") and out.stderr == "", out
    assert not (tmp_path / "c").exists()  # nothing was made, checked or started


def test_version(tmp_path):
    out = subprocess.run([MAILINIT, "--version"], text=True, capture_output=True, timeout=10)
    assert out.returncode == 0 and out.stdout.startswith("mailinit "), out


DRIPPER = """
import socket, sys, threading, time
server = socket.socket()
server.bind(("127.0.0.1", 25))
server.listen(8)
print("listening", flush=True)
def drip(conn):
    try:
        while True:  # a greeting that never ends: one byte a second
            conn.send(b"2")
            time.sleep(1)
    except OSError:
        pass
while True:
    threading.Thread(target=drip, args=(server.accept()[0],), daemon=True).start()
"""


def test_health_keeps_one_deadline_against_a_listener_that_drips(tmp_path):
    # In a network namespace of its own, where 127.0.0.1:25 is the dripper and every other
    # port refuses. Each byte used to restart the read timeout: health never ended.
    script = tmp_path / "drip.py"
    script.write_text(DRIPPER)
    shell = (f"ip link set lo up && {{ /usr/bin/python3 {script} & }} && "
             "while ! ss -ltn | grep -q 127.0.0.1:25; do sleep 0.05; done && "
             f"{MAILINIT} health; status=$?; kill $!; exit $status")
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MAIL_DOMAIN": "example.test",
           "MAILINIT_CONFIG_DIR": str(tmp_path / "c")}
    # Before: each byte restarted the read timeout, health never ended (TimeoutExpired).
    out = subprocess.run(["unshare", "--net", "sh", "-c", shell], env=env, text=True,
                         capture_output=True, timeout=60)
    assert out.returncode == 1, out
    assert re.search(r"FAIL\s+smtp\s+127.0.0.1:25\s+timed out", out.stdout), out.stdout
    assert "the 5000 ms budget was spent" in out.stdout, out.stdout
