"""The image, run with podman and seen only from outside: real clients on
published loopback ports, `podman exec` for what an operator would type."""

import os
import shutil
import socket
import subprocess
import time
import uuid
from pathlib import Path

import pytest

from dns_server import DnsServer

ROOT = Path(__file__).resolve().parents[2]
ENGINE = os.environ.get("ENGINE", "podman")
IMAGE = os.environ.get("IMAGE", "mailinit:dev")
PORTS = (25, 465, 587, 110, 143, 993, 995, 4190)

# MAILINIT_TEST_ENV="ENABLE_RSPAMD=no ..." adds settings to every test server (a test's own
# env still wins): `make container-test-lean` runs the whole suite on the lean server, as
# an operator who turns rspamd off gets it. Tests marked `rspamd` are about rspamd itself
# and are skipped there.
SUITE_ENV = dict(item.split("=", 1) for item in os.environ.get("MAILINIT_TEST_ENV", "").split())
LEAN = SUITE_ENV.get("ENABLE_RSPAMD") == "no"


def pytest_configure(config):
    config.addinivalue_line("markers", "rspamd: about rspamd itself; skipped on the lean server")


def pytest_collection_modifyitems(config, items):
    if not LEAN:
        return
    skip = pytest.mark.skip(reason="MAILINIT_TEST_ENV has ENABLE_RSPAMD=no")
    for item in items:
        if "rspamd" in item.keywords:
            item.add_marker(skip)


def password_hash(password):
    out = subprocess.run(["openssl", "passwd", "-6", password], capture_output=True, text=True,
                         check=True).stdout.strip()
    return "{SHA512-CRYPT}" + out


def engine(*args, check=True, timeout=120, **kwargs):
    return subprocess.run([ENGINE, *args], capture_output=True, text=True, timeout=timeout,
                          check=check, **kwargs)


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


# rspamd compiles its Hyperscan patterns at its first start (~15 s) into /var/lib/rspamd,
# a volume: the tests share one, compiled once per session (warm_rspamd_cache), as a real
# server keeps its own across restarts.
RSPAMD_CACHE = "mailinit-test-rspamd-cache"


@pytest.fixture(scope="session")
def image():
    if shutil.which(ENGINE) is None:
        pytest.fail(f"{ENGINE} is not installed: the container tests need it")
    subprocess.run(["make", "-C", str(ROOT), "image", f"IMAGE={IMAGE}"], check=True,
                   capture_output=True, timeout=1800)
    if not LEAN:
        warm_rspamd_cache()
    return IMAGE


def warm_rspamd_cache():
    name = f"mailinit-test-warm-{uuid.uuid4().hex[:8]}"
    engine("run", "-d", "--name", name, "--hostname", "mail.example.test",
           "-e", "MAIL_DOMAIN=example.test", "-v", f"{RSPAMD_CACHE}:/var/lib/rspamd", IMAGE)
    try:
        Container(name, {}, None).wait_healthy(timeout=180)
    finally:
        engine("rm", "-f", "-v", "-t", "0", name, check=False)


@pytest.fixture(scope="session")
def dns_image():
    name = "mailinit-test-dns"
    engine("build", "--pull=never", "-t", name, str(ROOT / "tests/container/dns"),
           timeout=600)
    return name


@pytest.fixture(scope="session")
def quiet_dns(dns_image, tmp_path_factory):
    """The DNS every test server asks unless a test gives it its own (dns below): no name
    exists in it, so each query is answered at once (NXDOMAIN), on any machine, whatever
    its own resolver does with names of the Internet it cannot reach."""
    server = DnsServer(engine, dns_image, tmp_path_factory.mktemp("quiet-dns"), {})
    yield server
    server.remove()


@pytest.fixture
def dns(dns_image, tmp_path):
    """dns(zones) starts NSD serving ZONES ({"sender.test": [records]}); the image is pointed
    at it with start(..., options=("--dns", server.ip))."""
    servers = []

    def _dns(zones):
        server = DnsServer(engine, dns_image, tmp_path / f"dns{len(servers)}", zones)
        servers.append(server)
        return server

    yield _dns
    for server in servers:
        server.remove()


