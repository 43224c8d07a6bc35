"""`mailinit dns DOMAIN`: the records to publish, all or nothing, and the RFC 6186 SRV
records that let mail clients configure themselves."""

import subprocess

import pytest

from conftest import MAILINIT, ROOT


@pytest.fixture
def dns(tmp_path):
    config_dir = tmp_path / "config"
    config_dir.mkdir()

    def run(domain, dkim_key=True, **env):
        if dkim_key:
            keys = config_dir / "dkim" / "example.test"
            keys.mkdir(parents=True, exist_ok=True)
            (keys / "mail.txt").write_text(
                'mail._domainkey.example.test.\tIN\tTXT\t"v=DKIM1; k=rsa; p=KEY"\n')
        environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                       "MAILINIT_CONFIG_DIR": str(config_dir),
                       "MAILINIT_TEMPLATES": str(ROOT / "templates"),
                       "MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "mail.example.test",
                       **env}
        return subprocess.run([MAILINIT, "dns", domain], env=environment, text=True,
                              capture_output=True, timeout=30)

    return run


def test_srv_records_prefer_implicit_tls_and_mark_what_is_off(dns):
    out = dns("example.test", ENABLE_POP3="no", ENABLE_MANAGESIEVE="yes")
    assert out.returncode == 0, out.stderr
    lines = out.stdout.splitlines()
    for record in ("_submissions._tcp.example.test.\tIN\tSRV\t0 1 465 mail.example.test.",
                   "_submission._tcp.example.test.\tIN\tSRV\t10 1 587 mail.example.test.",
                   "_imaps._tcp.example.test.\tIN\tSRV\t0 1 993 mail.example.test.",
                   "_imap._tcp.example.test.\tIN\tSRV\t10 1 143 mail.example.test.",
                   "_pop3s._tcp.example.test.\tIN\tSRV\t0 0 0 .",
                   "_pop3._tcp.example.test.\tIN\tSRV\t0 0 0 .",
                   "_sieve._tcp.example.test.\tIN\tSRV\t0 1 4190 mail.example.test."):
        assert record in lines, out.stdout
    assert 'mail._domainkey.example.test.\tIN\tTXT\t"v=DKIM1; k=rsa; p=KEY"' in lines


def test_a_domain_that_is_not_ours_prints_nothing_and_exits_67(dns):
    out = dns("other.test")
    assert out.returncode == 67, out
    assert out.stdout == ""
    assert "other.test is not a mail domain here" in out.stderr


def test_one_of_mail_domains_is_ours(dns):
    out = dns("other.test", dkim_key=False, MAIL_DOMAINS="other.test", ENABLE_DKIM="no")
    assert out.returncode == 0, out.stderr
    assert "other.test.\tIN\tMX\t10 mail.example.test." in out.stdout
    assert "_domainkey" not in out.stdout


def test_no_dkim_key_yet_prints_nothing_and_exits_69(dns):
    out = dns("example.test", dkim_key=False)
    assert out.returncode == 69, out
    assert out.stdout == ""
    assert "no DKIM key for example.test" in out.stderr
