"""mailinit's PID-1 behaviour, observed from outside the namespace."""

import ctypes
import fcntl
import json
import os
import platform
import re
import shutil
import signal
import struct
import subprocess
import termios
import time
from pathlib import Path

import pytest

from conftest import FAKE, IN_DELETE, IN_OPEN, MAILINIT, config, proc_status, service, wait_until

DAEMON = str(FAKE / "daemon.sh")


def daemon(name, directory, order, **options):
    return service(name, [DAEMON, name, str(directory)], order=order, **options)


def ignore_glibc_internal_signals():
    """Set signals 32 and 33 to SIG_IGN with the raw rt_sigaction syscall."""
    if platform.machine() != "x86_64":
        return
    libc = ctypes.CDLL(None, use_errno=True)
    ignore = (ctypes.c_ulong * 4)(1, 0, 0, 0)  # handler SIG_IGN, flags, restorer, mask
    for sig in (32, 33):
        if libc.syscall(13, sig, ctypes.byref(ignore), None, 8) != 0:  # SYS_rt_sigaction
            raise OSError(ctypes.get_errno(), f"rt_sigaction({sig})")


def signals_of(directory, name):
    path = directory / f"{name}.signals"
    return path.read_text().split() if path.exists() else []


def children_of(pid):
    """Host PIDs of pid's children (every thread's)."""
    found = []
    for task in os.listdir(f"/proc/{pid}/task"):
        try:
            found += Path(f"/proc/{pid}/task/{task}/children").read_text().split()
        except (FileNotFoundError, ProcessLookupError):
            continue
    return [int(p) for p in found]


def ns_pid(pid):
    """The PID of host process pid inside its own (innermost) namespace."""
    return int(proc_status(pid)["NSpid"].split()[-1])


def sleeping_orphans(run, count, services):
    """Wait for count orphans, asleep, whose parent is mailinit; their host PIDs."""
    def found():
        kids = [p for p in children_of(run.pid) if p not in services]
        asleep = [p for p in kids if (proc_status(p) or {}).get("Name") == "sleep"]
        return kids if len(kids) == count and asleep == kids else None
    return wait_until(found, 10, f"{count} sleeping orphans under mailinit:\n{run.log()}")


def kill_and_see_them_reaped(run, orphans):
    """SIGKILL every orphan; mailinit must reap exactly those and leave no zombie."""
    expected = sorted(ns_pid(p) for p in orphans)
    assert re.findall(r"reaped pid (\d+)", run.log()) == [], run.log()
    for pid in orphans:
        os.kill(pid, signal.SIGKILL)
    run.wait_log(r"reaped pid \d+", timeout=20, count=len(orphans))
    reaped = sorted(int(p) for p in re.findall(r"reaped pid (\d+)", run.log()))
    assert reaped == expected, run.log()
    zombies = [p for p in run.processes() if (proc_status(p) or {}).get("State", "")[:1] == "Z"]
    assert zombies == [], f"zombies left: {zombies}\n{run.log()}"


def test_no_zombies_after_a_service_leaves_100_orphans(start, tmp_path):
    run = start(config(
        daemon("keeper", tmp_path, 1),
        service("spawner", [str(FAKE / "orphans.sh"), "100", "1000"], order=2),
        restart_delay=600,  # the spawner must not run again during the check
    ))
    run.wait_log(r"spawner: exited with status 0 unexpectedly")
    # Each orphan waited for the spawner's end before it slept, so all 100 were
    # re-parented to PID 1 whatever the fork speed; none ends before it is killed.
    orphans = sleeping_orphans(run, 100, [run.service_pid("keeper")])
    kill_and_see_them_reaped(run, orphans)
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def test_run_execs_mailinit_init_beside_it_and_says_so_when_it_is_missing(tmp_path):
    """PID 1 is mailinit-init, the program beside mailinit: without it, exit 71 naming it."""
    alone = tmp_path / "bin"
    alone.mkdir()
    shutil.copy(MAILINIT, alone / "mailinit")
    (tmp_path / "services.conf").write_text(config())
    run = subprocess.run([str(alone / "mailinit"), "run", "--config",
                          str(tmp_path / "services.conf")],
                         capture_output=True, text=True, timeout=30)
    assert run.returncode == 71, run
    assert f"cannot run {alone}/mailinit-init" in run.stderr + run.stdout, run


