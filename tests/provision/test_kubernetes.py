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


# deploy/kubernetes/scale-out (docs/scaling.md): rendered by kustomize as kubectl does, then
# checked offline: what points at what exists, and each role's settings are ones mailinit
# accepts (its own check, with the accounts file the manifests describe).
SCALE_OUT = DEPLOY / "scale-out"


def rendered_scale_out():
    import shutil
    import subprocess
    kubectl = shutil.which("kubectl")
    assert kubectl, "kubectl is not installed (tools/setup.sh installs kubernetes-client)"
    out = subprocess.run([kubectl, "kustomize", str(SCALE_OUT)], capture_output=True, text=True,
                         check=True).stdout
    return [d for d in yaml.safe_load_all(out) if d]


def workloads(docs):
    return [d for d in docs if d["kind"] in ("StatefulSet", "Deployment")]


def serving(template):
    """The containers of a pod template that serve: its containers and its sidecars
    (init containers that keep running, restartPolicy Always)."""
    spec = template["spec"]
    return spec["containers"] + [c for c in spec.get("initContainers", [])
                                 if c.get("restartPolicy") == "Always"]


def matches(selector, labels):
    return all(labels.get(k) == v for k, v in selector.items())


def test_scale_out_renders_and_every_reference_resolves():
    docs = rendered_scale_out()
    namespace = yaml.safe_load((SCALE_OUT / "kustomization.yaml").read_text())["namespace"]
    assert all(d["metadata"].get("namespace") == namespace for d in docs)
    configmaps = {d["metadata"]["name"] for d in docs if d["kind"] == "ConfigMap"}
    pods = {w["metadata"]["name"]: w["spec"]["template"] for w in workloads(docs)}
    for workload in workloads(docs):
        template = workload["spec"]["template"]
        assert matches(workload["spec"]["selector"]["matchLabels"], template["metadata"]["labels"])
        volumes = {v["name"] for v in template["spec"].get("volumes", [])} | \
            {c["metadata"]["name"] for c in workload["spec"].get("volumeClaimTemplates", [])}
        for container in template["spec"].get("initContainers", []) + \
                template["spec"]["containers"]:
            for mount in container.get("volumeMounts", []):
                assert mount["name"] in volumes, (workload["metadata"]["name"], mount)
                assert "subPath" not in mount  # never updated by the kubelet
            for source in container.get("envFrom", []):
                assert source["configMapRef"]["name"] in configmaps  # the generator's hash
    for service in (d for d in docs if d["kind"] == "Service"):
        selected = [t for t in pods.values()
                    if matches(service["spec"]["selector"], t["metadata"]["labels"])]
        assert selected, service["metadata"]["name"]
        for template in selected:
            declared = {p[key] for c in serving(template) for p in c.get("ports", [])
                        for key in ("name", "containerPort")}
            targets = {p["targetPort"] for p in service["spec"]["ports"]}
            assert targets <= declared, (service["metadata"]["name"], targets - declared)
    for policy in (d for d in docs if d["kind"] == "NetworkPolicy"):
        assert any(matches(policy["spec"]["podSelector"]["matchLabels"], t["metadata"]["labels"])
                   for t in pods.values()), policy["metadata"]["name"]
    listed = yaml.safe_load((SCALE_OUT / "kustomization.yaml").read_text())["resources"]
    assert sorted(listed) == sorted(p.name for p in SCALE_OUT.glob("*.yaml")
                                    if p.name != "kustomization.yaml")


def role_settings(docs, role):
    """The workload and environment of the mailinit container with ROLE: the shared
    ConfigMap, then its own."""
    for workload in workloads(docs):
        for container in serving(workload["spec"]["template"]):
            own = {e["name"]: e["value"] for e in container.get("env", []) if "value" in e}
            if own.get("ROLE") != role:
                continue
            env = {}
            for source in container.get("envFrom", []):
                [cm] = [d for d in docs if d["kind"] == "ConfigMap"
                        and d["metadata"]["name"] == source["configMapRef"]["name"]]
                env.update(cm["data"])
            env.update(own)
            return workload, container, env
    raise AssertionError(f"no container with ROLE={role}")


def proxy_container_config(front):
    """What the front pod's init step copies into the proxy's /etc/mailinit: its command's
    lines that name that directory."""
    [init] = [c for c in front["spec"]["template"]["spec"]["initContainers"]
              if c.get("restartPolicy") != "Always"]
    return " ".join(line for line in init["command"][-1].splitlines()
                    if "/etc/mailinit-proxy" in line and "chmod" not in line)


