"""ROLE (docs/scaling.md): one image run as the parts of a split server, on one podman network,
talked to from outside with real clients. Two mailbox servers each hold some of the accounts
(the accounts file's host= field); a proxy sends each IMAP login and each LMTP delivery to the
account's server; an MX accepts mail on 25 and submission on 587 (logins from the same
accounts) and delivers over LMTP to the proxy; a second MX delivers straight to one mailbox
server, as a server with one mailbox backend does without a proxy."""

import base64
import imaplib
import subprocess
import time

import re

import pytest

from clients import (imap_connect_and_login, managesieve_put, message, pop3_bodies, send_25,
                     submit, wait_for_subject)

PASSWORD = "scale-secret-1"
DKIM_KEY = subprocess.run(["openssl", "genrsa", "2048"], capture_output=True, text=True,
                          check=True).stdout
ALICE, BOB, CAROL = "alice@example.test", "bob@example.test", "carol@example.test"
USERS = {ALICE: PASSWORD, BOB: PASSWORD, CAROL: PASSWORD}


# The podman network every test container is on: the mailbox servers take the client's address
# from the proxies there (TRUSTED_NETWORKS in ROLE=mailbox: Dovecot's login_trusted_networks).
POD_NETWORK = "10.88.0.0/16"


def ip_of(container):
    from conftest import engine
    return engine("inspect", "-f", "{{.NetworkSettings.IPAddress}}",
                  container.name).stdout.strip()


def stored(container, user):
    """The message files in USER's Maildir on CONTAINER (new and cur)."""
    local = user.split("@")[0]
    out = container.exec("sh", "-c", f"ls /var/mail/vhosts/example.test/{local}/new "
                         f"/var/mail/vhosts/example.test/{local}/cur 2>/dev/null", check=False)
    return [line for line in out.stdout.splitlines() if line and not line.endswith(":")]


def wait_stored(container, user, count, timeout=20):
    deadline = time.monotonic() + timeout
    while len(stored(container, user)) < count and time.monotonic() < deadline:
        time.sleep(0.2)
    return len(stored(container, user))


def health_names(container):
    out = container.exec("mailinit", "health").stdout
    return {line.split()[1] for line in out.splitlines() if line.startswith("ok ")}


@pytest.fixture
def split(start):
    """mailbox1 (alice, and carol by MAILBOX_HOST), mailbox2 (bob), the proxy, and the MX in
    the proxy's network namespace (a front pod: both reached at the same published ports)."""
    backend = {"ROLE": "mailbox", "ENABLE_MANAGESIEVE": "yes", "TRUSTED_NETWORKS": POD_NETWORK}
    mailbox1 = start(env=backend, accounts=USERS)
    mailbox2 = start(env=backend, accounts=USERS)
    hosts = {ALICE: f"host={ip_of(mailbox1)}", BOB: f"host={ip_of(mailbox2)}"}
    proxy = start(env={"ROLE": "proxy", "MAILBOX_HOST": ip_of(mailbox1),
                       "ENABLE_MANAGESIEVE": "yes"},
                  accounts=USERS, account_fields=hosts)
    # The MX beside the proxy, as in a front pod (deploy/kubernetes/scale-out/front.yaml): in
    # its network namespace, delivering over loopback. Its signing key is made once and given
    # to every replica (a Secret in Kubernetes).
    mx = start(env={"ROLE": "mx", "LMTP_SERVER": "127.0.0.1:24"}, accounts=USERS,
               account_fields=hosts, files={"dkim/example.test/mail.private": DKIM_KEY},
               beside=proxy)
    return mailbox1, mailbox2, proxy, mx


def test_each_role_runs_only_its_own_services(split):
    mailbox1, _, proxy, mx = split
    # The MX: Postfix's ports and the logins of submission; no mailbox port.
    assert {"smtp", "submission", "submissions", "auth"} <= health_names(mx)
    assert not {"imap", "imaps", "pop3", "lmtp_tcp"} & health_names(mx)
    assert "ROLE is mx: " not in mx.logs()
    for backend in (mailbox1, proxy):
        names = health_names(backend)
        assert {"imap", "imaps", "pop3", "pop3s", "lmtp_tcp"} <= names
        assert not {"smtp", "submission", "auth", "rspamd", "dkim"} & names
        role = "mailbox" if backend is mailbox1 else "proxy"
        for service in ("postfix", "opendkim", "rspamd", "redis"):
            assert f"ROLE is {role}: {service} does not run" in backend.logs()
        processes = backend.exec("sh", "-c", "cat /proc/[0-9]*/comm").stdout.split()
        assert "master" not in processes and "opendkim" not in processes
        assert "rspamd" not in processes and "redis-server" not in processes
    # The MX's Dovecot serves no protocol: it logs submission's users in, and holds no mail.
    assert mx.exec("doveconf", "-h", "protocols").stdout.strip() == "none"