def test_sigterm_stops_every_service_in_reverse_order_and_exits_0_promptly(start, tmp_path):
    run = start(config(
        daemon("first", tmp_path, 10),
        daemon("second", tmp_path, 20),
        daemon("third", tmp_path, 30),
    ))
    # Each daemon writes its pidfile once its traps are set: wait for all three,
    # not only the last started (the first may be the slowest to get there).
    wait_until(lambda: all((tmp_path / f"{n}.pid").exists() for n in ("first", "second", "third")),
               5, "the three services to run")
    began = time.monotonic()
    run.kill(signal.SIGTERM)
    status = run.wait()
    elapsed = time.monotonic() - began
    assert status == 0, run.log()
    # The grace limit is 8 s; services that stop at once must not wait for it.
    assert elapsed < 3, f"took {elapsed:.2f} s:\n{run.log()}"
    for name in ("first", "second", "third"):
        assert signals_of(tmp_path, name) == ["TERM"]
    log = run.log()
    order = re.findall(r"^mailinit: (\w+): (stopping|stopped)\b", log, re.MULTILINE)
    assert order == [("third", "stopping"), ("third", "stopped"),
                     ("second", "stopping"), ("second", "stopped"),
                     ("first", "stopping"), ("first", "stopped")], log
    assert "all services stopped" in log


def test_sigint_stops_like_sigterm(start, tmp_path):
    run = start(config(daemon("only", tmp_path, 1)))
    wait_until(lambda: (tmp_path / "only.pid").exists(), 5, "the service to run")
    run.kill(signal.SIGINT)
    assert run.wait() == 0
    assert signals_of(tmp_path, "only") == ["TERM"]


def test_a_service_ignoring_sigterm_is_killed_at_the_grace_limit(start, tmp_path):
    (tmp_path / "ignore-term").touch()
    run = start(config(daemon("stubborn", tmp_path, 1)),
                env={"STOP_GRACE": "2"})
    wait_until(lambda: (tmp_path / "stubborn.pid").exists(), 5, "the service to run")
    began = time.monotonic()
    run.kill(signal.SIGTERM)
    status = run.wait()
    elapsed = time.monotonic() - began
    assert status == 128 + signal.SIGTERM, run.log()
    assert 1.9 <= elapsed < 6, f"stopped after {elapsed:.2f} s"
    assert signals_of(tmp_path, "stubborn") == ["TERM"]
    assert "stubborn: still running at the grace limit: sending SIGKILL" in run.log()
    assert "stubborn: killed by signal 9 (SIGKILL)" in run.log()


def test_sighup_and_relayed_signals_reach_the_pidfile_target_not_the_wrapper(start, tmp_path):
    pidfile = tmp_path / "master.pid"
    run = start(config(service(
        "mta", [str(FAKE / "wrapper.sh"), "mta", str(tmp_path), str(pidfile)],
        pidfile=str(pidfile))))
    wait_until(lambda: (tmp_path / "mta.pid").exists() and pidfile.exists(), 5, "the daemon")
    run.kill(signal.SIGHUP)
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP"], 5, "HUP at the daemon")
    run.kill(signal.SIGUSR1)
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP", "USR1"], 5, "USR1 at the daemon")
    assert signals_of(tmp_path, "mta-wrapper") == [], run.log()  # relayed: the daemon's only
    run.kill(signal.SIGTERM)
    assert run.wait() == 0, run.log()
    assert signals_of(tmp_path, "mta") == ["HUP", "USR1", "TERM"]
    # The stop signal ends the start script too (postfix-script would print "Terminated").
    assert signals_of(tmp_path, "mta-wrapper") == ["TERM"], run.log()
    assert re.search(r"mta: reloading \(SIGHUP to pid \d+\)", run.log())