def service_port(docs, host, port):
    """The Service a cluster DNS name (NAME.NAMESPACE.svc.cluster.local) names, and whether it
    has PORT."""
    name = host.split(".")[0]
    [service] = [d for d in docs if d["kind"] == "Service" and d["metadata"]["name"] == name]
    assert host == f"{name}.{service['metadata']['namespace']}.svc.cluster.local", host
    return any(p["port"] == port for p in service["spec"]["ports"])


def test_scale_out_roles_point_at_each_other_and_mailinit_accepts_their_settings(check):
    from test_check import GOOD_HASH
    docs = rendered_scale_out()
    front, _, mx = role_settings(docs, "mx")
    proxy_set, proxy_container, proxy = role_settings(docs, "proxy")
    mailbox_set, _, mailbox = role_settings(docs, "mailbox")
    # The MX delivers to the proxy beside it in its pod: loopback, the proxy's LMTP port.
    assert proxy_set is front and mx["LMTP_SERVER"] == "127.0.0.1:24"
    assert 24 in {p["containerPort"] for p in proxy_container["ports"]}
    # Two mailinit containers in one pod: no port twice (the proxy's metrics move to 9155).
    ports = [p["containerPort"] for c in serving(front["spec"]["template"]) for p in c["ports"]]
    assert len(ports) == len(set(ports)) and proxy["METRICS_LISTEN"].endswith(":9155")
    mounts = [{m["mountPath"]: m["name"] for m in c["volumeMounts"]}
              for c in serving(front["spec"]["template"])]
    assert mounts[0]["/etc/mailinit"] != mounts[1]["/etc/mailinit"]  # each its own
    # The proxy is a sidecar: up before the MX and down after it, so the MX's deliveries
    # under way at a stop finish through it. It holds no signing key.
    assert proxy_container.get("restartPolicy") == "Always"
    assert "dkim" not in proxy_container_config(front)
    host, port = mx["REDIS_SERVER"].rsplit(":", 1)
    assert service_port(docs, host, int(port))
    # One public address for MAIL_HOSTNAME, in front of pods that have every public port
    # (a load balancer checks a node's health once for all of a Service's ports).
    [public] = [d for d in docs if d["kind"] == "Service"
                and d["spec"].get("type") == "LoadBalancer"]
    assert {p["port"] for p in public["spec"]["ports"]} == \
        {25, 465, 587, 143, 993, 110, 995, 4190}
    assert public["spec"]["externalTrafficPolicy"] == "Local"
    declared = {p["containerPort"] for c in serving(front["spec"]["template"]) for p in c["ports"]}
    assert matches(public["spec"]["selector"], front["spec"]["template"]["metadata"]["labels"])
    assert {p["targetPort"] for p in public["spec"]["ports"]} <= declared
    # No role trusts a network to relay: the MX trusts nothing; the mailbox servers only take
    # client addresses from the proxies.
    assert "TRUSTED_NETWORKS" not in mx and "RELAYHOST" not in mailbox
    # Secrets are root's only in the pods, and the copy of them too.
    for workload in workloads(docs):
        for volume in workload["spec"]["template"]["spec"].get("volumes", []):
            if "secret" in volume:
                assert volume["secret"]["defaultMode"] in (0o400, 0o440), volume
            if "projected" in volume:
                assert volume["projected"]["defaultMode"] == 0o400, volume
        for init in workload["spec"]["template"]["spec"].get("initContainers", []):
            if init.get("restartPolicy") != "Always":  # the copying step, not a sidecar
                assert "umask 077" in init["command"][-1]
    # The accounts' host= fields and MAILBOX_HOST name the mailbox StatefulSet's pods.
    spec = mailbox_set["spec"]
    pods = {f"{mailbox_set['metadata']['name']}-{i}.{spec['serviceName']}."
            f"{mailbox_set['metadata']['namespace']}.svc.cluster.local"
            for i in range(spec["replicas"])}
    example = (SCALE_OUT / "accounts.example").read_text()
    hosts = {field[5:] for line in example.splitlines() if not line.startswith("#")
             for field in line.replace(":", " ").split() if field.startswith("host=")}
    assert hosts and hosts <= pods and proxy["MAILBOX_HOST"] in pods
    # mailinit's own check of each role, with the example accounts (a real hash) and the
    # certificate it makes itself (the Secret is the cluster's).
    accounts = "".join(line.replace("$6$...", GOOD_HASH[len("{SHA512-CRYPT}"):]) + "\n"
                       for line in example.splitlines() if line and not line.startswith("#"))
    for env in (mx, proxy, mailbox):
        env = {k: v for k, v in env.items() if not k.startswith("TLS_") and not k.endswith("_FILE")}
        result = check(env, accounts=accounts)
        assert result.status == 0, (env["ROLE"], result.output)
        assert f"(ROLE={env['ROLE']})" in result.output
