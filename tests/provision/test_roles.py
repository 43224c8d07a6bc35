"""ROLE (docs/scaling.md): what `mailinit check` renders for each part of a split server, asked
back through postconf and doveconf. The container test (tests/container/test_scale_out.py)
runs the roles as several containers of the image and sends mail through them."""

from test_check import GOOD_HASH, OK
from test_proxy import doveconf, postconf

ACCOUNTS = (f"alice@example.test:{GOOD_HASH}:host=mailbox-1\n"
            f"bob@example.test:{GOOD_HASH}:quota=1G host=10.0.0.12\n"
            f"carol@example.test:{GOOD_HASH}\n")


def users(result):
    return {line.split(":")[0]: line.split(":", 7)[7]
            for line in result.file("/etc/dovecot/users").splitlines() if line}


def test_all_is_the_whole_server_delivering_on_its_own_socket(check):
    result = check(OK, accounts=ACCOUNTS)
    assert result.status == 0, result.output
    assert postconf(result.out, "-h", "virtual_transport").strip() == \
        "lmtp:unix:/var/spool/postfix/private/dovecot-lmtp"
    assert doveconf(result.out, "-h", "protocols").split() == ["lmtp", "imap", "pop3"]
    assert doveconf(result.out, "-h", "lmtp_proxy").strip() == "no"
    # The host field means nothing to a whole server: no proxy fields in its users file.
    assert "proxy" not in result.file("/etc/dovecot/users")
    assert users(result)["bob@example.test"] == f"userdb_quota_rule=*:storage={1 << 30}B"


def test_mx_delivers_to_lmtp_server_and_logs_submission_in_without_mailboxes(check):
    result = check({**OK, "ROLE": "mx", "LMTP_SERVER": "mail-proxy.mail.svc:24"},
                   accounts=ACCOUNTS)
    assert result.status == 0, result.output
    # Brackets: the name is looked up as an address, never as MX.
    assert postconf(result.out, "-h", "virtual_transport").strip() == \
        "lmtp:inet:[mail-proxy.mail.svc]:24"
    assert postconf(result.out, "-h", "lmtp_tls_security_level").strip() == "may"
    # No quota-status to ask: the mailboxes are elsewhere (they refuse at LMTP's RCPT).
    assert "quota-status" not in postconf(result.out, "-h", "smtpd_recipient_restrictions")
    assert doveconf(result.out, "-h", "protocols").strip() == "none"
    # Postfix's SASL still asks this Dovecot: the same accounts.
    assert "bob@example.test" in users(result)
    assert "rspamd" in result.output and "opendkim" in result.output
    assert "(ROLE=mx)" in result.output

    assert postconf(result.out, "-h", "lmtp_host_lookup").strip() == "native"

    ipv6 = check({**OK, "ROLE": "mx", "LMTP_SERVER": "[2001:db8::24]:2424"}, accounts=ACCOUNTS)
    assert postconf(ipv6.out, "-h", "virtual_transport").strip() == \
        "lmtp:inet:[2001:db8::24]:2424"


def test_mailbox_takes_lmtp_on_port_24_trusts_the_proxies_and_sends_no_mail(check):
    result = check({**OK, "ROLE": "mailbox", "TRUSTED_NETWORKS": "10.244.0.0/16 [fd00::]/64"},
                   accounts=ACCOUNTS)
    assert result.status == 0, result.output
    assert doveconf(result.out, "-h", "protocols").split() == ["lmtp", "imap", "pop3"]
    lmtp = doveconf(result.out, "service/lmtp/inet_listener/lmtp/port")
    assert lmtp.split("=")[1].strip() == "24"
    assert doveconf(result.out, "-h", "lmtp_rcpt_check_quota").strip() == "yes"
    # The proxies pass on the client's address: logs, bans and per-address limits see it.
    assert doveconf(result.out, "-h", "login_trusted_networks").split() == \
        ["10.244.0.0/16", "fd00::/64"]
    # Sieve files mail and sends none: what it sent would reach the MX from a trusted
    # network, signed, with no check of its From (docs/scaling.md).
    extensions = doveconf(result.out, "-h", "plugin/sieve_extensions").split()
    assert {"-reject", "-vacation", "-vacation-seconds", "-enotify"} <= set(extensions)
    assert doveconf(result.out, "-h", "plugin/sieve_max_redirects").strip() == "0"
    assert doveconf(result.out, "-h", "sendmail_path").strip() == "/bin/false"
    # A mailbox server filters and signs nothing, whatever a shared settings file says.
    assert "rspamd" not in result.output and "opendkim" not in result.output
    assert "postfix" not in result.output
    assert "imap_sieve" not in doveconf(result.out, "-h", "protocol/imap/mail_plugins")
    assert users(result)["bob@example.test"] == f"userdb_quota_rule=*:storage={1 << 30}B"
    # A whole server keeps vacation replies (and trusts no one for client addresses).
    whole = check({**OK, "TRUSTED_NETWORKS": "10.244.0.0/16"}, accounts=ACCOUNTS)
    assert "-vacation" not in doveconf(whole.out, "-h", "plugin/sieve_extensions")
    assert doveconf(whole.out, "-h", "login_trusted_networks").strip() == ""


def test_proxy_sends_each_login_and_delivery_to_the_accounts_mailbox_server(check):
    result = check({**OK, "ROLE": "proxy", "MAILBOX_HOST": "mailbox-0"}, accounts=ACCOUNTS)
    assert result.status == 0, result.output
    assert doveconf(result.out, "-h", "lmtp_proxy").strip() == "yes"
    assert doveconf(result.out, "-h", "protocols").split() == ["lmtp", "imap", "pop3"]
    fields = users(result)
    assert fields["alice@example.test"] == "proxy=y host=mailbox-1 starttls=any-cert"
    assert fields["bob@example.test"] == "proxy=y host=10.0.0.12 starttls=any-cert"
    assert fields["carol@example.test"] == "proxy=y host=mailbox-0 starttls=any-cert"
    # The password is checked here first: a wrong one never reaches a mailbox server.
    assert all(line.split(":")[1] == GOOD_HASH
               for line in result.file("/etc/dovecot/users").splitlines() if line)
    assert "rspamd" not in result.output and "postfix" not in result.output


def test_mx_servers_share_one_redis_with_its_password_kept_from_other_users(check):
    result = check({**OK, "ROLE": "mx", "LMTP_SERVER": "mail-proxy:24",
                    "REDIS_SERVER": "mail-redis:6379", "REDIS_PASSWORD": "redis-secret-1"},
                   accounts=ACCOUNTS)
    assert result.status == 0, result.output
    conf = result.out / "etc/rspamd/local.d/redis.conf"
    text = conf.read_text()
    assert 'servers = "mail-redis:6379";' in text and 'password = "redis-secret-1";' in text
    assert "/run/redis" not in text
    assert conf.stat().st_mode & 0o077 == 0  # root's only: rspamd reads it before it drops
    # Its own Redis does not run; rspamd does.
    assert "redis," not in result.output and "rspamd" in result.output

    own = check({**OK}, accounts=ACCOUNTS)
    assert 'servers = "/run/redis/redis.sock";' in own.file("/etc/rspamd/local.d/redis.conf")