def test_a_daemon_that_outlives_its_start_script_is_supervised_not_started_twice(start,
                                                                               tmp_path):
    # "postfix start-fg" waits for master as a child: if the script alone is killed, master
    # runs on. A restart would start a second one (Postfix: "already running", then the
    # restart limit stops everything).
    pidfile = tmp_path / "master.pid"
    run = start(config(service(
        "mta", [str(FAKE / "wrapper.sh"), "mta", str(tmp_path), str(pidfile)],
        pidfile=str(pidfile)), restart_delay=1))
    wait_until(lambda: (tmp_path / "mta.pid").exists() and pidfile.exists(), 5, "the daemon")
    daemon = int((tmp_path / "mta.pid").read_text())
    # The files hold PIDs of mailinit's namespace; signals from here need the host's.
    os.kill(run.host_pid(int((tmp_path / "mta-wrapper.pid").read_text())), signal.SIGKILL)
    run.wait_log(rf"mta: killed by signal 9 \(SIGKILL\), but its daemon \(pid {daemon}, in "
                 rf"\S+master.pid\) runs on: supervising that")
    # Still the one daemon, and signals still reach it.
    run.kill(signal.SIGHUP)
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP"], 5, "HUP at the daemon")
    assert "mta: restarting" not in run.log() and run.log().count("mta: started") == 1
    # When the daemon itself dies, the service is restarted as any other.
    (tmp_path / "mta.pid").unlink()
    os.kill(run.host_pid(daemon), signal.SIGKILL)
    run.wait_log(r"mta: killed by signal 9 \(SIGKILL\) unexpectedly")
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 10, "the restarted daemon")
    assert int((tmp_path / "mta.pid").read_text()) != daemon
    run.kill(signal.SIGTERM)
    assert run.wait() == 0, run.log()


def test_without_a_pidfile_signals_go_to_the_spawned_process(start, tmp_path):
    run = start(config(daemon("a", tmp_path, 1), daemon("b", tmp_path, 2, reload_signal="USR2")))
    wait_until(lambda: (tmp_path / "b.pid").exists(), 5, "the services")
    run.kill(signal.SIGHUP)
    wait_until(lambda: signals_of(tmp_path, "a") == ["HUP"], 5, "a's reload signal")
    wait_until(lambda: signals_of(tmp_path, "b") == ["USR2"], 5, "b's reload signal")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def test_a_reload_command_runs_and_its_result_is_logged(start, tmp_path):
    marker = tmp_path / "reloaded"
    run = start(config(daemon("mta", tmp_path, 1,
                              reload_command=["sh", "-c", f"echo yes > {marker}"])))
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 5, "the service")
    run.kill(signal.SIGHUP)
    run.wait_log(r"mta: reload command exited with status 0")
    assert marker.read_text() == "yes\n"
    assert signals_of(tmp_path, "mta") == []  # a command instead of a signal
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def test_a_drain_command_runs_at_the_stop_and_the_stop_signal_waits_for_it(start, tmp_path):
    """drain_command: what the service has in flight finishes before its stop signal (the
    mail server's deliveries under way). The drain writes what signals the service had got
    when it ended: none."""
    seen = tmp_path / "seen-at-drain-end"
    drain = ["sh", "-c", f"sleep 0.3; cat {tmp_path}/mta.signals > {seen} 2>/dev/null; "
                         f"echo drained >> {seen}"]
    run = start(config(daemon("mta", tmp_path, 1, drain_command=drain),
                       daemon("store", tmp_path, 0)))
    wait_until(lambda: all((tmp_path / f"{n}.pid").exists() for n in ("mta", "store")), 5,
               "the services")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0, run.log()
    assert seen.read_text() == "drained\n", "the stop signal came before the drain's end"
    assert signals_of(tmp_path, "mta") == ["TERM"]
    log = run.log()
    assert log.index("mta: drain command exited with status 0") < \
        log.index("mta: stopping (SIGTERM") < log.index("store: stopping (SIGTERM"), log
    assert "store: draining (" not in log  # no drain command: the signal at once


