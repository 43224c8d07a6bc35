"""reload_when_changed: a service is reloaded only when a file of its configuration changed.
rspamd restarts its workers on SIGHUP and mail in their hands gets a 451, so a live change
that does not touch its configuration (an account, an alias) must leave it alone."""

import signal

from conftest import config, service


def test_a_service_is_reloaded_only_when_its_directory_changed(start, tmp_path):
    conf = tmp_path / "conf"
    (conf / "local.d").mkdir(parents=True)
    (conf / "local.d" / "actions.conf").write_text("reject = 15;\n")
    flag = tmp_path / "change-it"
    step = f"if [ -e {flag} ]; then echo 'reject = 20;' > {conf}/local.d/actions.conf.new && " \
           f"mv {conf}/local.d/actions.conf.new {conf}/local.d/actions.conf; fi"
    run = start(config(service("filter", ["sleep", "1000"], reload_signal="CONT",
                               reload_when_changed=str(conf)),
                       service("mta", ["sleep", "1001"], reload_signal="CONT"),
                       reconfigure_command='{"sh", "-c", "' + step.replace('"', '\\"') + '"}'))
    run.wait_log(r"mta: started with pid")
    run.kill(signal.SIGHUP)
    run.wait_log(rf"filter: nothing in {conf} changed: not reloaded")
    run.wait_log(r"mta: reloading")
    flag.touch()
    run.kill(signal.SIGHUP)
    run.wait_log(r"filter: reloading \(SIGCONT")
    run.kill(signal.SIGTERM)
    assert run.wait() == 0
