"""CERTS_DIR: a certificate per domain, served by SNI. What `mailinit check` renders for
Postfix (tls_server_sni_maps) and Dovecot (local_name), asked back through postconf,
postmap and doveconf; the container tests (test_certificates.py) connect with SNI."""

import subprocess

from test_check import OK


def make_pair(directory, names, cert="fullchain.pem", key="privkey.pem", days=30):
    """A self-signed pair for NAMES; DAYS < 0: one that expired |DAYS| days ago."""
    directory.mkdir(parents=True, exist_ok=True)
    san = ",".join(f"DNS:{name}" for name in names)
    subprocess.run(["openssl", "req", "-x509", "-newkey", "ec", "-pkeyopt",
                    "ec_paramgen_curve:P-256", "-nodes", "-subj", "/CN=x",
                    "-addext", f"subjectAltName={san}", "-keyout", str(directory / key),
                    "-out", str(directory / cert), "-days", str(max(days, 1))],
                   check=True, capture_output=True)
    if days < 0:  # signed again, to end DAYS from now (in the past)
        subprocess.run(["openssl", "x509", "-in", str(directory / cert), "-signkey",
                        str(directory / key), "-days", str(days), "-out", str(directory / cert)],
                       check=True, capture_output=True)
    return (directory / cert).read_text()


def dovecot_cert_for(out, name):
    """The certificate Dovecot serves to a client asking for NAME (doveconf's filter)."""
    argv = ["doveconf", "-c", str(out / "etc/dovecot/dovecot.conf"), "-h", "ssl_cert"]
    if name:
        argv[1:1] = ["-f", f"lname={name}"]
    value = subprocess.run(argv, capture_output=True, text=True, check=True).stdout.strip()
    assert value.startswith("<")
    return open(value[1:]).read()


def postfix_chain_for(out, name):
    table = f"texthash:{out}/etc/postfix/sni"
    found = subprocess.run(["postmap", "-q", name, table], capture_output=True, text=True)
    return found.stdout.strip() if found.returncode == 0 else None


def test_each_name_gets_its_own_certificate_and_the_rest_the_default(check, tmp_path):
    live = tmp_path / "live"
    org = make_pair(live / "mail.example.org", ["mail.example.org", "imap.example.org"])
    net = make_pair(live / "example-net-tls", ["*.example.net"], cert="tls.crt", key="tls.key")
    (live / "README").write_text("certbot leaves this here\n")
    result = check({**OK, "MAIL_DOMAINS": "example.org example.net", "CERTS_DIR": str(live)})
    assert result.status == 0, result.output
    out = result.out
    main_cf = subprocess.run(["postconf", "-c", str(out / "etc/postfix"), "-h",
                              "tls_server_sni_maps"], capture_output=True, text=True).stdout
    assert main_cf.strip() == f"texthash:{out}/etc/postfix/sni"
    # Postfix: each name (a wildcard as its parent domain) to the file of its pair,
    # the default certificate's own name to the default pair.
    org_file = postfix_chain_for(out, "imap.example.org")
    net_file = postfix_chain_for(out, ".example.net")
    assert org_file == postfix_chain_for(out, "mail.example.org")
    assert org_file != net_file
    assert org in open(org_file).read() and "PRIVATE KEY" in open(org_file).read()
    assert net in open(net_file).read()
    assert postfix_chain_for(out, "mail.example.test") == f"{out}/etc/ssl/mailinit/pair.pem"
    assert postfix_chain_for(out, "example.org") is None
    # Dovecot: the same choice by local_name, wildcard included; the default otherwise.
    assert org.strip() in dovecot_cert_for(out, "imap.example.org")
    assert net.strip() in dovecot_cert_for(out, "pop.example.net")
    default = dovecot_cert_for(out, None)
    assert org.strip() not in default and net.strip() not in default
    assert dovecot_cert_for(out, "other.example.com") == default


def test_a_pair_half_there_or_not_matching_is_refused_and_an_empty_directory_waits(
        check, tmp_path):
    live = tmp_path / "live"
    make_pair(live / "good", ["mail.example.org"])
    make_pair(live / "half", ["half.example.org"])
    (live / "half/privkey.pem").unlink()
    result = check({**OK, "CERTS_DIR": str(live)}, keep=False)
    assert result.status == 78
    assert f"CERTS_DIR: {live}/half has fullchain.pem but not privkey.pem" in result.output

    make_pair(live / "half", ["half.example.org"])
    make_pair(tmp_path / "other", ["half.example.org"])
    (live / "half/privkey.pem").write_text((tmp_path / "other/privkey.pem").read_text())
    result = check({**OK, "CERTS_DIR": str(live)}, keep=False)
    assert result.status == 78
    assert (f"{live}/half/privkey.pem: the private key does not belong to the certificate "
            f"{live}/half/fullchain.pem") in result.output

    for name in ("fullchain.pem", "privkey.pem"):
        (live / "half" / name).unlink()
    result = check({**OK, "CERTS_DIR": str(live)})
    assert result.status == 0, result.output
    assert (f"CERTS_DIR: {live}/half has no fullchain.pem and privkey.pem (nor tls.crt and "
            "tls.key) yet: skipped until it has") in result.output
    assert postfix_chain_for(result.out, "mail.example.org")


