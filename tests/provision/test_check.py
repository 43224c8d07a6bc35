"""`mailinit check`: every bad input is refused with a message naming its cause;
good input renders configurations that the real daemons accept and that are
secure by default."""

import re
import shutil
import subprocess
import tempfile
import time
from pathlib import Path

import pytest

from conftest import MAILINIT

GOOD_HASH = "{SHA512-CRYPT}$6$saltsalt$" + "x" * 86
OK = {"MAIL_DOMAIN": "example.test"}

# (environment, accounts, aliases, expected message) -> exit 78, nothing rendered.
BAD_INPUTS = [
    ({}, None, None, "MAIL_DOMAIN: is required"),
    ({"MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "example.test"}, None, None,
     'MAIL_HOSTNAME: "example.test" is the mail domain "example.test"'),
    ({"MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "EXAMPLE.Test."}, None, None,
     "MAIL_HOSTNAME: \"EXAMPLE.Test.\" is the mail domain"),
    ({"MAIL_DOMAIN": "example.test", "MAIL_DOMAINS": "other.test", "MAIL_HOSTNAME": "other.test"},
     None, None, 'is the mail domain "other.test"'),
    ({"MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "shop.test"},
     f"a@shop.test:{GOOD_HASH}\n", None, "is the domain of account a@shop.test"),
    ({"MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "mail"}, None, None,
     "MAIL_HOSTNAME: \"mail\" is not a fully qualified name"),
    ({"MAIL_DOMAIN": "exa_mple.test"}, None, None, "MAIL_DOMAIN: \"exa_mple.test\" may hold only"),
    ({"MAIL_DOMAIN": "-bad.test"}, None, None, "has a label starting with a hyphen"),
    ({"MAIL_DOMAIN": "bad-.test"}, None, None, "has a label ending with a hyphen"),
    ({"MAIL_DOMAIN": "a" * 64 + ".test"}, None, None, "label longer than 63"),
    ({"MAIL_DOMAIN": "192.0.2.1"}, None, None, "an IP address is not a domain"),
    ({"MAIL_DOMAIN": "example.test", "MAIL_DOMAINS": "ok.test, x..y"}, None, None,
     'MAIL_DOMAINS: "x..y" has an empty label'),
    ({"MAIL_DOMAIN": "example.test", "POSTMASTER_ADDRESS": "nobody"}, None, None,
     'POSTMASTER_ADDRESS: "nobody" is not an address'),
    ({"MAIL_DOMAIN": "example.test", "POSTMASTER_ADDRESS": "a..b@example.test"}, None, None,
     "two in a row"),
    ({"MAIL_DOMAIN": "example.test\nmyhostname = evil"}, None, None,
     "MAIL_DOMAIN: contains a newline or control character"),
    ({"MAIL_DOMAIN": "example.test", "POSTFIX_SMTPD_BANNER": "hi\nrelayhost = evil"}, None, None,
     "POSTFIX_SMTPD_BANNER: contains a newline"),
    ({"MAIL_DOMAIN": "example.test", "RELAYHOST_USERNAME": "u\x07"}, None, None,
     "RELAYHOST_USERNAME: contains a newline or control character"),
    ({"MAIL_DOMAIN": "example.test", "POSTFIX_NO_SUCH_PARAMETER": "1"}, None, None,
     "is POSTFIX_NO_SUCH_PARAMETER a Postfix parameter?"),
    ({"MAIL_DOMAIN": "example.test", "CERT_WAIT": "soon"}, None, None,
     'CERT_WAIT: "soon" is not a whole number'),
    ({"MAIL_DOMAIN": "example.test", "CERT_WAIT": "-1"}, None, None, "CERT_WAIT: \"-1\""),
    ({"MAIL_DOMAIN": "example.test", "MESSAGE_SIZE_LIMIT": "10"}, None, None,
     "MESSAGE_SIZE_LIMIT: \"10\" is not a whole number from 1024"),
    ({"MAIL_DOMAIN": "example.test", "VMAIL_UID": "0"}, None, None, "VMAIL_UID: \"0\""),
    ({"MAIL_DOMAIN": "example.test", "ENABLE_IMAP": "maybe"}, None, None,
     'ENABLE_IMAP: "maybe" is not yes or no'),
    ({"MAIL_DOMAIN": "example.test", "TLS_LEVEL": "old"}, None, None,
     'TLS_LEVEL: "old" is not one of intermediate|modern'),
    ({"MAIL_DOMAIN": "example.test", "LOG_LEVEL": "loud"}, None, None, "LOG_LEVEL: \"loud\""),
    ({"MAIL_DOMAIN": "example.test", "TRUSTED_NETWORKS": "10.0.0.0/33"}, None, None,
     'TRUSTED_NETWORKS: "10.0.0.0/33" has a prefix length'),
    ({"MAIL_DOMAIN": "example.test", "TRUSTED_NETWORKS": "everyone"}, None, None,
     'TRUSTED_NETWORKS: "everyone" is not a network'),
    ({"MAIL_DOMAIN": "example.test", "DNSBL_SITES": "zen.spamhaus.org=127.0.0"}, None, None,
     'DNSBL_SITES: "zen.spamhaus.org=127.0.0" has a reply filter that is not like'),
    ({"MAIL_DOMAIN": "example.test", "DNSBL_SITES": "bl.example.org*x"}, None, None,
     'DNSBL_SITES: "bl.example.org*x" has a weight after * that is not a whole number'),
    ({"MAIL_DOMAIN": "example.test", "RELAYHOST": "[smtp.example.net]:99999"}, None, None,
     "RELAYHOST: \"[smtp.example.net]:99999\" has a port"),
    ({"MAIL_DOMAIN": "example.test", "RELAYHOST_USERNAME": "u", "RELAYHOST_PASSWORD": "p"},
     None, None, "relay credentials are set without RELAYHOST"),
    ({"MAIL_DOMAIN": "example.test", "RELAYHOST": "smtp.example.net", "RELAYHOST_USERNAME": "u"},
     None, None, "RELAYHOST_USERNAME: is set without RELAYHOST_PASSWORD"),
    ({"MAIL_DOMAIN": "example.test", "CERT_PATH": "/certs", "TLS_CERT_FILE": "/c.pem",
      "TLS_KEY_FILE": "/k.pem"}, None, None, "set either CERT_PATH or TLS_CERT_FILE"),
    ({"MAIL_DOMAIN": "example.test", "TLS_CERT_FILE": "/c.pem"}, None, None,
     "TLS_CERT_FILE: is set without TLS_KEY_FILE"),
    ({"MAIL_DOMAIN": "example.test", "CERT_PATH": "relative/dir"}, None, None,
     'CERT_PATH: "relative/dir" is not an absolute path'),
    ({"MAIL_DOMAIN": "example.test", "CERT_PATH": "/certs/{x}"}, None, None,
     "has a blank, comma, quote, brace"),
    ({"MAIL_DOMAIN": "example.test", "TLS_SELF_SIGNED": "no"}, None, None,
     "TLS_SELF_SIGNED: is no, and no certificate is configured"),
    ({"MAIL_DOMAIN": "example.test", "ENABLE_SIEVE": "no", "ENABLE_MANAGESIEVE": "yes"},
     None, None, "ENABLE_MANAGESIEVE: is yes but ENABLE_SIEVE is no"),
    ({"MAIL_DOMAIN": "example.test", "DKIM_SELECTOR": "bad selector"}, None, None,
     "DKIM_SELECTOR: \"bad selector\" must be DNS labels"),
    ({"MAIL_DOMAIN": "example.test", "MAIL_DOMAIN_FILE": "/nonexistent/secret"}, None, None,
     "MAIL_DOMAIN: both MAIL_DOMAIN and MAIL_DOMAIN_FILE are set"),
    ({"RELAYHOST_PASSWORD_FILE": "/nonexistent/secret", "MAIL_DOMAIN": "example.test"}, None, None,
     "RELAYHOST_PASSWORD: cannot read /nonexistent/secret: No such file or directory"),
    (OK, "no-colon-here\n", None, "accounts:1: expected user@domain:{SCHEME}hash"),
    (OK, f"\n# comment\nnot-an-address:{GOOD_HASH}\n", None,
     'accounts:3: "not-an-address" is not an address'),
    (OK, "a@example.test:{PLAIN}secret\n", None,
     "accounts:1: a@example.test: a {PLAIN} password is refused"),
    (OK, "a@example.test:{MD5-CRYPT}$1$x$y\n", None,
     "accounts:1: a@example.test: the password must be {SCHEME}hash"),
    # {CRYPT} takes what crypt(3) takes: not DES or MD5.
    (OK, "a@example.test:{CRYPT}abJnggxhB/yWI\n", None,
     "accounts:1: a@example.test: the password must be {SCHEME}hash with SCHEME one of CRYPT "
     "(yescrypt, SHA-512, SHA-256 or bcrypt hashes; not DES or MD5)"),
    (OK, "a@example.test:{CRYPT}$1$salt$hash\n", None, "not DES or MD5"),
    (OK, f"a@example.test:{GOOD_HASH}:quota=lots\n", None,
     'accounts:1: a@example.test: bad extra field "quota=lots"'),
    # ROLE (docs/scaling.md): what each role cannot do without.
    ({**OK, "ROLE": "edge"}, None, None, 'ROLE: "edge" is not one of all|mx|mailbox|proxy'),
    ({**OK, "ROLE": "mx"}, None, None, "ROLE: is mx (from environment) but LMTP_SERVER is not set"),
    ({**OK, "ROLE": "mx", "LMTP_SERVER": "mailbox"}, None, None,
     'LMTP_SERVER: "mailbox" is not HOST:PORT'),
    ({**OK, "ROLE": "mx", "LMTP_SERVER": "mail box:24"}, None, None, "LMTP_SERVER: \"mail box:24\""),
    ({**OK, "ROLE": "mx", "LMTP_SERVER": "proxy:0"}, None, None, "has a port that is not 1-65535"),
    ({**OK, "ROLE": "proxy"}, f"\na@example.test:{GOOD_HASH}\n", None,
     "accounts:2: a@example.test has no host= field and MAILBOX_HOST is not set"),
    ({**OK, "REDIS_PASSWORD": "secret-1"}, None, None, "REDIS_PASSWORD: is set without REDIS_SERVER"),
    ({**OK, "REDIS_SERVER": "redis:6379", "REDIS_PASSWORD": 'se"cret'}, None, None,
     "REDIS_PASSWORD: must not hold"),
    ({**OK, "REDIS_SERVER": "redis"}, None, None, 'REDIS_SERVER: "redis" is not HOST:PORT'),
    ({**OK, "ROLE": "proxy", "MAILBOX_HOST": "-box"}, None, None, 'MAILBOX_HOST: "-box" is neither'),
    (OK, f"a@example.test:{GOOD_HASH}:host=box_1\n", None,
     'accounts:1: a@example.test: bad extra field "host=box_1"'),
    (OK, f"a@example.test:{GOOD_HASH}\nA@Example.test:{GOOD_HASH}\n", None,
     "accounts:2: a@example.test is already defined on line 1"),
    (OK, None, "info@example.test\n", 'aliases:1: expected "source target'),
    (OK, None, "info@example.test not-an-address\n", 'aliases:1: target "not-an-address"'),
    (OK, None, "info@elsewhere.test a@example.test\n",
     "aliases:1: info@elsewhere.test is not in a mail domain"),
    (OK, None, "@bad..domain a@example.test\n", 'aliases:1: "@bad..domain"'),
    # Postfix splits lists at commas: the path would break at run time, not at check.
    ({**OK, "CERT_PATH": "/certs/a,b"}, None, None, 'CERT_PATH: "/certs/a,b" has a blank, comma'),
    ({**OK, "TLS_CERT_FILE": "/c.pem,/x", "TLS_KEY_FILE": "/k.pem"}, None, None,
     'TLS_CERT_FILE: "/c.pem,/x" has a blank, comma'),
    # The local part names the Maildir: a / would be a folder of alice's mailbox.
    (OK, f"alice/.archive@example.test:{GOOD_HASH}\n", None,
     "has a / in the local part"),
    (OK, None, "x@example.test alice/.archive@example.test\n", "has a / in the local part"),
]


@pytest.mark.parametrize("env,accounts,aliases,message", BAD_INPUTS,
                         ids=[case[3][:40] for case in BAD_INPUTS])
def test_bad_input_is_refused_with_a_message_naming_the_cause(check, env, accounts, aliases,
                                                              message):
    result = check(env, accounts=accounts, aliases=aliases)
    assert result.status == 78, result.output
    assert message in result.output, result.output
    assert "mailinit: error: " in result.output
    # Input problems are found before anything is written. (What only postconf
    # can judge is found after rendering, in check's scratch root.)
    if "is POSTFIX_" not in message:
        assert not (result.out / "etc/postfix/main.cf").exists()


def test_every_problem_is_reported_at_once(check):
    result = check({"MAIL_DOMAIN": "example.test", "MAIL_HOSTNAME": "example.test",
                    "CERT_WAIT": "x", "ENABLE_POP3": "perhaps"},
                   accounts="broken\n")
    assert result.status == 78
    for message in ("MAIL_HOSTNAME:", "CERT_WAIT:", "ENABLE_POP3:", "accounts:1:"):
        assert message in result.output, result.output


def test_defaults_render_a_configuration_the_daemons_accept(check):
    result = check(OK)
    assert result.status == 0, result.output
    assert "configuration OK: mail.example.test for example.test" in result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert "myhostname = mail.example.test" in main_cf
    assert "virtual_mailbox_domains = example.test" in main_cf


def test_quota_status_is_asked_only_when_an_account_has_a_quota(check):
    """Dovecot's quota-status costs a third of a delivery's CPU; without a quota every answer
    is DUNNO, so Postfix asks it only once an account has one (on 25, 587 and 465)."""
    policy = "private/quota-status"
    result = check(OK, accounts=f"a@example.test:{GOOD_HASH}\n")
    assert result.status == 0, result.output
    assert policy not in result.file("/etc/postfix/main.cf")
    assert policy not in result.file("/etc/postfix/master.cf")
    result = check(OK, accounts=f"a@example.test:{GOOD_HASH}\n"
                                f"b@example.test:{GOOD_HASH}:quota=1G\n")
    assert result.status == 0, result.output
    assert re.search(r"^smtpd_recipient_restrictions = reject_non_fqdn_recipient, "
                     r"reject_unknown_recipient_domain, check_policy_service "
                     r"unix:/var/spool/postfix/private/quota-status, permit_mynetworks,",
                     result.file("/etc/postfix/main.cf"), re.M)
    assert re.search(r"^mua_recipient_restrictions = check_policy_service "
                     r"unix:/var/spool/postfix/private/quota-status, permit_sasl_authenticated, "
                     r"reject$", result.file("/etc/postfix/main.cf"), re.M)
    assert result.file("/etc/postfix/master.cf").count(
        "smtpd_recipient_restrictions=$mua_recipient_restrictions") == 2


def test_no_open_relay_and_auth_only_over_tls(check):
    result = check(OK)
    main_cf = result.file("/etc/postfix/main.cf")
    master_cf = result.file("/etc/postfix/master.cf")
    assert re.search(r"^smtpd_relay_restrictions = permit_mynetworks, permit_sasl_authenticated,"
                     r" reject_unauth_destination$", main_cf, re.M)
    assert re.search(r"^mynetworks = 127.0.0.0/8 \[::1\]/128 *$", main_cf, re.M)
    assert "smtpd_tls_auth_only = yes" in main_cf
    assert "smtpd_sasl_auth_enable = no" in main_cf  # not on port 25
    assert "smtpd_tls_protocols = >=TLSv1.2" in main_cf
    assert "smtpd_forbid_bare_newline = normalize" in main_cf
    submission = master_cf.split("submission inet")[1].split("submissions inet")[0]
    assert "smtpd_tls_security_level=encrypt" in submission
    assert "smtpd_sasl_auth_enable=yes" in submission
    assert "smtpd_sender_restrictions=$mua_sender_restrictions" in submission
    assert re.search(r"^mua_sender_restrictions = reject_sender_login_mismatch$", main_cf, re.M)
    assert re.search(r"^mua_relay_restrictions = permit_sasl_authenticated, reject$", main_cf,
                     re.M)
    assert "smtpd_tls_wrappermode=yes" in master_cf.split("submissions inet")[1]
    dovecot = result.file("/etc/dovecot/dovecot.conf")
    assert "ssl = required" in dovecot and "disable_plaintext_auth = yes" in dovecot
    assert "ssl_min_protocol = TLSv1.2" in dovecot


def test_modern_tls_is_tls13_only(check):
    result = check({**OK, "TLS_LEVEL": "modern"})
    assert result.status == 0, result.output
    assert "smtpd_tls_protocols = >=TLSv1.3" in result.file("/etc/postfix/main.cf")
    assert "ssl_min_protocol = TLSv1.3" in result.file("/etc/dovecot/dovecot.conf")


def test_accounts_aliases_and_catch_all_become_maps(check):
    result = check(OK, accounts=f"Alice@Example.test:{GOOD_HASH}:quota=2G\n"
                                f"bob@other.test:{GOOD_HASH}\n",
                   aliases="info@example.test alice@example.test, bob@other.test\n"
                           "@example.test alice@example.test\n")
    assert result.status == 0, result.output
    assert "virtual_mailbox_domains = example.test, other.test" in result.file(
        "/etc/postfix/main.cf")
    vmailbox = result.file("/etc/postfix/vmailbox")
    assert "alice@example.test example.test/alice/" in vmailbox
    assert "bob@other.test other.test/bob/" in vmailbox
    virtual = result.file("/etc/postfix/virtual")
    # Identity entries keep the catch-all from swallowing real mailboxes.
    assert "alice@example.test alice@example.test" in virtual
    assert "info@example.test alice@example.test, bob@other.test" in virtual
    assert "@example.test alice@example.test" in virtual
    users = result.file("/etc/dovecot/users")
    assert f"alice@example.test:{GOOD_HASH}::::::userdb_quota_rule=*:storage=2147483648B" in users
    assert "recipient_delimiter = +" in result.file("/etc/postfix/main.cf")


def test_postfix_overrides_replace_the_template_entry(check):
    result = check({**OK, "POSTFIX_SMTPD_BANNER": "$myhostname ESMTP ready",
                    "POSTFIX_MESSAGE_SIZE_LIMIT": "1048576"},
                   files={"postfix-main.cf": "# mine\nsmtpd_helo_required =\n  no\n"})
    assert result.status == 0, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert main_cf.count("smtpd_banner =") == 1
    assert "smtpd_banner = $myhostname ESMTP ready" in main_cf
    assert "message_size_limit = 1048576" in main_cf
    assert "smtpd_helo_required = no" in main_cf


def test_a_value_can_come_from_a_file(check, tmp_path):
    secret = tmp_path / "domain"
    secret.write_text("files.test\n")
    result = check({"MAIL_DOMAIN_FILE": str(secret)})
    assert result.status == 0, result.output
    assert "myhostname = mail.files.test" in result.file("/etc/postfix/main.cf")


def test_the_settings_file_is_read_and_the_environment_wins(check):
    files = {"mailinit.conf": 'mail_domain = "conf.test"\nmessage_size_limit = "2048"\n'
                              'postfix {\n  smtpd_banner = "from the file"\n}\n'}
    result = check({"MESSAGE_SIZE_LIMIT": "4096"}, files=files)
    assert result.status == 0, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert "mydomain = conf.test" in main_cf
    assert "message_size_limit = 4096" in main_cf
    assert "smtpd_banner = from the file" in main_cf


def test_a_bad_value_in_the_settings_file_names_file_and_line(check):
    files = {"mailinit.conf": '\n\ntls_level = "ancient"\nmail_domain = "example.test"\n'}
    result = check({}, files=files)
    assert result.status == 78
    assert re.search(r'TLS_LEVEL: "ancient" is not one of intermediate\|modern '
                     r"\(from \S+/mailinit.conf:3\)", result.output), result.output


def test_relay_password_goes_to_a_0600_map_and_is_never_printed(check):
    result = check({**OK, "RELAYHOST": "[smtp.example.net]:587", "RELAYHOST_USERNAME": "me",
                    "RELAYHOST_PASSWORD": "s3cret-pass"})
    assert result.status == 0, result.output
    path = result.out / "etc/postfix/sasl_passwd"
    assert path.read_text() == "[smtp.example.net]:587 me:s3cret-pass\n"
    assert path.stat().st_mode & 0o777 == 0o600
    assert "s3cret-pass" not in result.output
    assert "relayhost = [smtp.example.net]:587" in result.file("/etc/postfix/main.cf")


def test_disabled_protocols_have_no_listener(check):
    result = check({**OK, "ENABLE_POP3": "no", "ENABLE_DKIM": "no", "ENABLE_IMAP": "yes",
                    "ENABLE_RSPAMD": "no"})
    assert result.status == 0, result.output
    dovecot = result.file("/etc/dovecot/dovecot.conf")
    assert re.search(r"^protocols = lmtp imap$", dovecot, re.M)
    assert "smtpd_milters" not in result.file("/etc/postfix/main.cf")


def test_self_signed_certificate_and_dkim_key_are_made_and_kept(check):
    first = check(OK, out="state")
    assert first.status == 0, first.output
    cert = first.out / "etc/mailinit/tls/cert.pem"
    key = first.out / "etc/mailinit/tls/key.pem"
    assert key.stat().st_mode & 0o777 == 0o600
    text = subprocess.run(["openssl", "x509", "-in", str(cert), "-noout", "-ext",
                           "subjectAltName"], capture_output=True, text=True).stdout
    assert "DNS:mail.example.test" in text
    dkim = first.out / "etc/mailinit/dkim/example.test/mail.private"
    assert dkim.stat().st_mode & 0o777 == 0o600
    record = (first.out / "etc/mailinit/dkim/example.test/mail.txt").read_text()
    assert record.startswith('mail._domainkey.example.test. IN TXT ( "v=DKIM1; k=rsa; p=MIIB')
    key_table = first.file("/etc/opendkim/KeyTable")
    assert f"mail._domainkey.example.test example.test:mail:{dkim}" in key_table
    assert "made a self-signed certificate" in first.output
    assert "made a DKIM key" in first.output
    made = {path: path.read_bytes() for path in (cert, key, dkim)}
    # The next start on the same volume keeps all three, byte for byte.
    second = check(OK, out="state")
    assert second.status == 0, second.output
    assert second.out == first.out
    assert {path: path.read_bytes() for path in made} == made
    assert (first.out / "etc/mailinit/dkim/example.test/mail.txt").read_text() == record
    assert "made a self-signed certificate" not in second.output, second.output
    assert "made a DKIM key" not in second.output, second.output


def test_an_expired_or_mismatched_certificate_is_refused(check, tmp_path):
    def make(name, days):
        subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                        "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=mail.example.test",
                        "-keyout", str(tmp_path / f"{name}.key"), "-out",
                        str(tmp_path / f"{name}.crt"), "-days", str(days)],
                       check=True, capture_output=True)
    make("good", 30)
    make("other", 30)
    mismatched = check({**OK, "TLS_CERT_FILE": str(tmp_path / "good.crt"),
                        "TLS_KEY_FILE": str(tmp_path / "other.key")})
    assert mismatched.status == 78
    assert "the private key does not belong to the certificate" in mismatched.output
    fine = check({**OK, "TLS_CERT_FILE": str(tmp_path / "good.crt"),
                  "TLS_KEY_FILE": str(tmp_path / "good.key")})
    assert fine.status == 0, fine.output
    wrong_name = check({**OK, "MAIL_HOSTNAME": "mx.example.test", "TLS_HOSTNAME_CHECK": "refuse",
                        "TLS_CERT_FILE": str(tmp_path / "good.crt"),
                        "TLS_KEY_FILE": str(tmp_path / "good.key")})
    assert wrong_name.status == 78
    assert "does not cover MAIL_HOSTNAME mx.example.test" in wrong_name.output


def test_the_container_fqdn_is_the_default_hostname(check):
    argv = ["unshare", "--uts", "sh", "-c", f"hostname mx.example.org && exec {MAILINIT} check"]
    result = check(OK, argv=argv, keep=False)
    assert result.status == 0, result.output
    assert "configuration OK: mx.example.org for example.test" in result.output
    # ... unless it is a mail domain.
    result = check({"MAIL_DOMAIN": "example.org", "MAIL_DOMAINS": "mx.example.org"},
                   argv=argv, keep=False)
    assert result.status == 0, result.output
    assert "configuration OK: mail.example.org for example.org" in result.output


def test_rendered_files_are_dated_into_the_past(check):
    # Every Postfix program sleeps while main.cf looks newer than now.
    first = check(OK)
    assert (first.out / "etc/postfix/main.cf").stat().st_mtime <= time.time() - 1.5


def test_large_account_lists_use_hash_maps_built_by_postmap(check):
    small = check(OK, accounts="".join(f"u{i}@example.test:{GOOD_HASH}\n" for i in range(10)))
    assert small.status == 0, small.output
    assert "virtual_mailbox_maps = texthash:" in small.file("/etc/postfix/main.cf")
    large = check(OK, accounts="".join(f"u{i}@example.test:{GOOD_HASH}\n" for i in range(2500)))
    assert large.status == 0, large.output
    main_cf = large.file("/etc/postfix/main.cf")
    assert "virtual_mailbox_maps = hash:" in main_cf
    db = large.out / "etc/postfix/vmailbox.db"
    query = subprocess.run(["postmap", "-c", str(large.out / "etc/postfix"), "-q",
                            "u2499@example.test", f"hash:{large.out}/etc/postfix/vmailbox"],
                           capture_output=True, text=True)
    assert db.exists() and query.stdout.strip() == "example.test/u2499/"


def test_a_configured_certificate_that_is_not_there_is_a_problem_check_names(check, tmp_path):
    # check never waits (CERT_WAIT applies to a real start): 78 like every other problem,
    # with the CERT_WAIT a start would use (it said "within CERT_WAIT=0 s" and exited 75).
    result = check({**OK, "CERT_PATH": str(tmp_path / "live" / "mail"), "CERT_WAIT": "3"})
    assert result.status == 78, result.output
    assert (f"CERT_PATH: {tmp_path}/live/mail/fullchain.pem and {tmp_path}/live/mail/privkey.pem "
            "are not there (yet): a start would wait up to CERT_WAIT=3 s for them"
            in result.output), result.output


def test_expert_override_files_are_verified_too(check):
    bad_dovecot = check(OK, files={"dovecot.conf": "ssl_no_such_setting = yes\n"})
    assert bad_dovecot.status == 78
    assert "Unknown setting: ssl_no_such_setting" in bad_dovecot.output
    (check.config_dir / "dovecot.conf").unlink()
    bad_master = check(OK, files={"postfix-master.cf": "bogus inet n - n - - nosuchdaemon\n"
                                                       "  -o no_such_param=1\n"})
    assert bad_master.status == 78, bad_master.output
    assert "postfix: postconf: warning:" in bad_master.output
    (check.config_dir / "postfix-master.cf").unlink()
    good = check(OK, files={"dovecot.conf": "mail_max_userip_connections = 20\n",
                            "postfix-master.cf": "# nothing\n"})
    assert good.status == 0, good.output
    assert f"!include {check.config_dir}/dovecot.conf" in good.file("/etc/dovecot/dovecot.conf")


def test_logs_go_to_mailinit_s_syslog_sink(check):
    """Postfix and Dovecot log through /dev/log, so every line gets one format (LOG_FORMAT)."""
    result = check(OK)
    assert "maillog_file" not in result.file("/etc/postfix/main.cf")
    assert "log_path = syslog" in result.file("/etc/dovecot/dovecot.conf")


POSTFIX_PORTS = "postfix (smtp 25, submission 587, submissions 465)"


@pytest.mark.parametrize("env,line", [
    ({"ENABLE_MANAGESIEVE": "yes"},
     f"dovecot (imap 143/993, pop3 110/995, sieve 4190), opendkim, rspamd, redis, guard, "
     f"{POSTFIX_PORTS}"),
    ({}, f"dovecot (imap 143/993, pop3 110/995), opendkim, rspamd, redis, guard, {POSTFIX_PORTS}"),
    ({"ENABLE_POP3": "no", "ENABLE_MANAGESIEVE": "yes", "ENABLE_RSPAMD": "no"},
     f"dovecot (imap 143/993, sieve 4190), opendkim, guard, {POSTFIX_PORTS}"),
    ({"ENABLE_IMAP": "no", "ENABLE_DKIM": "no", "ENABLE_BANS": "no"},
     f"dovecot (pop3 110/995), rspamd, redis, {POSTFIX_PORTS}"),
], ids=["everything", "defaults", "no-pop3-no-rspamd", "no-imap-no-dkim-no-bans"])
def test_check_says_what_it_would_start(check, env, line):
    """One line: items joined by ", ", what is off left out."""
    result = check({**OK, **env})
    assert result.status == 0, result.output
    said = [l for l in result.output.splitlines() if l.startswith("would start: ")]
    assert said == [f"would start: {line}"], result.output


def test_the_default_sieve_script_files_spam_into_junk(check):
    result = check(OK)
    # sieve-test runs as nobody: give it a directory it may read.
    work = Path(tempfile.mkdtemp())
    work.chmod(0o755)
    script = work / "before.sieve"
    script.write_text(result.file("/etc/dovecot/sieve/before.sieve"))
    spam, ham = work / "spam.eml", work / "ham.eml"
    spam.write_text("From: a@example.net\nTo: b@example.test\nX-Spam-Flag: YES\nSubject: win\n\nx\n")
    ham.write_text("From: a@example.net\nTo: b@example.test\nSubject: hello\n\nx\n")

    def actions(message):
        out = subprocess.run(["sieve-test", "-o", "mail_uid=65534", "-o", "mail_gid=65534",
                              str(script), str(message)], capture_output=True,
                             text=True, cwd=work)
        assert out.returncode == 0, out.stderr
        return out.stdout

    try:
        assert "store message in folder: Junk" in actions(spam)
        assert "Junk" not in actions(ham)
    finally:
        shutil.rmtree(work)


def test_trusted_networks_are_written_as_each_daemon_wants_them(check):
    result = check({**OK, "TRUSTED_NETWORKS": "192.0.2.0/24, 2001:db8::/32 [2001:db8:1::]/48"})
    assert result.status == 0, result.output
    assert re.search(r"^mynetworks = 127.0.0.0/8 \[::1\]/128 192.0.2.0/24 \[2001:db8::\]/32 "
                     r"\[2001:db8:1::\]/48$", result.file("/etc/postfix/main.cf"), re.M)
    assert result.file("/etc/opendkim/TrustedHosts") == \
        "127.0.0.0/8\n::1\n192.0.2.0/24\n2001:db8::/32\n2001:db8:1::/48\n"
    # A single address is written with its full prefix.
    result = check({**OK, "TRUSTED_NETWORKS": "198.51.100.9 2001:db8::5"})
    assert result.status == 0, result.output
    assert re.search(r"^mynetworks = 127.0.0.0/8 \[::1\]/128 198.51.100.9/32 "
                     r"\[2001:db8::5\]/128$", result.file("/etc/postfix/main.cf"), re.M)


def test_a_trusted_network_with_host_bits_is_refused_naming_both_readings(check):
    """Postfix failed every mynetworks lookup with 192.0.2.77/24 (451 "Temporary lookup
    failure" for all mail) and OpenDKIM matched no client; clearing the bits would trust
    more than meant (203.0.113.5/3 is an eighth of IPv4). The operator says which."""
    result = check({**OK, "TRUSTED_NETWORKS": "203.0.113.5/3 [2001:db8::5]/32"})
    assert result.status == 78, result.output
    assert ('TRUSTED_NETWORKS: "203.0.113.5/3" has bits set past its prefix: write '
            '192.0.0.0/3 for that network, or 203.0.113.5/32 for the one address') \
        in result.output, result.output
    assert "write [2001:db8::]/32 for that network, or [2001:db8::5]/128" in result.output


def test_domains_are_written_in_lower_case_without_the_root_dot(check):
    result = check({"MAIL_DOMAIN": "Example.COM.", "MAIL_DOMAINS": "Other.NET"})
    assert result.status == 0, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert "myhostname = mail.example.com\n" in main_cf
    assert "mydomain = example.com\n" in main_cf
    assert "virtual_mailbox_domains = example.com, other.net\n" in main_cf


def test_the_global_sieve_script_is_compiled_before_start(check):
    # Delivery runs as vmail, which may not write the .svbin beside the script.
    result = check(OK)
    assert result.status == 0, result.output
    assert (result.out / "etc/dovecot/sieve/before.svbin").stat().st_size > 0


def test_postfix_parameters_ending_in_file_are_set_not_read(check, tmp_path):
    # POSTFIX_<PARAM>_FILE names the parameter <param>_file: root reads no file for it.
    secret = tmp_path / "secret"
    secret.write_text("the file's content\n")
    result = check({**OK, "POSTFIX_SMTPD_TLS_DH1024_PARAM_FILE": str(secret)})
    assert result.status == 0, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert f"smtpd_tls_dh1024_param_file = {secret}" in main_cf
    assert "the file's content" not in main_cf + result.output
    assert "smtpd_tls_dh1024_param =" not in main_cf


SETTINGS_FILE_PROBLEMS = [
    ('mail_domain = "example.test"\npostfix {\n  smtpd_banner = "hi"\n',
     "mailinit.conf: the postfix { section is not closed: add a } after its last line"),
    ('mail_domain = "example.test" /* a comment left open\n',
     "mailinit.conf: the file ends inside a quoted string or a /* comment */"),
    ('mail_domain = "example.test"\npostfix {\n  "smtpd_banner\\nrelayhost" = "x"\n}\n',
     'postfix { smtpd_banner\\x0arelayhost }: "smtpd_banner\\x0arelayhost" is not a Postfix '
     "parameter name"),
    ('mail_domain = "example.test"\nMAIL_HOSTNAME = "mail.example.test"\n',
     "mailinit.conf:2: no such option 'MAIL_HOSTNAME' (keys in this file are the names in "
     "lower case: mail_hostname = ...)"),
]


@pytest.mark.parametrize("text,message", SETTINGS_FILE_PROBLEMS,
                         ids=[case[1][:40] for case in SETTINGS_FILE_PROBLEMS])
def test_a_settings_file_problem_is_named_and_nothing_starts(check, text, message):
    result = check({}, files={"mailinit.conf": text})
    assert result.status == 78, result.output
    assert message in result.output, result.output
    # One cause, one message: not the settings it kept libconfuse from reading.
    assert "MAIL_DOMAIN: is required" not in result.output
    assert "TLS_SELF_SIGNED" not in result.output
    assert not (result.out / "etc/postfix/main.cf").exists()


def test_postfix_keys_in_the_settings_file_give_no_false_errors(check):
    files = {"mailinit.conf": 'mail_domain = "example.test"\n'
                              'postfix {\n  smtpd_banner = "file"\n  smtp_tls_CAfile = '
                              '"/etc/ssl/certs/ca-certificates.crt"\n}\n'}
    result = check({}, files=files)
    assert result.status == 0, result.output
    assert "error" not in result.output, result.output
    main_cf = result.file("/etc/postfix/main.cf")
    assert "smtp_tls_CAfile = /etc/ssl/certs/ca-certificates.crt" in main_cf


def test_a_missing_mail_domain_is_the_one_message(check):
    result = check({})
    assert result.status == 78
    assert "MAIL_DOMAIN: is required" in result.output
    assert "TLS_SELF_SIGNED" not in result.output, result.output


def test_control_characters_from_input_reach_no_terminal(check):
    # An accounts line with an OSC title sequence and a screen clear.
    result = check(OK, accounts=f"evil\x1b]0;owned\x07\x1b[2J@example.test:{GOOD_HASH}\n")
    assert result.status == 78
    assert "\x1b" not in result.output and "\x07" not in result.output, repr(result.output)
    assert "\\x1b]0;owned\\x07\\x1b[2j" in result.output, result.output  # lower-cased


def test_check_verifies_the_real_dkim_key_and_its_rotated_selector(check, tmp_path):
    # check used to make a throw-away key in its scratch root whatever the volume held.
    keys = tmp_path / "config" / "dkim" / "example.test"
    keys.mkdir(parents=True)
    subprocess.run(["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048",
                    "-out", str(keys / "s2026.private")], check=True, capture_output=True)
    (keys / "selector").write_text("s2026\n")
    result = check(OK)
    assert result.status == 0, result.output
    assert "made a DKIM key" not in result.output
    key_table = result.file("/etc/opendkim/KeyTable")
    assert f"s2026._domainkey.example.test example.test:s2026:{keys}/s2026.private" in key_table

    (keys / "s2026.private").write_text("-----BEGIN PRIVATE KEY-----\nnot a key\n")
    result = check(OK)
    assert result.status == 78, result.output
    assert (f"{keys}/s2026.private: DKIM key of example.test is not an RSA private key in PEM"
            in result.output), result.output


def test_check_verifies_the_self_signed_pair_the_server_keeps(check, tmp_path):
    tls = tmp_path / "config" / "tls"
    tls.mkdir(parents=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-days", "365", "-subj",
                    "/CN=mail.example.test", "-addext", "subjectAltName=DNS:mail.example.test",
                    "-keyout", str(tls / "key.pem"), "-out", str(tls / "cert.pem")],
                   check=True, capture_output=True)
    result = check({**OK, "MAIL_HOSTNAME": "mail.example.test"})
    assert result.status == 0, result.output
    assert "made a self-signed certificate" not in result.output
    pair = result.file("/etc/ssl/mailinit/pair.pem")
    assert (tls / "cert.pem").read_text().strip() in pair


def test_dnsbl_sites_reach_postscreen_as_given_and_none_by_default(check):
    result = check(OK)
    assert result.status == 0, result.output
    assert re.search(r"^postscreen_dnsbl_sites = $", result.file("/etc/postfix/main.cf"), re.M)
    result = check({**OK, "DNSBL_SITES": "zen.spamhaus.org=127.0.0.[2..11]*2 bl.example.org"})
    assert result.status == 0, result.output
    assert "\npostscreen_dnsbl_sites = zen.spamhaus.org=127.0.0.[2..11]*2 bl.example.org\n" in \
        result.file("/etc/postfix/main.cf")
