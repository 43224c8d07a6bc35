"""The command line: help on every command, and nothing done when help is asked."""

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
