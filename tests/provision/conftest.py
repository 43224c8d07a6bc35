"""Run `mailinit check` against settings, accounts and aliases, with the real
postconf, doveconf and opendkim verifying what it renders."""

import os
import subprocess
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAILINIT = os.environ.get("MAILINIT", str(ROOT / "build" / "mailinit"))
# The default MAIL_HOSTNAME is the machine's own name when it is fully qualified
# (a container's FQDN), else mail.MAIL_DOMAIN: pinned, so a CI runner named
# runner.ci.example gets the same results as a laptop named "vm".
HOST_NAME = "mailinit-test"


def pinned_host_name(argv):
    """argv run in a UTS namespace of its own whose host name is HOST_NAME."""
    return ["unshare", "--uts", "sh", "-c", f'hostname {HOST_NAME} && exec "$@"', "sh"] + argv


class Check:
    def __init__(self, status, output, out_dir):
        self.status = status
        self.output = output
        self.out = out_dir

    def file(self, path):
        return (self.out / path.lstrip("/")).read_text()


@pytest.fixture
def check(tmp_path):
    """check(env, accounts=..., aliases=..., files={name: text}, out=NAME) -> Check.
    Each call renders into a new directory, or into tmp_path/NAME again (what a
    restart with the same volume sees). Without argv, the host name is pinned."""
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    runs = [0]

    def _check(env=None, accounts=None, aliases=None, files=None, argv=None, keep=True,
               out=None):
        for name, text in {"accounts": accounts, "aliases": aliases, **(files or {})}.items():
            if text is not None:
                (config_dir / name).write_text(text)
        runs[0] += 1
        out_dir = tmp_path / (out or f"out{runs[0]}")
        environment = {
            "PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
            "MAILINIT_CONFIG_DIR": str(config_dir),
            "MAILINIT_TEMPLATES": str(ROOT / "templates"),
        }
        environment.update(env or {})
        command = [MAILINIT, "check"] + (["--output", str(out_dir)] if keep else [])
        result = subprocess.run(argv or pinned_host_name(command), env=environment,
                                stdin=subprocess.DEVNULL, stdout=subprocess.PIPE,
                                stderr=subprocess.STDOUT, timeout=60)
        return Check(result.returncode, result.stdout.decode(errors="replace"), out_dir)

    _check.config_dir = config_dir
    return _check
