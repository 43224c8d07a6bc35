"""A certificate renewal caught halfway, as certbot's files can be seen between two
writes: the daemons keep serving the verified pair, on every port, with no failed
connection, and take the new pair once it is whole."""

import hashlib
import socket
import ssl
import subprocess
import time

from clients import tls_context
from test_operations import TLS_PORTS, USERS, served_fingerprint, make_cert, starttls


def new_key(path):
    subprocess.run(["openssl", "genpkey", "-algorithm", "EC", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-out", str(path)], check=True,
                   capture_output=True)


def replace(path, text):
    """As certbot's deploy hooks and most tools do: a new file renamed into place."""
    temp = path.with_suffix(".new")
    temp.write_text(text)
    temp.rename(path)


def test_a_half_renewed_pair_is_refused_and_the_verified_one_keeps_serving(start, tmp_path):
    certs = tmp_path / "live"
    first = make_cert(certs)
    (certs / "tls.crt").rename(certs / "fullchain.pem")
    (certs / "tls.key").rename(certs / "privkey.pem")
    c = start(env={"CERT_PATH": "/certs", "ENABLE_MANAGESIEVE": "yes"},
              volumes=[f"{certs}:/certs:ro"], accounts=USERS)
    for port in TLS_PORTS:
        assert served_fingerprint(c, port) == first, port

    # Step one of a renewal: the new key, beside the old certificate.
    new_key(tmp_path / "next.key")
    replace(certs / "privkey.pem", (tmp_path / "next.key").read_text())
    deadline = time.monotonic() + 20
    while "does not belong to the certificate" not in c.logs():
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.1)
    # New daemon processes read their certificate files again: an smtpd ends after
    # max_idle or max_use anyway, and either daemon can reload for another reason.
    c.exec("postfix", "reload")
    c.exec("doveadm", "reload")
    # Postfix and Dovecot still serve the pair that was verified: a TLS handshake
    # works on every port, with the first certificate.
    for port in TLS_PORTS:
        assert served_fingerprint(c, port) == first, (port, c.logs())

    # Step two: the matching certificate. Now the new pair is served everywhere.
    renewed_dir = tmp_path / "renewed"
    renewed = make_cert(renewed_dir)
    replace(certs / "privkey.pem", (renewed_dir / "tls.key").read_text())
    replace(certs / "fullchain.pem", (renewed_dir / "tls.crt").read_text())
    deadline = time.monotonic() + 20
    while any(served_fingerprint(c, port) != renewed for port in TLS_PORTS):
        assert time.monotonic() < deadline, c.logs()
        time.sleep(0.2)


def make_named_pair(directory, names, cert="fullchain.pem", key="privkey.pem"):
    """A pair for NAMES in DIRECTORY (certbot's file names by default); its fingerprint."""
    directory.mkdir(parents=True, exist_ok=True)
    temp = directory.parent / f".{directory.name}-new"
    temp.mkdir(exist_ok=True)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", f"/CN={names[0]}",
                    "-addext", "subjectAltName=" + ",".join(f"DNS:{n}" for n in names),
                    "-keyout", str(temp / "key"), "-out", str(temp / "cert"), "-days", "30"],
                   check=True, capture_output=True)
    replace(directory / key, (temp / "key").read_text())
    replace(directory / cert, (temp / "cert").read_text())
    der = ssl.PEM_cert_to_DER_cert((temp / "cert").read_text())
    return hashlib.sha256(der).hexdigest()


SNI_PORTS = TLS_PORTS  # 25, 587 and 143, 110, 4190 with STARTTLS; 465, 993, 995


def served_for(container, port, name):
    """The fingerprint served on PORT to a client asking for NAME by SNI (None: no SNI)."""
    with socket.create_connection(("127.0.0.1", container.port[port]), timeout=10) as raw:
        raw.settimeout(10)
        if port not in (465, 993, 995):
            starttls(raw, port)
        with tls_context().wrap_socket(raw, server_hostname=name) as tls:
            return hashlib.sha256(tls.getpeercert(binary_form=True)).hexdigest()


def wait_served(container, name, fingerprint, ports=SNI_PORTS):
    deadline = time.monotonic() + 30
    while any(served_for(container, port, name) != fingerprint for port in ports):
        assert time.monotonic() < deadline, (name, container.logs())
        time.sleep(0.2)


def test_each_domain_is_served_its_own_certificate_by_sni_and_renewals_and_new_ones_follow(
        start, tmp_path):
    live = tmp_path / "live"
    org = make_named_pair(live / "mail.example.org", ["mail.example.org", "imap.example.org"])
    net = make_named_pair(live / "example-net", ["*.example.net"], cert="tls.crt",
                          key="tls.key")
    c = start(env={"MAIL_DOMAINS": "example.org example.net", "CERTS_DIR": "/certs",
                   "ENABLE_MANAGESIEVE": "yes"},
              volumes=[f"{live}:/certs:ro"], accounts=USERS)
    default = served_for(c, 993, None)
    assert default not in (org, net)
    for port in SNI_PORTS:
        assert served_for(c, port, "mail.example.org") == org, port
        assert served_for(c, port, "imap.example.org") == org, port
        assert served_for(c, port, "smtp.example.net") == net, port
        assert served_for(c, port, None) == default, port
        assert served_for(c, port, "mail.example.test") == default, port
        assert served_for(c, port, "unknown.example.com") == default, port
    # health names each certificate by the names it serves, with its expiry.
    health = c.exec("mailinit", "health").stdout.splitlines()
    assert any(line.startswith("ok    certificate ") and "expires in 29 days" in line and
               {"mail.example.org", "imap.example.org"} <= set(line.split()) for line in health)
    assert any(line.startswith("ok    certificate *.example.net ") for line in health), health

    # certbot renews one: served on every port, the others unchanged.
    renewed = make_named_pair(live / "mail.example.org", ["mail.example.org", "imap.example.org"])
    wait_served(c, "mail.example.org", renewed)
    assert served_for(c, 993, "smtp.example.net") == net
    # A certificate for a new domain, then its renewal: the new directory is watched too.
    com = make_named_pair(live / "mail.example.com", ["mail.example.com"])
    wait_served(c, "mail.example.com", com)
    com_renewed = make_named_pair(live / "mail.example.com", ["mail.example.com"])
    wait_served(c, "mail.example.com", com_renewed)
    assert served_for(c, 465, None) == default