def test_a_drain_that_does_not_end_is_cut_at_half_the_grace_and_the_stop_goes_on(start,
                                                                                   tmp_path):
    """A drain bounded only by the grace limit would leave nothing of it to the services
    stopped after (a Redis that saves on SIGTERM): the drain gets half, then the stop signal."""
    run = start(config(daemon("mta", tmp_path, 1, drain_command=["sleep", "1000"]),
                       daemon("store", tmp_path, 0)),
                env={"STOP_GRACE": "2"})
    wait_until(lambda: all((tmp_path / f"{n}.pid").exists() for n in ("mta", "store")), 5,
               "the services")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0, run.log()
    assert "mta: its drain did not end within 1.0 s (half the grace): stopping it now" in \
        run.log()
    assert signals_of(tmp_path, "mta") == ["TERM"]
    assert signals_of(tmp_path, "store") == ["TERM"]
    assert "SIGKILL" not in run.log().replace("drain command killed by signal 9 (SIGKILL)", "")


def test_a_crashed_service_is_restarted_after_the_backoff(start, tmp_path):
    run = start(config(service("flaky", [str(FAKE / "crash-once.sh"), str(tmp_path)])))
    run.wait_log(r"flaky: killed by signal 9 \(SIGKILL\) unexpectedly")
    run.wait_log(r"flaky: restarting in 1 s")
    run.wait_log(r"flaky: started with pid", count=2)
    wait_until(lambda: len((tmp_path / "starts").read_text().split()) == 2, 5, "the 2nd start")
    starts = [float(t) for t in (tmp_path / "starts").read_text().split()]
    assert starts[1] - starts[0] >= 0.95, "restarted before the 1 s backoff"
    # It stays up, and a stop is still clean: the stop reaches the second start's
    # process, and it was the only crash (mailinit logs every exit, so the log is
    # complete once it has exited).
    second = re.findall(r"flaky: started with pid (\d+)", run.log())[1]
    wait_until(lambda: (proc_status(run.service_pid("flaky")) or {}).get("Name") == "sleep", 5,
               "the second start to be running")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0
    log = run.log()
    assert re.search(rf"^mailinit: flaky: stopping \(SIGTERM to pid {second}\)$", log, re.M), log
    assert len(re.findall(r"flaky: started with pid", log)) == 2, log
    assert len(re.findall(r"flaky: .* unexpectedly", log)) == 1, log


def test_a_service_that_keeps_crashing_stops_everything_and_exits_nonzero(start, tmp_path):
    run = start(config(
        daemon("steady", tmp_path, 1),
        service("broken", [str(FAKE / "crash-always.sh"), str(tmp_path)], order=2),
        restart_limit=3, restart_window=60,
    ))
    status = run.wait(20)
    assert status == 69, run.log()
    starts = [float(t) for t in (tmp_path / "starts").read_text().split()]
    assert len(starts) == 3
    # The delays grew: 1 s, then 2 s.
    assert starts[1] - starts[0] >= 0.95 and starts[2] - starts[1] >= 1.95, starts
    log = run.log()
    assert "broken: exited with status 3 unexpectedly" in log
    assert "broken: failed 3 times in 60 s" in log
    assert "restarting in 2 s" in log
    assert signals_of(tmp_path, "steady") == ["TERM"]  # the rest was stopped cleanly


def test_a_missing_command_gives_127_and_says_which(start, tmp_path):
    run = start(config(daemon("fine", tmp_path, 1),
                       service("ghost", ["/nonexistent/ghostd", "-f"], order=2)))
    assert run.wait() == 127
    log = run.log()
    assert ("ghost: cannot run /nonexistent/ghostd: No such file or directory "
            '(check "command" of service ghost in the configuration)') in log
    # The service started before it was stopped, not abandoned.
    assert re.search(r"^mailinit: fine: stopping \(SIGTERM", log, re.MULTILINE), log
    assert re.search(r"^mailinit: fine: stopped$", log, re.MULTILINE), log


def test_a_command_that_is_not_executable_gives_126(start, tmp_path):
    script = tmp_path / "not-executable"
    script.write_text("#!/bin/sh\n")
    script.chmod(0o644)
    run = start(config(service("plain", [str(script)])))
    assert run.wait() == 126
    assert "plain: cannot run" in run.log() and "Permission denied" in run.log()


