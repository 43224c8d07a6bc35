"""Live reload: watched directories, SIGHUP and the reconfigure step, with fake services."""

import re
import signal
import time

from conftest import FAKE, config, proc_status, service, wait_until

DAEMON = str(FAKE / "daemon.sh")


def signals_of(directory, name):
    path = directory / f"{name}.signals"
    return path.read_text().split() if path.exists() else []


def reload_config(tmp_path, watched, result=0, delay=250, extra_service=None):
    """A daemon, and a reconfigure step that writes one line per run (the names in the
    watched directory as it found them) and exits with RESULT (read at each run from
    tmp_path/result, so a test can change it)."""
    (tmp_path / "result").write_text(f"{result}\n")
    step = (f'echo run $(ls -A {watched}) >> {tmp_path}/runs; exit $(cat {tmp_path}/result)')
    services = [service("mta", [DAEMON, "mta", str(tmp_path)], order=1)]
    if extra_service:
        services.append(extra_service)
    return config(*services, watch=f'{{"{watched}"}}',
                  reconfigure_command=f'{{"sh", "-c", "{step}"}}',
                  reconfigure_delay=delay)


def run_lines(tmp_path):
    """One list of names per run of the reconfigure step."""
    path = tmp_path / "runs"
    return [line.split()[1:] for line in path.read_text().splitlines()] if path.exists() else []


def runs(tmp_path):
    return len(run_lines(tmp_path))


CHANGE_SEEN = "reload: change seen in a watched directory"


def test_a_change_in_a_watched_directory_reconfigures_then_reloads(start, tmp_path):
    watched = tmp_path / "etc"
    watched.mkdir()
    run = start(reload_config(tmp_path, watched))
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 5, "the service")
    assert runs(tmp_path) == 0
    changed = time.monotonic()
    (watched / "accounts").write_text("alice\n")
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP"], 5, "the reload")
    assert time.monotonic() - changed < 2, run.log()
    assert runs(tmp_path) == 1
    assert "reload: configuration verified and in place" in run.log()


def test_a_burst_of_changes_makes_one_reload(start, tmp_path):
    watched = tmp_path / "etc"
    watched.mkdir()
    # A quiet time of 1 s (4 s at most) against a burst of about 0.1 s.
    run = start(reload_config(tmp_path, watched, delay=1000))
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 5, "the service")
    for i in range(20):
        (watched / f"file{i}").write_text("x")
        time.sleep(0.005)
    wait_until(lambda: signals_of(tmp_path, "mta"), 10, "the reload")
    # No second run of the burst is due or running: a later change is seen as a new
    # one (mailinit says "change seen" only when no run is due or running) and makes
    # the second run, the first that lists it.
    (watched / "later").write_text("x")
    wait_until(lambda: any("later" in names for names in run_lines(tmp_path)), 10,
               f"a run after the later change:\n{run.log()}")
    lines = run_lines(tmp_path)
    assert len(lines) == 2 and "later" in lines[1], (lines, run.log())
    assert sorted(lines[0]) == sorted(f"file{i}" for i in range(20)), lines  # the whole burst
    assert run.log().count(CHANGE_SEEN) == 2, run.log()
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP", "HUP"], 5, "the second reload")


def test_a_refused_configuration_reloads_nothing_and_keeps_serving(start, tmp_path):
    watched = tmp_path / "etc"
    watched.mkdir()
    run = start(reload_config(tmp_path, watched, result=78))
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 5, "the service")
    pid = int((tmp_path / "mta.pid").read_text())
    (watched / "accounts").write_text("broken\n")
    run.wait_log(r"reload: the new configuration was refused \(reconfiguration exited with "
                 r"status 78\); the running configuration keeps serving")
    # Fixed: the next change goes through, and it is the only one that reloads.
    (tmp_path / "result").write_text("0\n")
    (watched / "accounts").write_text("fixed\n")
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP"], 5, "the reload")
    log = run.log()
    # mailinit logs every reload it sends: one, after the accepted run.
    assert len(re.findall(r"mta: reloading \(SIGHUP", log)) == 1, log
    assert log.index("reload: configuration verified and in place") < log.index(
        "mta: reloading (SIGHUP"), log
    assert runs(tmp_path) == 2, log
    assert proc_status(run.host_pid(pid)) is not None  # still the same daemon


