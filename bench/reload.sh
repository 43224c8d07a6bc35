#!/usr/bin/env bash
# Live reload, measured from outside: RUNS times (default 7) each of
#  - `mailinit user add` (podman exec) to the new user's first IMAP login succeeding;
#  - a certificate renewal (the kubelet's "..data" swap) to the new certificate being served
#    on IMAPS 993 and SMTPS 465;
# and mailinit's own figure, "reload: configuration rendered and verified in N ms".
# Then PID 1's CPU time over IDLE seconds (default 60) with nothing changing.
# Needs root, podman, the image (make image).
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
runs=${RUNS:-7}
idle=${IDLE:-60}
dir=$(mktemp -d)
name=mailinit-bench-reload-$$
trap '$engine rm -f -v -t 0 "$name" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

new_cert() { # DIR: a fresh ECDSA pair as tls.crt, tls.key
	mkdir -p "$1"
	openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes \
		-subj /CN=mail.example.test -addext subjectAltName=DNS:mail.example.test \
		-keyout "$1/tls.key" -out "$1/tls.crt" -days 30 2>/dev/null
	chmod 0644 "$1/tls.key"
}
mkdir -p "$dir/secret" "$dir/config"
new_cert "$dir/secret/..v0"
ln -s ..v0 "$dir/secret/..data"
ln -s ..data/tls.crt "$dir/secret/tls.crt"
ln -s ..data/tls.key "$dir/secret/tls.key"

"$engine" run -d --name "$name" --hostname mail.example.test \
	-v "$dir/secret:/certs:ro" -v "$dir/config:/etc/mailinit" \
	-e MAIL_DOMAIN=example.test -e TLS_CERT_FILE=/certs/tls.crt -e TLS_KEY_FILE=/certs/tls.key \
	-p 127.0.0.1:13993:993 -p 127.0.0.1:13465:465 "$image" >/dev/null
until "$engine" exec "$name" mailinit health >/dev/null 2>&1; do sleep 0.2; done
pid=$("$engine" inspect -f '{{.State.Pid}}' "$name")

exec_ms=()
for _ in $(seq 1 "$runs"); do
	start=$(date +%s%N)
	"$engine" exec "$name" true
	exec_ms+=("$((($(date +%s%N) - start) / 1000000))")
done
login_ms=()
cert_ms=()
for i in $(seq 1 "$runs"); do
	# A failed login costs Dovecot's 2 s auth_failure_delay, so retrying would measure that:
	# wait (from the host, through /proc) for Dovecot's users file to hold the account, then
	# log in once; that login must work.
	start=$(date +%s%N)
	echo "bench-pw-$i" | "$engine" exec -i "$name" mailinit user add "bench$i@example.test" \
		--password-stdin >/dev/null
	until grep -q "^bench$i@example.test:" "/proc/$pid/root/run/mailinit/etc/dovecot/users"; do sleep 0.005; done
	ms=$(python3 - "$i" "$start" <<'PY'
import imaplib, ssl, sys, time
i, start = sys.argv[1], int(sys.argv[2])
c = imaplib.IMAP4_SSL("127.0.0.1", 13993, ssl_context=ssl._create_unverified_context())
c.login(f"bench{i}@example.test", f"bench-pw-{i}")
c.logout()
print((time.time_ns() - start) // 1_000_000)
PY
)
	login_ms+=("$ms")

	new_cert "$dir/secret/..v$i"
	fingerprint=$(openssl x509 -in "$dir/secret/..v$i/tls.crt" -noout -fingerprint -sha256)
	start=$(date +%s%N)
	ln -s "..v$i" "$dir/secret/..data_tmp" && mv -T "$dir/secret/..data_tmp" "$dir/secret/..data"
	for port in 13993 13465; do
		until [ "$(openssl s_client -connect 127.0.0.1:$port </dev/null 2>/dev/null |
			openssl x509 -noout -fingerprint -sha256 2>/dev/null)" = "$fingerprint" ]; do
			sleep 0.01
		done
	done
	cert_ms+=("$((($(date +%s%N) - start) / 1000000))")
done
verified=$("$engine" logs "$name" 2>&1 | sed -n 's/.*reload: configuration rendered and verified in \([0-9]*\) ms.*/\1/p')

sleep 2
ticks() { awk '{ print $14 + $15 }' "/proc/$pid/stat"; }
before=$(ticks)
switches_before=$(awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$pid/status")
sleep "$idle"
after=$(ticks)
switches_after=$(awk '/ctxt_switches/ { n += $2 } END { print n }' "/proc/$pid/status")

echo "runs: $runs ($(date -u +%F), $(nproc) cores, $("$engine" --version))"
echo "user add to first successful IMAP login, median: $(printf '%s\n' "${login_ms[@]}" | median) ms (${login_ms[*]})"
echo "  of which podman exec alone (exec of true), median: $(printf '%s\n' "${exec_ms[@]}" | median) ms"
echo "certificate swap to served on 993 and 465, median: $(printf '%s\n' "${cert_ms[@]}" | median) ms (${cert_ms[*]})"
echo "reconfiguration (render + verify + write), median: $(echo "$verified" | median) ms"
echo "PID 1 CPU over $idle idle s: $((after - before)) ticks of $(getconf CLK_TCK)/s; context switches: $((switches_after - switches_before))"
