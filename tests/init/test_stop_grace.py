"""Who owns stop_grace: the service file, unless the STOP_GRACE setting is given. With
provisioning on (the image's way), the settings' default used to replace the service file's
value, so its stop_grace did nothing (issue 14). The value in force is the one the stop uses:
'stopping all services (grace N s)'."""

import signal

import pytest

from conftest import FAKE, ROOT, config, service

DAEMON = str(FAKE / "daemon.sh")


def provisioning_env(tmp_path, **extra):
    env = {"MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "mail.example.test",
           "MAILINIT_CONFIG_DIR": str(tmp_path / "config"),
           "MAILINIT_TEMPLATES": str(ROOT / "templates"),
           "MAILINIT_ROOT": str(tmp_path / "root"), "MAILINIT_MAIL_DIR": str(tmp_path / "mail")}
    env.update(extra)
    return env


def started_then_stopped(start, tmp_path, provision, start_line, env):
    """Runs one fake service under a service file with stop_grace = 3, waits for START_LINE's
    grace, stops it with SIGTERM, and returns the log."""
    run = start(config(service("only", [DAEMON, "only", str(tmp_path)], order=1),
                       provision=provision, stop_grace=3), env=env)
    run.wait_log(start_line)
    run.wait_log(r"only: started with pid")
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()
    return run.log()


@pytest.mark.parametrize("provision", ["true", "false"])
def test_the_service_files_stop_grace_holds_when_no_setting_gives_one(start, tmp_path,
                                                                     provision):
    log = started_then_stopped(
        start, tmp_path, provision,
        r"supervising 1 services from \S+ \(stop grace 3 s: stop_grace of \S+\)",
        provisioning_env(tmp_path))
    assert "stopping all services (grace 3 s)" in log


@pytest.mark.parametrize("provision", ["true", "false"])
def test_STOP_GRACE_replaces_the_service_files_value_and_says_so(start, tmp_path, provision):
    log = started_then_stopped(start, tmp_path, provision,
                               r"\(stop grace 5 s: STOP_GRACE from environment\)",
                               provisioning_env(tmp_path, STOP_GRACE="5"))
    assert "stopping all services (grace 5 s)" in log


def test_STOP_GRACE_in_the_settings_file_replaces_it_too(start, tmp_path):
    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "mailinit.conf").write_text('stop_grace = "4"\n')
    log = started_then_stopped(
        start, tmp_path, "true",
        r"\(stop grace 4 s: STOP_GRACE from \S+/config/mailinit.conf:1\)",
        provisioning_env(tmp_path))
    assert "stopping all services (grace 4 s)" in log