class Container:
    def __init__(self, name, ports, config_dir):
        self.name = name
        self.port = ports          # container port -> host port on 127.0.0.1
        self.config_dir = config_dir

    def exec(self, *command, check=True, timeout=60):
        return engine("exec", self.name, *command, check=check, timeout=timeout)

    def logs(self):
        out = engine("logs", self.name, check=False)
        return out.stdout + out.stderr

    def healthy(self):
        return self.exec("mailinit", "health", check=False).returncode == 0

    def wait_healthy(self, timeout=30):
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            if self.state() != "running":
                raise AssertionError(f"{self.name} is {self.state()}:\n{self.logs()}")
            if self.healthy():
                return
            time.sleep(0.2)
        raise AssertionError(f"{self.name} not healthy after {timeout} s:\n"
                             f"{self.exec('mailinit', 'health', check=False).stdout}\n"
                             f"{self.logs()}")

    def restart(self, timeout=60):
        """podman restart (the same volumes and ports), then until healthy."""
        engine("restart", self.name, timeout=timeout)
        self.wait_healthy(timeout)

    def state(self):
        return engine("inspect", "-f", "{{.State.Status}}", self.name, check=False).stdout.strip()

    def exit_code(self):
        return int(engine("inspect", "-f", "{{.State.ExitCode}}", self.name).stdout.strip())


@pytest.fixture
def start(image, quiet_dns, tmp_path):
    """start(env=..., accounts=..., aliases=..., volumes=..., options=..., wait=True,
    publish=(9154,), account_fields={user: "host=..."}, files={path: text}): PUBLISH, ports
    beyond the mail ports to reach from the host; ACCOUNT_FIELDS, what follows an account's
    hash; FILES, more files in /etc/mailinit before the start; BESIDE, a container whose
    network namespace (and published ports) this one shares, as containers of one pod."""
    made = []

    def _start(env=None, accounts=None, aliases=None, volumes=(), wait=True, hostname=None,
               name=None, options=(), publish=(), account_fields=None, files=None,
               beside=None):
        name = name or f"mailinit-test-{uuid.uuid4().hex[:8]}"
        config_dir = tmp_path / name
        config_dir.mkdir()
        if accounts:  # ACCOUNT_FIELDS: {user: "host=..."}, after the hash
            fields = account_fields or {}
            (config_dir / "accounts").write_text("".join(
                f"{user}:{password_hash(pw)}{':' + fields[user] if user in fields else ''}\n"
                for user, pw in accounts.items()))
        if aliases:
            (config_dir / "aliases").write_text(aliases)
        for path, text in (files or {}).items():  # FILES: {"dkim/x/mail.private": text}
            (config_dir / path).parent.mkdir(parents=True, exist_ok=True)
            (config_dir / path).write_text(text)
        argv = ["run", "-d", "--name", name, "--hostname", hostname or "mail.example.test",
                "-v", f"{config_dir}:/etc/mailinit"]
        if not any(v.endswith(":/var/lib/rspamd") for v in volumes):
            argv += ["-v", f"{RSPAMD_CACHE}:/var/lib/rspamd"]
        for volume in volumes:
            argv += ["-v", volume]
        argv += list(options)
        if beside is not None:  # in BESIDE's network namespace, as two containers of a pod
            argv += ["--network", f"container:{beside.name}"]
        elif "--dns" not in options:
            argv += ["--dns", quiet_dns.ip]
        # Greylisting defers a first message from an unknown client with 4xx, as it should;
        # a real sender retries after GREYLIST_DELAY. The tests of delivery, faults and
        # clients are about what happens after acceptance: they run with rspamd scanning
        # every message but greylisting off. test_filtering.py tests it with it on.
        # postscreen (port 25) holds a client it has not seen before for 6 s before the
        # banner, to catch the bots that talk first; every test container meets the test
        # client new. They wait 1 s; test_filtering.py tests postscreen with its 6 s
        # (env={"POSTFIX_POSTSCREEN_GREET_WAIT": None}: a default set to None is left out).
        defaults = {"MAIL_DOMAIN": "example.test", "GREYLISTING": "no",
                    "POSTFIX_POSTSCREEN_GREET_WAIT": "1s"}
        for key, value in {**defaults, **SUITE_ENV, **(env or {})}.items():
            if value is not None:
                argv += ["-e", f"{key}={value}"]
        for attempt in range(3):
            # A port found free can be taken by someone else before podman binds it.
            ports = {p: free_port() for p in (*PORTS, *publish)}
            published = [a for inside, outside in ports.items()
                         for a in ("-p", f"127.0.0.1:{outside}:{inside}")]
            if beside is not None:  # BESIDE publishes the namespace's ports
                ports, published = beside.port, []
            run = engine(*argv, *published, image, check=False)
            if run.returncode == 0:
                break
            engine("rm", "-f", "-v", "-t", "0", name, check=False)
            if "address already in use" not in run.stderr or attempt == 2:
                raise AssertionError(f"{ENGINE} run failed: {run.stderr}")
        container = Container(name, ports, config_dir)
        made.append(container)
        if wait:
            container.wait_healthy()
        return container

    yield _start
    # Last made, first removed: a container in another's network namespace (beside=) must go
    # before it, or podman refuses to remove the one it depends on and it keeps running.
    for container in reversed(made):
        engine("rm", "-f", "-v", "-t", "0", container.name, check=False)