def test_children_get_a_clean_signal_state_devnull_stdin_and_no_stray_fds(start, tmp_path):
    extra_r, extra_w = os.pipe()

    def dirty_parent():
        # What a careless parent may leave behind; mailinit must not pass it on.
        signal.signal(signal.SIGUSR1, signal.SIG_IGN)
        signal.signal(signal.SIGQUIT, signal.SIG_IGN)
        signal.pthread_sigmask(signal.SIG_BLOCK, {signal.SIGUSR2, signal.SIGWINCH})
        # glibc's posix_spawn (GNU make uses it) leaves its internal signals 32
        # and 33 at SIG_IGN, and glibc's sigaction() refuses to touch them.
        ignore_glibc_internal_signals()

    run = start(config(service("plain", ["sleep", "1000"])),
                preexec_fn=dirty_parent, pass_fds=(extra_r,))
    run.wait_log(r"plain: started with pid")
    pid = wait_until(lambda: run.service_pid("plain"), 5, "the service's pid")
    # "started" is logged after fork, maybe before exec: look once it is sleep(1).
    status = wait_until(lambda: (proc_status(pid) or {}).get("Name") == "sleep" and
                        proc_status(pid), 5, "the service's exec of sleep")
    assert status["SigBlk"] == "0000000000000000", (status, run.log())
    assert status["SigIgn"] == "0000000000000000", (status, run.log())
    assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]
    assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    # stdout and stderr are one pipe that mailinit reads: each line logged as the service's.
    assert os.readlink(f"/proc/{pid}/fd/2") == os.readlink(f"/proc/{pid}/fd/1")
    assert os.readlink(f"/proc/{pid}/fd/2").startswith("pipe:")
    os.close(extra_r)
    os.close(extra_w)
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


@pytest.mark.parametrize("log_format", ["plain", "json"])
def test_what_a_service_prints_is_logged_as_its_own_lines_in_the_log_format(start, tmp_path,
                                                                          log_format):
    """A daemon that prints before its logging is set up (rspamd does) must not break the
    log's format: each line it writes to stdout or stderr becomes one record of its name."""
    script = ("printf 'first line\\nsecond '; sleep 0.2; printf 'half\\n' >&2; "
              "printf 'no newline at the end'; exec sleep 1000")
    run = start(config(service("talker", ["sh", "-c", script])),
                env={"LOG_FORMAT": log_format})
    if log_format == "plain":
        run.wait_log(r"^talker: second half$")
        assert re.search(r"^talker: first line$", run.log(), re.M), run.log()
    else:
        run.wait_log(r'"program":"talker".*"message":"second half"')
        for line in run.log().splitlines():
            json.loads(line)  # every line is one object
    run.kill(signal.SIGTERM)
    assert run.wait() == 0
    # What was left without a newline is logged when the service is gone.
    assert "no newline at the end" in run.log()


def test_what_a_killed_service_leaves_in_its_process_group_is_ended_before_the_restart(
        start, tmp_path):
    """rspamd's workers outlived a kill -9 of its main process and kept its port: every
    restart failed to bind until mailinit gave up. A worker in the service's process group
    now goes with it."""
    marker = str(1000000 + os.getpid())  # the worker's sleep, told apart from any other

    def workers():
        found = []
        for entry in Path("/proc").iterdir():
            try:
                argv = (entry / "cmdline").read_bytes().split(b"\0")
            except OSError:
                continue
            status = proc_status(entry.name) if entry.name.isdigit() else None
            if argv[:2] == [b"sleep", marker.encode()] and status and status["State"][0] != "Z":
                found.append(int(entry.name))
        return found

    # Restarted only 60 s later: no new worker appears while the test looks.
    run = start(config(service("boss", ["sh", "-c", f"sleep {marker} & exec sleep 1000"]),
                       restart_delay=60))
    run.wait_log(r"boss: started with pid")
    leader = wait_until(lambda: run.service_pid("boss"), 5, "the service's pid")
    wait_until(workers, 5, "the worker")
    os.kill(leader, signal.SIGKILL)
    run.wait_log(r"boss: restarting")
    wait_until(lambda: not workers(), 5, "the worker to be gone")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def leaving_service(tmp_path, on_term):
    """A service whose main process leaves a session in its process group, as Dovecot's
    master (shutdown_clients = no) leaves its IMAP sessions."""
    script = tmp_path / "master.sh"
    script.write_text(f"#!/bin/sh\n(trap '{on_term}' TERM; touch {tmp_path}/ready; "
                      "while :; do sleep 0.05; done) &\nexec sleep 1000\n")
    script.chmod(0o755)
    return service("master", [str(script)])


