"""`mailinit import` fed docker-mailserver files that are broken or hostile: a clear
message naming file and line, no crash, and nothing half written."""

import shutil
import subprocess

import pytest

from conftest import MAILINIT, ROOT
from test_admin import FIXTURES


@pytest.fixture
def importer(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()
    source = tmp_path / "dms"
    shutil.copytree(FIXTURES, source)
    env = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin", "MAILINIT_CONFIG_DIR": str(config_dir),
           "MAILINIT_TEMPLATES": str(ROOT / "templates"), "MAIL_DOMAIN": "example.test",
           "MAIL_HOSTNAME": "mail.example.test"}

    def run(**files):
        for name, text in files.items():
            (source / name.replace("_", "-")).write_text(text)
        return subprocess.run([MAILINIT, "import", str(source)], env=env, text=True,
                              capture_output=True, timeout=60)

    run.config = config_dir
    return run


def test_a_quota_line_without_a_colon_is_named_not_a_crash(importer):
    out = importer(**{"dovecot_quotas.cf": "jane@example.test\njohn@example.test:2G\n"})
    assert out.returncode == 0, out  # was a segfault, exit 139
    assert "dovecot-quotas.cf:1: expected user@domain:SIZE; jane@example.test is imported " \
           "without a quota" in out.stderr
    accounts = (importer.config / "accounts").read_text()
    assert "john@example.test:{SHA512-CRYPT}" in accounts and ":quota=2G" in accounts
    assert "jane@example.test:{SHA512-CRYPT}" in accounts
