#!/usr/bin/env bash
# Start-up of the image, measured from outside: median time from `podman run`
# to SMTP 25, IMAP 143 and POP3 110 all answering with their greetings, with a
# mounted certificate (CERT_PATH) and DKIM keys already made (a restart, the
# usual case); mailinit's own part of that (its log line "configuration
# rendered and verified in N ms"); PID 1's resident memory while serving; a
# whole `mailinit check` inside the running container; time from `podman stop`
# to exit. RUNS runs (default 7). Then "nothing lost on stop": QUEUED (500)
# messages over 10 SMTP sessions to one mailbox (delivered one at a time, so
# most are still queued when sending ends), `podman stop` at once, `podman start`, and every accepted message counted by Message-ID in
# the Maildirs. Needs root, podman, the image (make image).
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
runs=${RUNS:-7}
dir=$(mktemp -d)
name=mailinit-bench-$$
trap '$engine rm -f -v -t 0 "$name" "$name-dns" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

mkdir -p "$dir/certs" "$dir/config"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mail.example.test \
	-addext subjectAltName=DNS:mail.example.test -keyout "$dir/certs/privkey.pem" \
	-out "$dir/certs/fullchain.pem" -days 30 2>/dev/null
chmod 0644 "$dir/certs/privkey.pem"

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

run_once() {
	"$engine" run -d --name "$name" --hostname mail.example.test \
		-v "$dir/certs:/certs:ro" -v "$dir/config:/etc/mailinit" \
		-e MAIL_DOMAIN=example.test -e CERT_PATH=/certs \
		-p 127.0.0.1:12525:25 -p 127.0.0.1:12143:143 -p 127.0.0.1:12110:110 "$image" >/dev/null
}

run_once # first start: makes the DKIM key; not measured
python3 "$(dirname "$0")/load.py" greetings 12525 12143 12110
"$engine" rm -f -v -t 0 "$name" >/dev/null

for _ in $(seq "$runs"); do
	start=$(now_ms)
	run_once
	python3 "$(dirname "$0")/load.py" greetings 12525 12143 12110
	echo $(($(now_ms) - start)) >>"$dir/ready"
	pid=$("$engine" inspect -f '{{.State.Pid}}' "$name")
	"$engine" logs "$name" 2>&1 | sed -n '/reload:/d; s/.*configuration rendered and verified in \([0-9]*\) ms.*/\1/p' >>"$dir/verified"
	# date inside the container, so podman exec's own cost is not counted
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$engine" exec "$name" sh -c 's=$(date +%s%N); mailinit check >/dev/null 2>&1 || exit 1; echo $((($(date +%s%N) - s) / 1000000))' >>"$dir/check" || echo "mailinit check failed in the container" >&2
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" >>"$dir/rss"
	start=$(now_ms)
	"$engine" stop -t 10 "$name" >/dev/null
	echo $(($(now_ms) - start)) >>"$dir/stop"
	"$engine" rm -f "$name" >/dev/null
done
# Nothing lost on stop: mail queued, podman stop, podman start, count by Message-ID. rspamd
# asks the quiet DNS (bench/common.sh) and greylisting is off: a first message from a new
# client is deferred by design, and this measures the stop.
start_quiet_dns "$name-dns"
queued=${QUEUED:-500}
mkdir -p "$dir/mail" "$dir/queue"
hash="{SHA512-CRYPT}$(openssl passwd -6 load-pw)"
for i in $(seq 0 9); do echo "load$i@example.test:$hash"; done >"$dir/config/accounts"
"$engine" run -d --name "$name" --hostname mail.example.test \
	-v "$dir/certs:/certs:ro" -v "$dir/config:/etc/mailinit" -v "$dir/mail:/var/mail" \
	-v "$dir/queue:/var/spool/postfix" -e MAIL_DOMAIN=example.test -e CERT_PATH=/certs \
	-e GREYLISTING=no --dns "$dns" -p 127.0.0.1:12525:25 "$image" >/dev/null
until "$engine" exec "$name" mailinit health >/dev/null 2>&1; do sleep 0.2; done
python3 "$(dirname "$0")/load.py" queue 12525 "$dir/ids" "$queued" 10
delivered_at_stop=$(find "$dir/mail/vhosts" -path '*/new/*' -type f | wc -l)
start=$(now_ms)
"$engine" stop -t 10 "$name" >/dev/null
queued_stop_ms=$(($(now_ms) - start))
"$engine" start "$name" >/dev/null
lost_line=$(python3 "$(dirname "$0")/load.py" count "$dir/mail" "$dir/ids" "$delivered_at_stop") || lost_line+=" (FAILED)"
"$engine" rm -f -v -t 0 "$name" >/dev/null

for _ in $(seq "$runs"); do
	start=$(now_ms)
	"$engine" run --rm --entrypoint /bin/true "$image"
	echo $(($(now_ms) - start)) >>"$dir/bare"
done

echo "| podman run to SMTP 25, IMAP 143 and POP3 110 greeting | $(median <"$dir/ready") ms |"
echo "| podman alone: run --rm of /bin/true in the same image | $(median <"$dir/bare") ms |"
echo "| mailinit's own part: configuration rendered and verified (its log) | $(median <"$dir/verified") ms |"
echo "| mailinit check inside the running container (key and certificate exist) | $(median <"$dir/check") ms |"
echo "| PID 1 resident memory while serving (VmRSS) | $(median <"$dir/rss") KiB |"
echo "| podman stop to exit | $(median <"$dir/stop") ms |"
echo "| podman stop to exit with mail queued (once) | $queued_stop_ms ms |"
echo
echo "$lost_line"
echo
echo "median of $runs runs; $(date -u +%Y-%m-%d); $(nproc) cores; $("$engine" --version); image $("$engine" image inspect -f '{{.Size}}' "$image" | awk '{ printf "%.0f MB", $1 / 1e6 }')"