@pytest.mark.parametrize("pid1", [True, False])
def test_at_a_stop_what_a_service_left_running_gets_sigterm_and_is_waited_for(
        start, tmp_path, pid1):
    """What a daemon's main process leaves behind (Dovecot's sessions, with shutdown_clients
    = no) was SIGKILLed once it had exited: no BYE, the mailbox not closed. At a stop it
    gets SIGTERM and mailinit waits for it."""
    run = start(config(leaving_service(
        tmp_path, f"sleep 0.3; echo closed > {tmp_path}/session; exit 0")), pid1=pid1)
    run.wait_log(r"master: started with pid")
    wait_until(lambda: (tmp_path / "ready").exists(), 5, "the session")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0, run.log()
    # It ended on its own SIGTERM, and before mailinit did.
    assert (tmp_path / "session").read_text() == "closed\n", run.log()
    assert "all services stopped" in run.log()


def test_a_leftover_that_ignores_sigterm_is_killed_at_the_grace_limit(start, tmp_path):
    run = start(config(leaving_service(tmp_path, ""), stop_grace=1), pid1=False)
    run.wait_log(r"master: started with pid")
    wait_until(lambda: (tmp_path / "ready").exists(), 5, "the leftover")
    run.kill(signal.SIGTERM)
    assert run.wait() == 128 + signal.SIGTERM, run.log()
    assert "grace limit of 1 s reached" in run.log()
    assert "master: what it left running did not end: SIGKILL" in run.log()
    assert "survived SIGKILL" not in run.log()  # the SIGKILL went to it, and it ended


def test_a_service_cannot_move_a_process_into_another_service_s_process_group(start, tmp_path):
    """Each service is a session of its own (setsid), so none of its processes can join
    another service's process group: one there would get that service's stop signal and be
    waited for, holding the stop up to the grace (a daemon's uid steering root's stop)."""
    victim = tmp_path / "victim.sh"
    victim.write_text(f"#!/bin/sh\necho $$ > {tmp_path}/victim.pid\nexec sleep 1000\n")
    victim.chmod(0o755)
    intruder = tmp_path / "intruder.py"
    intruder.write_text(
        "import errno, os, time\n"
        f"path = '{tmp_path}/victim.pid'\n"
        "while not os.path.exists(path) or not open(path).read().strip():\n"
        "    time.sleep(0.05)\n"
        "victim = int(open(path).read())\n"
        "try:\n"
        "    os.setpgid(0, os.getpgid(victim)); result = 'joined'\n"
        "except OSError as e:\n"
        "    result = errno.errorcode[e.errno]\n"
        f"open('{tmp_path}/result.tmp', 'w').write(result)\n"
        f"os.rename('{tmp_path}/result.tmp', '{tmp_path}/result')\n"
        "time.sleep(1000)\n")
    run = start(config(service("victim", [str(victim)], order=1),
                       service("intruder", ["/usr/bin/python3", str(intruder)], order=2)),
                pid1=False)
    wait_until(lambda: (tmp_path / "result").exists(), 10, "the intruder's try")
    assert (tmp_path / "result").read_text() == "EPERM", run.log()
    run.kill(signal.SIGTERM)
    assert run.wait() == 0, run.log()


