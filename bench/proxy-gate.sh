#!/usr/bin/env bash
# What the PROXY protocol ports cost (issue 17): SMTP sessions a second (connect, the banner,
# EHLO, QUIT) on the usual ports and on their proxy ports, in one container, from this
# machine. The proxy ports' sessions start with a PROXY v1 header, the machine being the
# load balancer (its address on podman's bridge is PROXY_PROTOCOL_NETWORKS). 25 and 12525:
# postscreen, then smtpd (the proxy port: the gate, then a second postscreen); 587 and
# 10587: smtpd (the proxy port: the gate). Prints Markdown lines.
# Usage: ENGINE=podman IMAGE=mailinit:dev [SESSIONS=2000] [CLIENTS=8] bench/proxy-gate.sh
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
sessions=${SESSIONS:-2000}
clients=${CLIENTS:-8}
name=mailinit-bench-proxy-$$
dir=$(mktemp -d)
trap '"$engine" rm -f -v -t 0 "$name" "$name-dns" >/dev/null 2>&1; rm -rf "$dir"' EXIT
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

start_quiet_dns "$name-dns"
gateway=$("$engine" network inspect podman -f '{{range .Subnets}}{{.Gateway}}{{end}}')
"$engine" run -d --name "$name" --hostname mail.example.test --dns "$dns" \
	-e MAIL_DOMAIN=example.test -e ENABLE_RSPAMD=no -e POSTFIX_POSTSCREEN_GREET_WAIT=1s \
	-e PROXY_PROTOCOL_NETWORKS="$gateway/32" "$image" >/dev/null
until "$engine" exec "$name" mailinit health >/dev/null 2>&1; do sleep 0.2; done
ip=$("$engine" inspect -f '{{.NetworkSettings.IPAddress}}' "$name")

/usr/bin/python3 - "$ip" "$sessions" "$clients" <<'PY'
import socket, sys, threading, time

ip, sessions, clients = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])

def session(port, proxied):
    with socket.create_connection((ip, port), timeout=30) as s:
        if proxied:  # always the same client: postscreen knows it after the first
            s.sendall(f"PROXY TCP4 192.0.2.7 {ip} 40000 {port}\r\n".encode())
        f = s.makefile("rwb")
        while not f.readline().startswith(b"220 "):
            pass
        f.write(b"EHLO bench.example\r\n"); f.flush()
        while not f.readline().startswith(b"250 "):
            pass
        f.write(b"QUIT\r\n"); f.flush()
        f.readline()

def rate(port, proxied):
    session(port, proxied)  # postscreen's first look (greet wait), out of the count
    left = [sessions]
    lock = threading.Lock()
    def worker():
        while True:
            with lock:
                if left[0] == 0:
                    return
                left[0] -= 1
            session(port, proxied)
    began = time.monotonic()
    threads = [threading.Thread(target=worker) for _ in range(clients)]
    for t in threads: t.start()
    for t in threads: t.join()
    return sessions / (time.monotonic() - began)

for usual, proxy, what in ((25, 12525, "25 (postscreen, smtpd)"),
                           (587, 10587, "587 (smtpd)")):
    direct, proxied = rate(usual, False), rate(proxy, True)
    print(f"| {what} | {direct:.0f} sessions/s | {proxy}: {proxied:.0f} sessions/s | "
          f"{proxied / direct:.2f}x |")
PY
