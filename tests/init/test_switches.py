"""Switched services (enabled_by = "ENABLE_X" in the service file): run only when that yes/no
setting is on, as rspamd and Redis run by ENABLE_RSPAMD. The set is fixed for the run: a
live reload that turns a switch over is refused, and the services keep running."""

import signal

from conftest import FAKE, config, service, wait_until
from test_stop_grace import provisioning_env

DAEMON = str(FAKE / "daemon.sh")


def services(tmp_path):
    return [service("filter", [DAEMON, "filter", str(tmp_path)], order=2,
                    enabled_by="ENABLE_RSPAMD"),
            service("mta", [DAEMON, "mta", str(tmp_path)], order=3)]


def test_a_switched_off_service_does_not_run_and_the_log_says_why(start, tmp_path):
    run = start(config(*services(tmp_path)), env={"ENABLE_RSPAMD": "no"})
    run.wait_log(r"supervising 1 services")
    assert "ENABLE_RSPAMD is off: filter does not run" in run.log()
    run.wait_log(r"mta: started with pid")
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()
    assert "filter: started" not in run.log()


def test_a_switch_on_by_default_runs_its_service(start, tmp_path):
    run = start(config(*services(tmp_path)), env={})
    run.wait_log(r"supervising 2 services")
    run.wait_log(r"filter: started with pid")
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()


def test_a_switch_that_names_no_yes_no_setting_stops_the_start(start, tmp_path):
    for name in ("ENABLE_NOTHING", "MAIL_DOMAIN"):
        run = start(config(service("filter", [DAEMON, "filter", str(tmp_path)],
                                   enabled_by=name)), env={})
        assert run.wait(timeout=30) == 78, run.log()
        assert (f'service filter: enabled_by = "{name}" names no yes/no setting, network '
                f'list or server') in run.log()


def test_a_reload_that_turns_a_switch_over_is_refused_and_nothing_stops(start, tmp_path):
    (tmp_path / "config").mkdir()
    run = start(config(*services(tmp_path), provision="true"), env=provisioning_env(tmp_path))
    run.wait_log(r"filter: started with pid")
    (tmp_path / "config" / "mailinit.conf").write_text('enable_rspamd = "no"\n')
    run.kill(signal.SIGHUP)
    run.wait_log(r"reload: ENABLE_RSPAMD is now no \(\S+/config/mailinit.conf:1\) but was "
                 r"yes at the start: it starts or stops services, so it takes a restart")
    assert "filter: reloading" not in run.log() and "filter: stopped" not in run.log()
    status = tmp_path / "root" / "reload-status"
    wait_until(lambda: status.exists() and "refused" in status.read_text(), what="refused")
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()


def test_a_network_list_is_a_switch_on_when_set(start, tmp_path):
    """The gate runs by PROXY_PROTOCOL_NETWORKS: set, it runs; empty, it does not; emptied by
    a reload, the reload is refused in those words."""
    gate = [service("gate", [DAEMON, "gate", str(tmp_path)], order=4,
                    enabled_by="PROXY_PROTOCOL_NETWORKS"),
            service("mta", [DAEMON, "mta", str(tmp_path)], order=3)]
    run = start(config(*gate), env={"PROXY_PROTOCOL_NETWORKS": ""})
    run.wait_log(r"mta: started with pid")
    assert "PROXY_PROTOCOL_NETWORKS is off: gate does not run" in run.log()
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()

    (tmp_path / "config").mkdir()
    (tmp_path / "config" / "mailinit.conf").write_text(
        'proxy_protocol_networks = "10.0.0.5/32"\n')
    run = start(config(*gate, provision="true"), env=provisioning_env(tmp_path))
    run.wait_log(r"gate: started with pid")
    (tmp_path / "config" / "mailinit.conf").write_text('proxy_protocol_networks = ""\n')
    run.kill(signal.SIGHUP)
    run.wait_log(r"reload: PROXY_PROTOCOL_NETWORKS is now empty \(\S+/config/mailinit.conf:1\) "
                 r"but was set at the start")
    assert "gate: stopped" not in run.log()
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()


