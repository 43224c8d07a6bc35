"""The README, docs/operations.md and docs/migration.md followed as written: every command of
their ```sh blocks, taken from the documents at test time and run in order against the image,
must succeed. A command that changes in the docs is tested as it now stands; a new one is run
by default. Only what must differ on a test machine is rewritten (REWRITES, and the podman
wrapper's names, image and ports); what cannot run here is skipped by SKIPPED, with the reason."""

import os
import re
import shutil
import stat
import subprocess
import sys
import textwrap
import time
import uuid
from pathlib import Path

import pytest

from conftest import ENGINE, ROOT, engine

DOCUMENTS = ["README.md", "docs/operations.md", "docs/migration.md"]

# Commands that cannot run on a test machine, matched by text: (text, why).
SKIPPED = [
    ("make run", "blocks in the foreground; tests/container/test_lifecycle.py starts the image"),
    ("make test", "this is make test"),
    ("certbot ", "needs the Internet and port 80"),
    ("podman pull", "no registry here; the image under test is already built"),
    (" ... ", "a placeholder for the operator's own options, not a whole command"),
    ("registry.example.com", "an example registry"),
    ("swaks --server mail.example.com", "needs the server's public name in DNS; "
     "tests/container/test_filtering.py sends GTUBE to the image"),
]
FRAGMENT = re.compile(r"^-e ")  # options to add to a run command, not a command of its own


def blocks(path):
    """(line, text) of each ```sh block, its indentation removed."""
    lines = (ROOT / path).read_text().splitlines()
    i = 0
    while i < len(lines):
        if lines[i].strip() == "```sh":
            start, body = i + 1, []
            i += 1
            while lines[i].strip() != "```":
                body.append(lines[i])
                i += 1
            yield start + 1, textwrap.dedent("\n".join(body))
        i += 1


def commands(text):
    """Shell commands of a block: lines joined where they end in \\ or |."""
    out, current = [], ""
    for line in text.splitlines():
        current += line + "\n"
        code = line.split(" #")[0].rstrip()
        if code.endswith("\\") or code.endswith("|"):
            continue
        if current.strip() and not current.strip().startswith("#"):
            out.append(current.strip())
        current = ""
    return out


def skip_reason(command):
    if FRAGMENT.match(command):
        return "a fragment of options"
    for text, why in SKIPPED:
        if text in command:
            return why
    return None


WRAPPER = """#!/usr/bin/python3
# podman as the docs call it, run on a test machine: the docs' container name (the value of
# --name, and the first operand of exec, stop, start, rm, kill), volumes, image and published
# ports become this test's; "-it" becomes "-i" (no terminal here).
import os, sys
name, image = os.environ["DOCS_NAME"], os.environ["DOCS_IMAGE"]
args = sys.argv[1:]
out, container_seen = [], False
for i, arg in enumerate(args):
    before = args[i - 1] if i else ""
    if before == "--name" and arg == "mail":
        arg = name
    elif (i > 0 and args[0] in ("exec", "stop", "start", "rm", "kill", "restart", "logs")
          and not container_seen and not arg.startswith("-")
          and before not in ("--signal", "-s", "--time", "-t")):
        container_seen = True
        arg = name if arg == "mail" else arg
    elif arg == "mailinit:dev":
        arg = image
    elif arg == "-it":
        arg = "-i"
    elif arg.startswith(("mail-config:", "mail-data:", "mail-queue:")):
        arg = name + "-" + arg
    elif before == "-p":
        arg = "127.0.0.1::" + arg.split(":")[-1]
    out.append(arg)
os.execvp(os.environ["DOCS_ENGINE"], [os.environ["DOCS_ENGINE"]] + out)
"""


def documented(document):
    """(where, command) of DOCUMENT's blocks, and what was skipped with why."""
    run, skipped = [], []
    for line, text in blocks(document):
        for command in commands(text):
            why = skip_reason(command)
            if why:
                skipped.append((f"{document}:{line}", command.splitlines()[0], why))
            else:
                run.append((f"{document}:{line}", command))
    return run, skipped