def test_mail_reaches_each_accounts_own_mailbox_server_and_is_read_through_the_proxy(split):
    mailbox1, mailbox2, proxy, mx = split
    subjects = {}
    for user in (ALICE, BOB, CAROL):
        subject, _, data = message("someone@sender.test", user)
        send_25(mx.port[25], "someone@sender.test", [user], data)
        subjects[user] = subject
    # Submission on the MX: the login is checked against the same accounts.
    subject, _, data = message(ALICE, BOB)
    submit(mx.port[587], ALICE, PASSWORD, ALICE, [BOB], data)
    submitted = subject

    # Each message is stored once, on its account's server only; the proxy stores none.
    assert wait_stored(mailbox1, ALICE, 1) == 1 and stored(mailbox2, ALICE) == []
    assert wait_stored(mailbox2, BOB, 2) == 2 and stored(mailbox1, BOB) == []
    assert wait_stored(mailbox1, CAROL, 1) == 1 and stored(mailbox2, CAROL) == []
    for user in (ALICE, BOB, CAROL):
        assert stored(proxy, user) == [] and stored(mx, user) == []
    # Through the proxy's port, each user reads their own mailbox.
    for user in (ALICE, BOB, CAROL):
        wait_for_subject(proxy.port[993], user, PASSWORD, subjects[user])
    wait_for_subject(proxy.port[143], BOB, PASSWORD, submitted, tls="starttls")
    assert subjects[CAROL] in pop3_bodies(proxy.port[995], CAROL, PASSWORD, tls="ssl")
    # The proxy logged them in at their own server, over TLS (STARTTLS to the backend), and
    # passed on the client's address: the backend logs the client, not the proxy.
    assert f"proxy({BOB},{ip_of(mailbox2)}:143): Started proxying" in proxy.logs()
    client = re.search(rf"proxy\({BOB},[^)]*\): Started proxying.* rip=([0-9.]+)",
                       proxy.logs()).group(1)
    logins = [line for line in mailbox2.logs().splitlines()
              if "imap-login: Login: user=<bob@" in line]
    assert logins and all(f"rip={client}," in line and "TLS" in line for line in logins)
    assert f"rip={ip_of(proxy)}," not in "\n".join(logins)


def test_sieve_through_the_proxy_files_mail_and_sends_none(split):
    """ManageSieve is proxied like IMAP; a mailbox server's Sieve files mail but sends none:
    what it sent would reach the MX from a trusted network, signed, its From unchecked."""
    mailbox1, _, proxy, mx = split
    managesieve_put(proxy.port[4190], ALICE, PASSWORD, "files",
                    'require ["fileinto", "mailbox"];\nif header :contains "subject" "[list]" '
                    '{ fileinto :create "Lists"; }\n')
    for sending in ('require "vacation";\nvacation "away";\n',
                    'require "enotify";\nnotify "mailto:x@elsewhere.test";\n'):
        with pytest.raises(AssertionError, match="NO"):
            managesieve_put(proxy.port[4190], ALICE, PASSWORD, "sends", sending)
    # redirect is core Sieve: accepted at upload, never carried out (sieve_max_redirects 0).
    subject, body, data = message("someone@sender.test", ALICE, subject=f"[list] {time.time()}")
    send_25(mx.port[25], "someone@sender.test", [ALICE], data)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        client = imap_connect_and_login(proxy.port[993], ALICE, PASSWORD)
        found = client.select("Lists")[0] == "OK" and client.search(None, "ALL")[1][0]
        client.logout()
        if found:
            break
        time.sleep(0.3)
    assert found, mailbox1.logs()[-3000:]
    # A redirect is not carried out, and the message is kept (delivered to the inbox).
    managesieve_put(proxy.port[4190], ALICE, PASSWORD, "redirects", 'redirect "x@elsewhere.test";\n')
    subject, body, data = message("someone@sender.test", ALICE)
    send_25(mx.port[25], "someone@sender.test", [ALICE], data)
    assert wait_for_subject(proxy.port[993], ALICE, PASSWORD, subject) == body
    assert "x@elsewhere.test" not in mx.logs()


def test_every_mx_replica_signs_with_the_key_it_was_given(split):
    *_, mx = split
    assert "made a DKIM key" not in mx.logs()
    public = subprocess.run(["openssl", "rsa", "-pubout", "-outform", "DER"], input=DKIM_KEY.encode(),
                            capture_output=True, check=True).stdout
    records = mx.exec("mailinit", "dns", "example.test").stdout
    assert "mail._domainkey.example.test" in records
    assert base64.b64encode(public).decode() in records.replace('" "', "").replace("\n", "")


def test_the_proxy_refuses_a_wrong_password_before_any_mailbox_server_sees_it(split):
    mailbox1, _, proxy, _ = split
    with pytest.raises(imaplib.IMAP4.error, match="AUTHENTICATIONFAILED"):
        imap_connect_and_login(proxy.port[993], ALICE, "not-the-password")
    assert "auth failed" in proxy.logs()
    assert "auth failed" not in mailbox1.logs() and f"rip={ip_of(proxy)}" not in mailbox1.logs()


