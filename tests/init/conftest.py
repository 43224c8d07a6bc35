"""Run mailinit as PID 1 of a new PID namespace (or as a plain subreaper) with
fake services, and look at it only from outside: its log, its exit status,
signals and /proc."""

import ctypes
import os
import re
import shutil
import signal
import struct
import subprocess
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
MAILINIT = os.environ.get("MAILINIT", str(ROOT / "build" / "mailinit"))
FAKE = Path(__file__).resolve().parent / "fake"


def pytest_configure(config):
    if os.geteuid() != 0 or shutil.which("unshare") is None:
        pytest.exit("the PID-1 tests need root and unshare(1)", returncode=1)


def service(name, command, **options):
    """One service block of the libconfuse file."""
    words = ", ".join(f'"{w}"' for w in command)
    lines = [f"service {name} {{", f"  command = {{{words}}}"]
    for key, value in options.items():
        if isinstance(value, (list, tuple)):
            value = "{" + ", ".join(f'"{w}"' for w in value) + "}"
        elif isinstance(value, str):
            value = f'"{value}"'
        lines.append(f"  {key} = {value}")
    return "\n".join(lines + ["}"])


def config(*services, **supervisor):
    # The fake services need no mail configuration.
    supervisor.setdefault("provision", "false")
    sup = " ".join(f"{k} = {v}" for k, v in supervisor.items())
    return f"supervisor {{ {sup} }}\n" + "\n".join(services) + "\n"


def wait_until(predicate, timeout=10.0, what="condition"):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(0.02)
    raise AssertionError(f"timed out after {timeout} s waiting for {what}")


def proc_status(pid):
    """/proc/PID/status as a dict, or None when the process is gone."""
    try:
        text = Path(f"/proc/{pid}/status").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return None
    return dict(line.split(":\t", 1) for line in text.splitlines() if ":\t" in line)


IN_OPEN = 0x20
IN_DELETE = 0x200


class DirectoryEvents:
    """What the kernel saw happen in one directory (inotify), in the order it happened:
    a test can tell whether a file was deleted before a program was opened to be run,
    where a look from the program itself would race with the deletion."""

    def __init__(self, directory, mask=IN_OPEN | IN_DELETE):
        libc = ctypes.CDLL(None, use_errno=True)
        self.fd = libc.inotify_init1(os.O_NONBLOCK | os.O_CLOEXEC)
        if self.fd < 0:
            raise OSError(ctypes.get_errno(), "inotify_init1")
        if libc.inotify_add_watch(self.fd, str(directory).encode(), mask) < 0:
            raise OSError(ctypes.get_errno(), f"inotify_add_watch {directory}")
        self.seen = []

    def events(self):
        """Every (mask, name) so far, oldest first."""
        while True:
            try:
                data = os.read(self.fd, 65536)
            except BlockingIOError:
                return self.seen
            offset = 0
            while offset < len(data):
                _, mask, _, length = struct.unpack_from("iIII", data, offset)
                name = data[offset + 16:offset + 16 + length].rstrip(b"\0").decode()
                self.seen.append((mask, name))
                offset += 16 + length

    def first(self, mask, name):
        """The position of the first such event, or None."""
        for i, (m, n) in enumerate(self.events()):
            if m & mask and n == name:
                return i
        return None

    def close(self):
        os.close(self.fd)


@pytest.fixture
def directory_events():
    watches = []

    def _watch(directory):
        watches.append(DirectoryEvents(directory))
        return watches[-1]

    yield _watch
    for watch in watches:
        watch.close()


class Init:
    """One mailinit run. self.pid is mailinit's PID as seen from the host."""

    def __init__(self, directory, text, pid1=True, env=None, preexec_fn=None, pass_fds=(),
                 stdout=None):
        """stdout: where mailinit's standard output goes (the daemons' lines), when not the
        log file with its standard error."""
        self.dir = directory
        self.conf = directory / "mailinit.conf"
        self.conf.write_text(text)
        self.log_path = directory / "mailinit.log"
        argv = [MAILINIT, "--config", str(self.conf)]
        if not pid1:
            # A shell is PID 1 and mailinit its child: mailinit must act as subreaper.
            argv = ["sh", "-c", '"$@"; exit $?', "sh"] + argv
        argv = ["unshare", "--pid", "--fork", "--mount-proc", "--kill-child"] + argv
        environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "LOG_LEVEL": "debug"}
        environment.update(env or {})
        with open(self.log_path, "wb") as log:
            self.proc = subprocess.Popen(
                argv, stdin=subprocess.DEVNULL, stdout=log if stdout is None else stdout,
                stderr=log if stdout is not None else subprocess.STDOUT,
                env=environment, preexec_fn=preexec_fn, pass_fds=pass_fds,
            )
        self.started = time.monotonic()
        # None when mailinit has already exited (a configuration error, say).
        self.pid = self._child_of(self.proc.pid)
        if not pid1 and self.pid:
            self.pid = self._child_of(self.pid)

    def _child_of(self, parent):
        def child():
            try:
                children = Path(f"/proc/{parent}/task/{parent}/children").read_text().split()
            except (FileNotFoundError, ProcessLookupError):
                children = []
            if children:
                return int(children[0])
            return -1 if self.proc.poll() is not None else None
        found = wait_until(child, 5, f"a child of pid {parent}")
        return None if found == -1 else found

    def log(self):
        return self.log_path.read_text(errors="replace")

    def wait_log(self, pattern, timeout=10.0, count=1):
        return wait_until(lambda: len(re.findall(pattern, self.log(), re.M)) >= count, timeout,
                          f"{pattern!r} in the log:\n{self.log()}")

    def kill(self, sig):
        os.kill(self.pid, sig)

    def wait(self, timeout=15.0):
        """mailinit's exit status (unshare passes it on)."""
        try:
            return self.proc.wait(timeout)
        except subprocess.TimeoutExpired:
            raise AssertionError(f"mailinit did not exit in {timeout} s:\n{self.log()}")

    def processes(self):
        """Host PIDs of every process in mailinit's PID namespace but mailinit."""
        ns = os.readlink(f"/proc/{self.pid}/ns/pid")
        found = []
        for entry in os.listdir("/proc"):
            if not entry.isdigit() or int(entry) == self.pid:
                continue
            try:
                if os.readlink(f"/proc/{entry}/ns/pid") == ns:
                    found.append(int(entry))
            except (FileNotFoundError, PermissionError, ProcessLookupError):
                continue
        return found

    def host_pid(self, ns_pid):
        """The host PID of the process that is ns_pid inside mailinit's namespace."""
        for pid in self.processes() + [self.pid]:
            status = proc_status(pid)
            if status and status["NSpid"].split()[-1] == str(ns_pid):
                return pid
        return None

    def service_pid(self, name):
        """Host PID of the last "NAME: started with pid N"."""
        found = re.findall(rf"mailinit: {name}: started with pid (\d+)", self.log())
        assert found, f"{name} never started:\n{self.log()}"
        return self.host_pid(int(found[-1]))

    def cleanup(self):
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)  # --kill-child takes the namespace along
            self.proc.wait(5)


@pytest.fixture
def start(tmp_path):
    runs = []

    def _start(text, **kwargs):
        run = Init(tmp_path, text, **kwargs)
        runs.append(run)
        return run

    yield _start
    for run in runs:
        run.cleanup()