def host_paths(tmp_path):
    """The host paths the docs use, as directories of this test: (old, new) rewrites."""
    letsencrypt = tmp_path / "letsencrypt"
    live = letsencrypt / "live" / "mail.example.com"
    live.mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "30", "-subj",
                    "/CN=mail.example.com", "-addext", "subjectAltName=DNS:mail.example.com",
                    "-keyout", str(live / "privkey.pem"), "-out", str(live / "fullchain.pem")],
                   check=True, capture_output=True)
    srv_mail = tmp_path / "srv-mail"
    for sub in ("etc-mailinit", "var-mail", "var-spool-postfix"):
        (srv_mail / sub).mkdir(parents=True)
    dms = tmp_path / "dms-config"
    shutil.copytree(ROOT / "tests/provision/docker-mailserver", dms)
    keys = dms / "opendkim/keys/example.com"
    keys.mkdir(parents=True)
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(keys / "mail.private")], check=True, capture_output=True)
    (tmp_path / "mailinit").mkdir()
    return [("/srv/dms/docker-data/dms/config", str(dms)), ("/srv/mail", str(srv_mail)),
            ("/etc/letsencrypt", str(letsencrypt)),
            ("./mailinit:", str(tmp_path / "mailinit") + ":")]


# operations.md works on the server the README starts: its run command comes first.
SETUP = {"docs/operations.md": lambda: [c for c in documented("README.md")[0]
                                        if c[1].startswith("podman run -d")]}


@pytest.mark.parametrize("document", DOCUMENTS)
def test_the_documented_commands_work_as_written(image, tmp_path, document):
    name = f"mailinit-docs-{uuid.uuid4().hex[:8]}"
    bin_dir = tmp_path / "bin"
    bin_dir.mkdir()
    wrapper = bin_dir / "podman"
    wrapper.write_text(WRAPPER)
    wrapper.chmod(wrapper.stat().st_mode | stat.S_IXUSR)
    rewrites = host_paths(tmp_path)
    env = {**os.environ, "PATH": f"{bin_dir}:{os.environ['PATH']}", "DOCS_NAME": name,
           "DOCS_IMAGE": image, "DOCS_ENGINE": shutil.which(ENGINE)}
    run, skipped = documented(document)
    setup = SETUP.get(document, list)()
    try:
        for where, command in setup + run:
            for old, new in rewrites:
                command = command.replace(old, new)
            # A password for the commands that read one; the others ignore stdin.
            out = subprocess.run(["sh", "-c", command], env=env, cwd=tmp_path,
                                 input="a-new-password-9\n", capture_output=True, text=True,
                                 timeout=180)
            assert out.returncode == 0, (f"{where}: {command}\nexit {out.returncode}\n"
                                         f"{out.stdout}\n{out.stderr}")
            after(command, out, name)
    finally:
        engine("rm", "-f", "-v", "-t", "0", name, check=False)
        for volume in ("config", "data", "queue"):
            engine("volume", "rm", "-f", f"{name}-mail-{volume}", check=False)
    print(f"{document}: ran {len(run)} documented commands; skipped:")
    for where, first, why in skipped:
        print(f"  {where}: {first} ({why})")
    assert run, f"{document} has no command left to run"


def after(command, out, name):
    """What the docs promise right after some commands."""
    if command.startswith("podman run -d"):
        wait_healthy(name)
    elif "podman start mail" in command:
        wait_healthy(name)
    elif "mailinit dns example.com" in command:
        assert re.search(r"^example\.com\.\s.*\bMX\s+10 mail\.example\.com\.", out.stdout,
                         re.M), out.stdout
    elif "mailinit user add anna@example.com --password-stdin" in command:
        # "The new account can log in as soon as the command returns plus the reload."
        deadline = time.monotonic() + 15
        while (login := engine("exec", name, "doveadm", "auth", "test", "anna@example.com",
                               "correct horse battery staple", check=False)).returncode != 0:
            assert time.monotonic() < deadline, login.stdout + login.stderr
            time.sleep(0.2)
    elif "mailinit user list" in command:
        assert "anna@example.com" in out.stdout and "ben@example.com" in out.stdout, out.stdout
    elif " import /dms" in command:
        assert "imported 3 accounts" in out.stdout, out.stdout


def wait_healthy(name, timeout=60):
    deadline = time.monotonic() + timeout
    while engine("exec", name, "mailinit", "health", check=False).returncode != 0:
        assert time.monotonic() < deadline, engine("logs", name, check=False).stderr
        time.sleep(0.5)
