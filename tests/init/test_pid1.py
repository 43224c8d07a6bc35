"""mailinit's PID-1 behaviour, observed from outside the namespace."""

import ctypes
import os
import platform
import re
import signal
import subprocess
import time

from conftest import FAKE, config, proc_status, service, wait_until

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


def test_no_zombies_after_a_service_leaves_100_orphans(start, tmp_path):
    run = start(config(
        daemon("keeper", tmp_path, 1),
        service("spawner", [str(FAKE / "orphans.sh"), "100", "0.3"], order=2),
        restart_delay=600,  # the spawner must not run again during the check
    ))
    run.wait_log(r"spawner: exited with status 0 unexpectedly")
    # Each orphan outlived the spawner (it waited for its end), so all 100 were
    # re-parented to PID 1, whatever the fork speed; PID 1 must reap every one.
    run.wait_log(r"reaped pid \d+", timeout=20, count=100)
    zombies = [pid for pid in run.processes()
               if (proc_status(pid) or {}).get("State", "").startswith("Z")]
    assert zombies == [], f"zombies left: {zombies}\n{run.log()}"
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def test_sigterm_stops_every_service_in_reverse_order_and_exits_0_promptly(start, tmp_path):
    run = start(config(
        daemon("first", tmp_path, 10),
        daemon("second", tmp_path, 20),
        daemon("third", tmp_path, 30),
    ))
    run.wait_log(r"third: started with pid")
    wait_until(lambda: (tmp_path / "third.pid").exists(), 5, "third to run")
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
    run.kill(signal.SIGTERM)
    assert run.wait() == 0, run.log()
    assert signals_of(tmp_path, "mta") == ["HUP", "USR1", "TERM"]
    # Not one of them went to the spawned wrapper.
    assert signals_of(tmp_path, "mta-wrapper") == [], run.log()
    assert re.search(r"mta: reloading \(SIGHUP to pid \d+\)", run.log())


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


def test_a_crashed_service_is_restarted_after_the_backoff(start, tmp_path):
    run = start(config(service("flaky", [str(FAKE / "crash-once.sh"), str(tmp_path)])))
    run.wait_log(r"flaky: killed by signal 9 \(SIGKILL\) unexpectedly")
    run.wait_log(r"flaky: restarting in 1 s")
    run.wait_log(r"flaky: started with pid", count=2)
    wait_until(lambda: len((tmp_path / "starts").read_text().split()) == 2, 5, "the 2nd start")
    starts = [float(t) for t in (tmp_path / "starts").read_text().split()]
    assert starts[1] - starts[0] >= 0.95, "restarted before the 1 s backoff"
    # It stays up, and a stop is still clean.
    time.sleep(0.3)
    assert proc_status(run.service_pid("flaky"))["Name"] == "sleep"
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


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
    status = proc_status(pid)
    assert status["Name"] == "sleep", status
    assert status["SigBlk"] == "0000000000000000", (status, run.log())
    assert status["SigIgn"] == "0000000000000000", (status, run.log())
    assert sorted(os.listdir(f"/proc/{pid}/fd")) == ["0", "1", "2"]
    assert os.readlink(f"/proc/{pid}/fd/0") == "/dev/null"
    # stdout and stderr are mailinit's own: the container log.
    assert os.readlink(f"/proc/{pid}/fd/2") == os.readlink(f"/proc/{run.pid}/fd/2")
    os.close(extra_r)
    os.close(extra_w)
    run.kill(signal.SIGTERM)
    assert run.wait() == 0


def test_not_pid_1_it_is_a_subreaper_and_reaps_the_orphans(start, tmp_path):
    run = start(config(
        daemon("keeper", tmp_path, 1),
        service("spawner", [str(FAKE / "orphans.sh"), "20", "2"], order=2),
        restart_delay=600,
    ), pid1=False)
    run.wait_log(r"not PID 1 \(pid \d+\): acting as child subreaper")
    run.wait_log(r"spawner: exited with status 0 unexpectedly")
    # The orphans now belong to mailinit, not to the namespace's PID 1.
    # (/proc read from the host shows the parent's host PID.)
    def orphans():
        return [p for p in run.processes() if (proc_status(p) or {}).get("Name") == "sleep"
                and proc_status(p).get("PPid") == str(run.pid)]
    wait_until(lambda: len(orphans()) >= 20, 5, "20 orphans under mailinit")
    run.wait_log(r"reaped pid \d+", timeout=10, count=20)
    zombies = [p for p in run.processes() if (proc_status(p) or {}).get("State", "")[:1] == "Z"]
    assert zombies == []
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


def test_services_of_equal_order_stop_together_after_the_later_ones(start, tmp_path):
    (tmp_path / "stop-delay").write_text("1\n")
    run = start(config(
        daemon("slow", tmp_path, 10),   # takes 1 s to stop
        daemon("quick", tmp_path, 10),
        daemon("front", tmp_path, 20),
    ))
    wait_until(lambda: all((tmp_path / f"{n}.pid").exists() for n in ("slow", "quick", "front")),
               5, "the services")
    began = time.monotonic()
    run.kill(signal.SIGTERM)
    assert run.wait() == 0
    elapsed = time.monotonic() - began
    log = run.log()
    order = re.findall(r"^mailinit: (\w+): stopping", log, re.M)
    assert order[0] == "front" and set(order[1:]) == {"slow", "quick"}, log
    # Both of order 10 were asked before either was gone: one wait, not two.
    lines = log.splitlines()
    asked = [i for i, l in enumerate(lines) if re.match(r"mailinit: (slow|quick): stopping", l)]
    gone = [i for i, l in enumerate(lines) if re.match(r"mailinit: (slow|quick): stopped", l)]
    assert max(asked) < min(gone), log
    assert elapsed < 2.5, f"{elapsed:.2f} s: the order-10 services were stopped one by one"


def test_a_stale_pidfile_is_removed_before_the_service_starts(start, tmp_path):
    # Left by an earlier life, naming a PID that is alive but not ours.
    pidfile = tmp_path / "stale.pid"
    pidfile.write_text(f"{os.getpid()}\n")
    run = start(config(service("mta", ["sh", "-c", f"test ! -e {pidfile} && exec sleep 1000"],
                               pidfile=str(pidfile))))
    run.wait_log(r"mta: removed stale pidfile .*stale\.pid \(pid \d+ is not one of ours\)")
    time.sleep(0.5)
    assert "unexpectedly" not in run.log(), run.log()
    run.kill(signal.SIGTERM)
    assert run.wait() == 0