def test_not_pid_1_it_is_a_subreaper_and_reaps_the_orphans(start, tmp_path):
    run = start(config(
        daemon("keeper", tmp_path, 1),
        service("spawner", [str(FAKE / "orphans.sh"), "20", "1000"], order=2),
        restart_delay=600,
    ), pid1=False)
    run.wait_log(r"not PID 1 \(pid \d+\): acting as child subreaper")
    run.wait_log(r"spawner: exited with status 0 unexpectedly")
    # The orphans now belong to mailinit, not to the namespace's PID 1 (the shell).
    orphans = sleeping_orphans(run, 20, [run.service_pid("keeper")])
    kill_and_see_them_reaped(run, orphans)
    run.kill(signal.SIGTERM)
    assert run.wait() == 0
    assert signals_of(tmp_path, "keeper") == ["TERM"]


def test_a_bad_stop_grace_is_a_configuration_error(start, tmp_path):
    run = start(config(daemon("a", tmp_path, 1)), env={"STOP_GRACE": "soon"})
    assert run.wait() == 78
    assert 'STOP_GRACE: "soon" is not a number of seconds from 0 to 3600' in run.log()
    assert not (tmp_path / "a.pid").exists()  # nothing was started


def test_a_bad_configuration_file_names_file_and_line(start, tmp_path):
    run = start('service a {\n  command = {"true"}\n  stop_signal = "NOPE"\n}\n')
    assert run.wait() == 78
    assert f"{tmp_path}/mailinit.conf:3: stop_signal: unknown signal \"NOPE\"" in run.log()


def test_syslog_messages_become_lines_on_stdout(start, tmp_path):
    sock = tmp_path / "log"
    run = start(config(daemon("a", tmp_path, 1), syslog_socket=f'"{sock}"'))
    wait_until(lambda: sock.exists(), 5, "the syslog socket")
    subprocess.run(["logger", "--socket-errors=on", "-u", str(sock), "-t", "opendkim",
                    "--id=4242", "signed 1A2B: DKIM-Signature added"], check=True)
    run.wait_log(r"^opendkim\[4242\]: signed 1A2B: DKIM-Signature added$")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


PEER = """#!/bin/sh
# peer.sh NAME DIR PEER: on SIGTERM, records it, then exits only once PEER has
# recorded its own: two peers stop promptly only if both are asked together.
trap 'kill "$child"; echo TERM >"$2/$1.term"; while [ ! -e "$2/$3.term" ]; do sleep 0.02; done; exit 0' TERM
echo $$ >"$2/$1.pid"
while :; do
	sleep 1000 &
	child=$!
	wait "$child"
done
"""


def test_services_of_equal_order_stop_together_after_the_later_ones(start, tmp_path):
    peer = tmp_path / "peer.sh"
    peer.write_text(PEER)
    peer.chmod(0o755)
    run = start(config(
        service("slow", [str(peer), "slow", str(tmp_path), "quick"], order=10),
        service("quick", [str(peer), "quick", str(tmp_path), "slow"], order=10),
        daemon("front", tmp_path, 20),
    ), env={"STOP_GRACE": "5"})
    wait_until(lambda: all((tmp_path / f"{n}.pid").exists() for n in ("slow", "quick", "front")),
               5, "the services")
    run.kill(signal.SIGTERM)
    # Stopped one by one, the first of the two would wait for the other's TERM
    # until the grace limit, be killed, and mailinit would exit 143.
    assert run.wait() == 0, run.log()
    log = run.log()
    assert "grace limit" not in log, log
    assert (tmp_path / "slow.term").exists() and (tmp_path / "quick.term").exists()
    order = re.findall(r"^mailinit: (\w+): stopping", log, re.M)
    assert order[0] == "front" and set(order[1:]) == {"slow", "quick"}, log
    # front was gone before either of the two was asked.
    lines = log.splitlines()
    front_gone = lines.index("mailinit: front: stopped")
    asked = [i for i, l in enumerate(lines) if re.match(r"mailinit: (slow|quick): stopping", l)]
    assert front_gone < min(asked), log