def test_an_mx_delivers_straight_to_a_mailbox_server_over_lmtp(start):
    mailbox = start(env={"ROLE": "mailbox"}, accounts=USERS)
    mx = start(env={"ROLE": "mx", "LMTP_SERVER": f"{ip_of(mailbox)}:24"}, accounts=USERS)
    subject, body, data = message("someone@sender.test", ALICE)
    send_25(mx.port[25], "someone@sender.test", [ALICE], data)
    assert wait_for_subject(mailbox.port[993], ALICE, PASSWORD, subject) == body
    assert f"relay={ip_of(mailbox)}[{ip_of(mailbox)}]:24" in mx.logs()
    # An address no account has is refused by the MX at RCPT, from the shared accounts:
    # the mailbox server is never asked.
    import smtplib
    with smtplib.SMTP("127.0.0.1", mx.port[25], local_hostname="client.sender.test") as client:
        client.ehlo()
        client.mail("someone@sender.test")
        code, _ = client.rcpt("nobody@example.test")
    assert code == 550


@pytest.mark.rspamd
def test_mx_servers_sharing_one_redis_greylist_as_one(start, image):
    """Two MX servers with REDIS_SERVER: a message greylisted by the first is let in by the
    second once GREYLIST_DELAY has passed (a sender's retry may reach either), and neither
    runs a Redis of its own. The Redis is the image's own redis-server, with a password."""
    from conftest import engine
    import uuid
    redis = f"mailinit-test-redis-{uuid.uuid4().hex[:8]}"
    engine("run", "-d", "--name", redis, "--entrypoint", "/usr/bin/redis-server", image,
           "--port", "6379", "--bind", "0.0.0.0", "--protected-mode", "no",
           "--requirepass", "redis-secret-1", "--save", "")
    try:
        address = engine("inspect", "-f", "{{.NetworkSettings.IPAddress}}", redis).stdout.strip()
        # No Sieve: the doubtful message is marked spam and would be filed into Junk.
        mailbox = start(env={"ROLE": "mailbox", "ENABLE_SIEVE": "no"}, accounts=USERS)
        env = {"ROLE": "mx", "LMTP_SERVER": f"{ip_of(mailbox)}:24",
               "REDIS_SERVER": f"{address}:6379", "REDIS_PASSWORD": "redis-secret-1",
               "GREYLISTING": "yes", "SPAM_GREYLIST_SCORE": "1", "GREYLIST_DELAY": "2"}
        first, second = start(env=env, accounts=USERS), start(env=env, accounts=USERS)
        for mx in (first, second):
            names = mx.exec("sh", "-c", "cat /proc/[0-9]*/comm").stdout.split()
            assert "rspamd" in names and "redis-server" not in names
            assert "REDIS_SERVER is set: redis does not run" in mx.logs()
        # Doubtful (no Date, no Message-ID): greylisted at score 1.
        subject = f"test {uuid.uuid4().hex}"
        data = f"From: someone@friend.test\r\nTo: {ALICE}\r\nSubject: {subject}\r\n\r\nhi\r\n"
        import smtplib
        with pytest.raises(smtplib.SMTPDataError) as deferred:
            send_25(first.port[25], "someone@friend.test", [ALICE], data)
        assert deferred.value.smtp_code == 451 and b"Greylisted" in deferred.value.smtp_error
        time.sleep(3.5)  # GREYLIST_DELAY (2 s), kept by rspamd in whole seconds, has passed
        send_25(second.port[25], "someone@friend.test", [ALICE], data)
        wait_for_subject(mailbox.port[993], ALICE, PASSWORD, subject)
    finally:
        engine("rm", "-f", "-t", "0", redis, check=False)


def test_a_mailbox_server_down_makes_the_mx_queue_the_mail_not_lose_it(start):
    """The proxy answers LMTP with 451 when the account's server does not answer: the MX
    keeps the message in its queue and retries (late, not lost, not bounced)."""
    from conftest import engine
    mailbox = start(env={"ROLE": "mailbox"}, accounts=USERS)
    proxy = start(env={"ROLE": "proxy", "MAILBOX_HOST": ip_of(mailbox)}, accounts=USERS)
    mx = start(env={"ROLE": "mx", "LMTP_SERVER": f"{ip_of(proxy)}:24"}, accounts=USERS)
    engine("stop", "-t", "5", mailbox.name)
    subject, _, data = message("someone@sender.test", ALICE)
    send_25(mx.port[25], "someone@sender.test", [ALICE], data)
    deadline = time.monotonic() + 30
    while "status=deferred" not in mx.logs() and time.monotonic() < deadline:
        time.sleep(0.3)
    assert "dsn=4.4.0, status=deferred" in mx.logs() and "451 4.4.0 Proxy failed" in mx.logs()
    assert "status=bounced" not in mx.logs()
    queue = mx.exec("postqueue", "-j").stdout.splitlines()
    assert len(queue) == 1 and ALICE in queue[0]