def test_a_name_two_certificates_cover_goes_to_the_first_and_removed_pairs_go(check, tmp_path):
    live = tmp_path / "live"
    first = make_pair(live / "a", ["mail.example.org"])
    make_pair(live / "b", ["mail.example.org", "mx.example.org"])
    result = check({**OK, "CERTS_DIR": str(live)}, out="state")
    assert result.status == 0, result.output
    assert (f"CERTS_DIR: {live}/b: mail.example.org is covered by an earlier directory too: "
            "that one serves it") in result.output
    assert first in open(postfix_chain_for(result.out, "mail.example.org")).read()
    assert first not in open(postfix_chain_for(result.out, "mx.example.org")).read()
    pairs = result.out / "etc/ssl/mailinit/sni"
    assert sorted(p.name for p in pairs.iterdir()) == ["a.pem", "b.pem"]
    # b taken away: its pair (and key) is no longer in the rendered tree.
    for name in ("fullchain.pem", "privkey.pem"):
        (live / "b" / name).unlink()
    (live / "b").rmdir()
    result = check({**OK, "CERTS_DIR": str(live)}, out="state")
    assert result.status == 0, result.output
    assert sorted(p.name for p in pairs.iterdir()) == ["a.pem"]
    assert postfix_chain_for(result.out, "mx.example.org") is None


def test_without_certs_dir_there_is_no_sni_table(check):
    result = check(OK)
    assert result.status == 0, result.output
    sni = subprocess.run(["postconf", "-c", str(result.out / "etc/postfix"), "-h",
                          "tls_server_sni_maps"], capture_output=True, text=True).stdout
    assert sni.strip() == ""
    assert "local_name" not in result.file("/etc/dovecot/sni.conf")


def test_an_unreadable_certs_dir_is_a_problem(check, tmp_path):
    result = check({**OK, "CERTS_DIR": str(tmp_path / "nowhere")}, keep=False)
    assert result.status == 78
    assert f"CERTS_DIR: cannot read {tmp_path}/nowhere: No such file or directory" in result.output


def test_an_exact_name_beats_a_wildcard_in_postfix_and_dovecot_alike(check, tmp_path):
    live = tmp_path / "live"
    wildcard = make_pair(live / "a-wildcard", ["*.example.org"])
    exact = make_pair(live / "b-exact", ["mail.example.org"])
    # The default certificate's own name, under a wildcard of CERTS_DIR, stays its own.
    make_pair(tmp_path / "default", ["mx.example.org"])
    result = check({**OK, "MAIL_HOSTNAME": "mx.example.org", "CERTS_DIR": str(live),
                    "TLS_CERT_FILE": str(tmp_path / "default/fullchain.pem"),
                    "TLS_KEY_FILE": str(tmp_path / "default/privkey.pem")})
    assert result.status == 0, result.output
    out = result.out
    for name, expected in (("mail.example.org", exact), ("imap.example.org", wildcard)):
        assert expected in open(postfix_chain_for(out, name) or
                                postfix_chain_for(out, ".example.org")).read(), name
        assert expected.strip() in dovecot_cert_for(out, name), name
    assert postfix_chain_for(out, "mx.example.org") == f"{out}/etc/ssl/mailinit/pair.pem"
    default = dovecot_cert_for(out, None)
    assert dovecot_cert_for(out, "mx.example.org") == default
    assert wildcard.strip() not in default


def test_an_expired_certificate_or_a_name_that_is_no_host_name_is_skipped(check, tmp_path):
    live = tmp_path / "live"
    make_pair(live / "gone.example.org", ["gone.example.org"], days=-1)
    make_pair(live / "odd", ["bad{x}.example.org", "fine.example.org"])
    result = check({**OK, "CERTS_DIR": str(live)})
    assert result.status == 0, result.output
    assert (f"CERTS_DIR: {live}/gone.example.org/fullchain.pem: the certificate has expired: "
            "skipped (renew it, or remove the directory)") in result.output
    assert 'the name "bad{x}.example.org" is not a host name: not served by it' in result.output
    assert postfix_chain_for(result.out, "gone.example.org") is None
    assert postfix_chain_for(result.out, "fine.example.org")
    assert "bad" not in result.file("/etc/dovecot/sni.conf")