def test_lock_and_editor_files_are_not_changes(start, tmp_path):
    watched = tmp_path / "etc"
    watched.mkdir()
    run = start(reload_config(tmp_path, watched))
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 5, "the service")
    (watched / ".lock").write_text("")
    (watched / ".accounts.swp").write_text("x")
    (watched / "accounts~").write_text("x")
    # mailinit has read those events before it handles a SIGHUP sent after them:
    # it reads a signal only in a poll round that ended after the signal came, and
    # that round reads the watch first. Had one of them counted, "change seen"
    # would come before "received SIGHUP".
    run.kill(signal.SIGHUP)
    run.wait_log(r"received SIGHUP: reconfiguring")
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP"], 5, "the SIGHUP's reload")
    assert CHANGE_SEEN not in run.log(), run.log()
    assert runs(tmp_path) == 1, run.log()
    # Kubernetes' swap: a new data directory and a ..data_tmp link to it (a change),
    # then ..data_tmp renamed over ..data: a change of its own, even when the run
    # for the first has already gone by.
    (watched / "..2026").mkdir()
    (watched / "..data_tmp").symlink_to("..2026")
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP", "HUP"], 5, "the link's reload")
    assert "..data_tmp" in run_lines(tmp_path)[1], run_lines(tmp_path)
    (watched / "..data_tmp").rename(watched / "..data")
    wait_until(lambda: any("..data" in names for names in run_lines(tmp_path)), 5,
               f"a run after the swap:\n{run_lines(tmp_path)}\n{run.log()}")
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP", "HUP", "HUP"], 5, "its reload")


def test_sighup_from_inside_the_namespace_reaches_pid_1(start, tmp_path):
    """podman exec NAME mailinit reload: the sender is in the container, not above it."""
    watched = tmp_path / "etc"
    watched.mkdir()
    sender = service("sender", ["sh", "-c", "sleep 0.3; kill -HUP 1; exec sleep 1000"], order=2)
    run = start(reload_config(tmp_path, watched, extra_service=sender))
    wait_until(lambda: runs(tmp_path) == 1, 5, f"the reconfiguration:\n{run.log()}")
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP"], 5, "the reload")
    assert "received SIGHUP: reconfiguring" in run.log()


def test_sighup_during_a_reconfiguration_runs_it_again_after(start, tmp_path):
    watched = tmp_path / "etc"
    watched.mkdir()
    (tmp_path / "result").write_text("0\n")
    step = f"echo run >> {tmp_path}/runs; sleep 0.5"
    run = start(config(service("mta", [DAEMON, "mta", str(tmp_path)], order=1),
                       watch=f'{{"{watched}"}}', reconfigure_command=f'{{"sh", "-c", "{step}"}}'))
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 5, "the service")
    run.kill(signal.SIGHUP)
    wait_until(lambda: runs(tmp_path) == 1, 5, "the first run")
    run.kill(signal.SIGHUP)  # while the first still runs
    wait_until(lambda: runs(tmp_path) == 2, 5, f"the second run:\n{run.log()}")
    wait_until(lambda: signals_of(tmp_path, "mta") == ["HUP", "HUP"], 5, "two reloads")


def test_idle_mailinit_does_not_wake_up(start, tmp_path):
    """No polling: over two idle seconds PID 1 is not scheduled once."""
    watched = tmp_path / "etc"
    watched.mkdir()
    run = start(reload_config(tmp_path, watched))
    wait_until(lambda: (tmp_path / "mta.pid").exists(), 5, "the service")
    time.sleep(0.5)  # the service's start-up settles

    def switches():
        status = proc_status(run.pid)
        return int(status["voluntary_ctxt_switches"]) + int(status["nonvoluntary_ctxt_switches"])

    before = switches()
    time.sleep(2)
    assert switches() == before, run.log()
