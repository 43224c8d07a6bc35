"""`mailinit autoconfig DOMAIN [mozilla|microsoft]`: the documents Thunderbird and Outlook
configure themselves from, well-formed, listing only what the server offers."""

import subprocess
import xml.etree.ElementTree as ET

import pytest

from conftest import MAILINIT, ROOT

MS = "{http://schemas.microsoft.com/exchange/autodiscover/outlook/responseschema/2006a}"


@pytest.fixture
def autoconfig(tmp_path):
    def run(*args, **env):
        environment = {"PATH": "/usr/sbin:/usr/bin:/sbin:/bin",
                       "MAILINIT_CONFIG_DIR": str(tmp_path),
                       "MAILINIT_TEMPLATES": str(ROOT / "templates"),
                       "MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "mail.example.test",
                       **env}
        return subprocess.run([MAILINIT, "autoconfig", *args], env=environment, text=True,
                              capture_output=True, timeout=30)
    return run


def test_mozilla_lists_implicit_tls_first_and_only_what_is_on(autoconfig):
    out = autoconfig("other.test", "mozilla", MAIL_DOMAINS="other.test", ENABLE_POP3="no")
    assert out.returncode == 0, out.stderr
    root = ET.fromstring(out.stdout)
    assert root.tag == "clientConfig" and root.get("version") == "1.1"
    provider = root.find("emailProvider")
    assert provider.get("id") == "other.test" and provider.findtext("domain") == "other.test"
    servers = [(s.tag, s.get("type"), s.findtext("hostname"), s.findtext("port"),
                s.findtext("socketType"), s.findtext("authentication"), s.findtext("username"))
               for s in provider if s.tag.endswith("Server")]
    assert servers == [
        ("incomingServer", "imap", "mail.example.test", "993", "SSL", "password-cleartext",
         "%EMAILADDRESS%"),
        ("incomingServer", "imap", "mail.example.test", "143", "STARTTLS",
         "password-cleartext", "%EMAILADDRESS%"),
        ("outgoingServer", "smtp", "mail.example.test", "465", "SSL", "password-cleartext",
         "%EMAILADDRESS%"),
        ("outgoingServer", "smtp", "mail.example.test", "587", "STARTTLS",
         "password-cleartext", "%EMAILADDRESS%"),
    ]


def test_microsoft_autodiscover_response(autoconfig):
    out = autoconfig("example.test", "microsoft")
    assert out.returncode == 0, out.stderr
    root = ET.fromstring(out.stdout)
    assert root.tag == ("{http://schemas.microsoft.com/exchange/autodiscover/responseschema/"
                        "2006}Autodiscover")
    account = root.find(f"{MS}Response/{MS}Account")
    assert account.findtext(f"{MS}AccountType") == "email"
    assert account.findtext(f"{MS}Action") == "settings"
    protocols = [(p.findtext(f"{MS}Type"), p.findtext(f"{MS}Server"), p.findtext(f"{MS}Port"),
                  p.findtext(f"{MS}SSL"), p.findtext(f"{MS}SPA"))
                 for p in account.findall(f"{MS}Protocol")]
    assert protocols == [("IMAP", "mail.example.test", "993", "on", "off"),
                         ("POP3", "mail.example.test", "995", "on", "off"),
                         ("SMTP", "mail.example.test", "465", "on", "off")]


def test_without_a_kind_both_with_where_they_go(autoconfig):
    out = autoconfig("example.test")
    assert out.returncode == 0, out.stderr
    assert "https://autoconfig.example.test/mail/config-v1.1.xml" in out.stdout
    assert "https://autodiscover.example.test/autodiscover/autodiscover.xml" in out.stdout
    assert out.stdout.count("<?xml") == 2


@pytest.mark.parametrize("args, status", [(("nope.test",), 67), (("example.test", "apple"), 64),
                                          (("not a domain",), 64)])
def test_refusals_print_nothing(autoconfig, args, status):
    out = autoconfig(*args)
    assert out.returncode == status, out
    assert out.stdout == ""