def test_disabled_by_leaves_a_service_out_when_its_setting_is_set(start, tmp_path):
    """Redis does not run when the MX servers share one (REDIS_SERVER): disabled_by."""
    store = [service("store", [DAEMON, "store", str(tmp_path)], order=1,
                     disabled_by="REDIS_SERVER"),
             service("mta", [DAEMON, "mta", str(tmp_path)], order=3)]
    run = start(config(*store), env={"REDIS_SERVER": "mail-redis:6379"})
    run.wait_log(r"mta: started with pid")
    assert "REDIS_SERVER is set: store does not run" in run.log()
    assert "store: started" not in run.log()
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()

    run = start(config(*store), env={})
    run.wait_log(r"store: started with pid")
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()


def test_a_role_runs_only_the_services_that_name_it(start, tmp_path):
    """ROLE (docs/scaling.md): a service with roles runs only in those; one without, in all."""
    split = [service("mta", [DAEMON, "mta", str(tmp_path)], order=3, roles=["all", "mx"]),
             service("store", [DAEMON, "store", str(tmp_path)], order=1)]
    run = start(config(*split), env={"ROLE": "mailbox", "ENABLE_SIEVE": "no"})
    run.wait_log(r"store: started with pid")
    assert "ROLE is mailbox: mta does not run" in run.log()
    assert "mta: started" not in run.log()
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()

    run = start(config(*split), env={})  # ROLE=all: both
    run.wait_log(r"mta: started with pid")
    run.wait_log(r"store: started with pid")
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()


def test_a_reload_that_changes_the_role_is_refused_and_nothing_stops(start, tmp_path):
    (tmp_path / "config").mkdir()
    split = [service("mta", [DAEMON, "mta", str(tmp_path)], order=3, roles=["all", "mx"])]
    run = start(config(*split, provision="true"), env=provisioning_env(tmp_path))
    run.wait_log(r"mta: started with pid")
    (tmp_path / "config" / "mailinit.conf").write_text('role = "mailbox"\nenable_sieve = no\n')
    run.kill(signal.SIGHUP)
    run.wait_log(r"reload: ROLE is now mailbox \(\S+/config/mailinit.conf:1\) but was all at "
                 r"the start: it starts or stops services, so it takes a restart")
    assert "mta: stopped" not in run.log()
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()


def test_an_unknown_role_or_a_misspelt_one_in_the_service_file_stops_the_start(start, tmp_path):
    """A typo must not quietly run everything as ROLE=all, or stop a service in every role."""
    split = [service("mta", [DAEMON, "mta", str(tmp_path)], order=3, roles=["all", "mx"])]
    run = start(config(*split), env={"ROLE": "edge"})
    assert run.wait(timeout=30) == 78, run.log()
    assert 'ROLE: "edge" is not one of all|mx|mailbox|proxy' in run.log()

    typo = [service("mta", [DAEMON, "mta", str(tmp_path)], order=3, roles=["all", "mz"])]
    run = start(config(*typo), env={})
    assert run.wait(timeout=30) == 78, run.log()
    assert 'service mta: roles: "mz" is not a ROLE (all, mx, mailbox, proxy)' in run.log()


def test_a_switch_of_a_service_the_role_does_not_run_holds_no_reload_up(start, tmp_path):
    """On a mailbox server, Redis (an MX service, disabled_by REDIS_SERVER) never runs: a
    reload that changes REDIS_SERVER there goes through like any other."""
    (tmp_path / "config").mkdir()
    conf = tmp_path / "config" / "mailinit.conf"
    conf.write_text('role = "mailbox"\nenable_sieve = no\nredis_server = "mail-redis:6379"\n')
    split = [service("store", [DAEMON, "store", str(tmp_path)], order=1, roles=["all", "mx"],
                     disabled_by="REDIS_SERVER"),
             service("imap", [DAEMON, "imap", str(tmp_path)], order=3)]
    run = start(config(*split, provision="true"), env=provisioning_env(tmp_path))
    run.wait_log(r"imap: started with pid")
    conf.write_text('role = "mailbox"\nenable_sieve = no\n')
    run.kill(signal.SIGHUP)
    run.wait_log(r"imap: reloading")
    assert "REDIS_SERVER is now" not in run.log()
    run.kill(signal.SIGTERM)
    assert run.wait(timeout=30) == 0, run.log()
