"""deploy/kubernetes/ keeps the promises docs/kubernetes.md makes about it."""

import json
from pathlib import Path

import yaml

from conftest import ROOT

DEPLOY = ROOT / "deploy" / "kubernetes"
CAPABILITIES = {"CHOWN", "DAC_OVERRIDE", "FOWNER", "SETUID", "SETGID", "NET_BIND_SERVICE",
                "KILL", "SYS_CHROOT"}


def documents():
    docs = []
    for path in sorted(DEPLOY.glob("*.yaml")):
        docs += [d for d in yaml.safe_load_all(path.read_text()) if d]
    return {d["kind"]: d for d in docs}


def image_volumes():
    """The VOLUME paths the Containerfile declares."""
    line = next(l for l in (ROOT / "Containerfile").read_text().splitlines()
                if l.startswith("VOLUME "))
    return set(json.loads(line[len("VOLUME "):]))


def test_the_statefulset_has_every_volume_of_the_image_probes_grace_and_capabilities():
    kinds = documents()
    sts = kinds["StatefulSet"]
    pod = sts["spec"]["template"]["spec"]
    container = pod["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    mounts = {m["mountPath"]: m["name"] for m in container["volumeMounts"]}
    claims = {c["metadata"]["name"] for c in sts["spec"]["volumeClaimTemplates"]}

    assert sts["spec"]["replicas"] == 1
    assert {"/etc/mailinit", "/var/mail", "/var/spool/postfix", "/var/lib/redis",
            "/var/lib/rspamd"} == image_volumes()
    assert {mounts[path] for path in image_volumes()} == claims
    # The certificate comes from the Secret cert-manager fills, at the paths mailinit reads.
    secret = next(v for v in pod["volumes"] if v["name"] == mounts["/certs"])
    assert secret["secret"]["secretName"] == kinds["Certificate"]["spec"]["secretName"]
    assert env["TLS_CERT_FILE"] == "/certs/tls.crt" and env["TLS_KEY_FILE"] == "/certs/tls.key"
    assert not any("subPath" in m for m in container["volumeMounts"])  # subPath never updates
    # The kubelet's SIGKILL must come after mailinit's own grace limit.
    assert pod["terminationGracePeriodSeconds"] >= int(env["STOP_GRACE"]) + 2
    for probe in ("startupProbe", "readinessProbe", "livenessProbe"):
        assert container[probe]["exec"]["command"] == ["mailinit", "health"], probe
        assert container[probe]["timeoutSeconds"] >= 6  # health's own budget is 5 s
    caps = container["securityContext"]["capabilities"]
    assert caps["drop"] == ["ALL"] and set(caps["add"]) == CAPABILITIES


def test_the_service_publishes_every_mail_port_and_keeps_client_addresses():
    kinds = documents()
    service = kinds["Service"]
    container = kinds["StatefulSet"]["spec"]["template"]["spec"]["containers"][0]
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    assert {p["port"] for p in service["spec"]["ports"]} == {25, 465, 587, 143, 993, 110, 995}
    for port in service["spec"]["ports"]:
        assert named[port["targetPort"]] == port["port"]
    assert service["spec"]["externalTrafficPolicy"] == "Local"


def test_the_kustomization_lists_every_manifest():
    listed = yaml.safe_load((DEPLOY / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in DEPLOY.glob("*.yaml")
                                    if p.name != "kustomization.yaml")


def test_the_proxy_ports_are_the_ones_the_gate_and_dovecot_listen_on():
    """px-NAME: NAME's proxy port (PROXY_PROTOCOL_NETWORKS), as src/mail/gate.c lists them."""
    import re
    table = dict((name, int(port)) for name, port in re.findall(
        r'\{"(\w+)", (\d+), ', (ROOT / "src/mail/gate.c").read_text()))
    container = documents()["StatefulSet"]["spec"]["template"]["spec"]["containers"][0]
    proxied = {p["name"][3:]: p["containerPort"] for p in container["ports"]
               if p["name"].startswith("px-")}
    # ManageSieve (4190) is not published by these manifests, nor is its proxy port.
    assert proxied == {k: v for k, v in table.items() if k != "managesieve"}


def test_prometheus_scrapes_the_metrics_port_which_the_load_balancer_does_not_publish():
    kinds = documents()
    template = kinds["StatefulSet"]["spec"]["template"]
    container = template["spec"]["containers"][0]
    env = {e["name"]: e["value"] for e in container["env"]}
    named = {p["name"]: p["containerPort"] for p in container["ports"]}
    notes = template["metadata"]["annotations"]
    assert env["METRICS"] == "yes" and "METRICS_LISTEN" not in env  # 0.0.0.0:9154
    assert notes["prometheus.io/scrape"] == "true" and notes["prometheus.io/path"] == "/metrics"
    assert int(notes["prometheus.io/port"]) == named["metrics"] == 9154
    assert "metrics" not in {p["targetPort"] for p in kinds["Service"]["spec"]["ports"]}
