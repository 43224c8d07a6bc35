"""A certificate renewal caught halfway, as certbot's files can be seen between two
writes: the daemons keep serving the verified pair, on every port, with no failed
connection, and take the new pair once it is whole."""

import subprocess
import time

from test_operations import TLS_PORTS, USERS, served_fingerprint, make_cert


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