def test_a_stale_pidfile_is_removed_before_the_service_starts(start, tmp_path, directory_events):
    # Left by an earlier life, naming a PID that is alive but not ours.
    pidfile = tmp_path / "stale.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    seen = tmp_path / "seen"
    program = tmp_path / "mta.sh"
    program.write_text(f"#!/bin/sh\nif [ -e {pidfile} ]; then echo there; else echo gone; fi "
                       f">{seen}.new && mv {seen}.new {seen}\nexec sleep 1000\n")
    program.chmod(0o755)
    events = directory_events(tmp_path)
    run = start(config(service("mta", [str(program)], pidfile=str(pidfile))))
    run.wait_log(r"mta: removed stale pidfile .*stale\.pid \(pid \d+ is not one of ours\)")
    wait_until(seen.exists, 5, f"the service's look at the pidfile:\n{run.log()}")
    assert seen.read_text() == "gone\n", run.log()
    # Before, not just soon enough: the kernel saw the pidfile deleted before the
    # exec opened the service's program (mailinit waits for the exec to succeed
    # before it goes on, so a removal after the spawn comes after that open).
    deleted = events.first(IN_DELETE, "stale.pid")
    opened = events.first(IN_OPEN, "mta.sh")
    assert deleted is not None and opened is not None, events.events()
    assert deleted < opened, events.events()
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def test_a_pidfile_naming_another_service_s_process_is_stale(start, tmp_path):
    """After a container restart, an old pidfile's PID is often a neighbour's: Redis, started
    first, took the PID Dovecot had, and Dovecot refused to start ("already running") as the
    PID was alive and a child of mailinit. A descendant of another service is not ours."""
    pidfile = tmp_path / "mta.pid"
    seen = tmp_path / "seen"
    first = tmp_path / "first-life"
    # The mta's first life leaves the neighbour's PID in its pidfile and fails (as a
    # restarted container meets it): it must be neither adopted as the mta's daemon nor
    # kept to make the next life refuse to start.
    neighbour_pid = tmp_path / "neighbour.pid"
    neighbour = f"echo $$ > {neighbour_pid}.new && mv {neighbour_pid}.new {neighbour_pid}; " \
                "exec sleep 1000"
    program = tmp_path / "mta.sh"
    program.write_text(
        f"#!/bin/sh\nif [ ! -e {first} ]; then touch {first}\n"
        f"  while [ ! -s {neighbour_pid} ]; do sleep 0.05; done\n"
        f"  cp {neighbour_pid} {pidfile}; exit 1\nfi\n"
        f"if [ -e {pidfile} ]; then echo there; else echo gone; fi >{seen}.new && "
        f"mv {seen}.new {seen}\nexec sleep 1000\n")
    program.chmod(0o755)
    run = start(config(service("neighbour", ["sh", "-c", neighbour], order=5),
                       service("mta", [str(program)], pidfile=str(pidfile), order=10)))
    run.wait_log(r"mta: removed stale pidfile .*mta\.pid \(pid \d+ is not one of ours\)")
    wait_until(seen.exists, 10, f"the mta's second life:\n{run.log()}")
    assert seen.read_text() == "gone\n", run.log()
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def test_a_log_nobody_reads_costs_lines_never_the_supervisor(start):
    """The container's log is a pipe; when its reader stalls, the pipe fills. PID 1 writes
    the daemons' lines there: it must drop them, and say how many, rather than block in
    write(2), where it would handle no signal and reap no child again."""
    read_end, write_end = os.pipe()
    try:
        run = start(config(service("flood", ["yes", "a line nobody reads"])), stdout=write_end)

        def queued():
            return struct.unpack("i", fcntl.ioctl(read_end, termios.FIONREAD, b"\0" * 4))[0]

        # Full: a pipe holds 64 KiB in 16 pages, each filled with whole lines.
        wait_until(lambda: queued() > 60000, 10, "the stdout pipe full")
        run.kill(signal.SIGTERM)
        assert run.wait() == 0
        assert re.search(r"^mailinit: warning: \d+ log lines were dropped: the log's reader "
                         r"did not keep up$", run.log(), re.M), run.log()
    finally:
        os.close(read_end)
        os.close(write_end)
