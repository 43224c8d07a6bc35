"""PROXY_PROTOCOL_NETWORKS: what `mailinit check` renders for a load balancer in front, asked
back through postconf and doveconf. Without it, none of it; the container test
(tests/container/test_proxy.py) puts a real HAProxy in front."""

import subprocess

from test_check import OK


def postconf(out, *args):
    return subprocess.run(["postconf", "-c", str(out / "etc/postfix"), *args],
                          capture_output=True, text=True, check=True).stdout


def doveconf(out, *args):
    return subprocess.run(["doveconf", "-c", str(out / "etc/dovecot/dovecot.conf"), *args],
                          capture_output=True, text=True, check=True).stdout


def test_without_it_there_is_no_proxy_port(check):
    result = check(OK)
    assert result.status == 0, result.output
    services = postconf(result.out, "-M")
    assert "proxy-" not in services and "upstream_proxy" not in services
    assert "haproxy = yes" not in result.file("/etc/dovecot/dovecot.conf")
    assert doveconf(result.out, "-h", "haproxy_trusted_networks").strip() == ""
    assert result.file("/etc/mailinit-gate.conf").splitlines()[-1] == "networks = "
    assert "gate" not in result.output


def test_postfix_takes_the_gates_connections_and_reads_the_header(check):
    result = check({**OK, "PROXY_PROTOCOL_NETWORKS": "10.0.0.5/32 [2001:db8::]/64"})
    assert result.status == 0, result.output
    out = result.out
    services = postconf(out, "-M")
    # Pass services, in public/ (private: n), so that no port of Postfix's own takes a PROXY
    # header from anyone: the gate holds the ports.
    assert "proxy-smtp pass n - n - 1 postscreen" in " ".join(services.split())
    for name in ("proxy-submission", "proxy-submissions"):
        assert f"{name} pass n - n - - smtpd" in " ".join(services.split())
    params = postconf(out, "-P")
    assert "proxy-smtp/pass/postscreen_upstream_proxy_protocol = haproxy" in params
    assert ("proxy-smtp/pass/postscreen_cache_map = "
            "btree:/var/spool/postfix/postscreen/proxy-cache") in params
    for name in ("proxy-submission", "proxy-submissions"):
        assert f"{name}/pass/smtpd_upstream_proxy_protocol = haproxy" in params
        # The same rules as 587 and 465: logins only, over TLS.
        assert f"{name}/pass/smtpd_sasl_auth_enable = yes" in params
        assert f"{name}/pass/smtpd_client_restrictions = $mua_client_restrictions" in params
        assert f"{name}/pass/smtpd_relay_restrictions = $mua_relay_restrictions" in params
    assert "proxy-submission/pass/smtpd_tls_security_level = encrypt" in params
    assert "proxy-submissions/pass/smtpd_tls_wrappermode = yes" in params
    # A client behind the balancer is trusted for TRUSTED_NETWORKS only, never loopback:
    # postscreen hands port 25's to an smtpd of their own that knows the same.
    assert "proxy-smtp/pass/smtpd_service_name = proxy-smtpd" in params
    for name in ("proxy-smtp", "proxy-smtpd", "proxy-submission", "proxy-submissions"):
        assert f"{name}/pass/mynetworks = $proxy_mynetworks" in params
    assert postconf(out, "-h", "proxy_mynetworks").strip() == ""
    # The ports' own services never read a PROXY header.
    assert "upstream_proxy_protocol" not in postconf(out, "-n")
    assert result.file("/etc/mailinit-gate.conf").splitlines()[-1] == \
        "networks = 10.0.0.5/32 2001:db8::/64"
    assert "postfix (smtp 25, submission 587, submissions 465), gate (PROXY protocol ports)" \
        in result.output


def test_dovecot_listens_for_the_load_balancer_on_its_own_ports(check):
    result = check({**OK, "PROXY_PROTOCOL_NETWORKS": "10.0.0.5/32 [2001:db8::]/64",
                     "ENABLE_MANAGESIEVE": "yes"})
    assert result.status == 0, result.output
    out = result.out
    assert doveconf(out, "-h", "haproxy_trusted_networks").strip() == \
        "10.0.0.5/32 2001:db8::/64"
    for service, listener, port, ssl in (("imap-login", "imap_proxy", 10143, "no"),
                                         ("imap-login", "imaps_proxy", 10993, "yes"),
                                         ("pop3-login", "pop3_proxy", 10110, "no"),
                                         ("pop3-login", "pop3s_proxy", 10995, "yes"),
                                         ("managesieve-login", "sieve_proxy", 14190, "no")):
        prefix = f"service/{service}/inet_listener/{listener}"
        assert doveconf(out, "-h", f"{prefix}/port").strip() == str(port)
        assert doveconf(out, "-h", f"{prefix}/haproxy").strip() == "yes"
        assert doveconf(out, "-h", f"{prefix}/ssl").strip() == ssl
    # The usual ports take no header.
    assert doveconf(out, "-h", "service/imap-login/inet_listener/imaps/haproxy").strip() == "no"


def test_a_bad_network_is_refused_with_its_name(check):
    result = check({**OK, "PROXY_PROTOCOL_NETWORKS": "10.0.0.0/33"})
    assert result.status != 0
    assert "PROXY_PROTOCOL_NETWORKS" in result.output and "10.0.0.0/33" in result.output


def test_networks_wider_than_a_load_balancer_are_refused(check):
    for wide in ("0.0.0.0/0", "10.0.0.0/7", "::/0", "2001:db8::/31", "::ffff:0:0/96"):
        result = check({**OK, "PROXY_PROTOCOL_NETWORKS": f"10.0.0.5/32 {wide}"})
        assert result.status != 0, wide
        assert f'PROXY_PROTOCOL_NETWORKS: "{wide}" is wider than a load balancer' in \
            result.output, result.output
    for narrow in ("10.0.0.0/8", "2001:db8::/32", "192.0.2.7"):
        assert check({**OK, "PROXY_PROTOCOL_NETWORKS": narrow}).status == 0, narrow


def test_never_banned_networks_that_would_not_fit_are_refused(check):
    many = " ".join(f"10.{i // 256}.{i % 256}.0/24" for i in range(400))
    result = check({**OK, "BAN_IGNORE": many})
    assert result.status != 0
    assert "TRUSTED_NETWORKS, BAN_IGNORE and PROXY_PROTOCOL_NETWORKS: together longer" in \
        result.output
