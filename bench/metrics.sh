#!/usr/bin/env bash
# The metrics endpoint (METRICS=yes), measured from outside: a scrape's time (median of
# RUNS) with an empty queue and with QUEUED (100,000) messages in Postfix's hold queue (as
# empty files: the scrape counts names, it reads no message; qmgr never scans hold/); then
# PID 1's resident memory before and after FLOOD (200,000) log lines through its /dev/log
# sink (mail-event lines from root, each counted), and whether the counts moved by that.
# Needs root, podman, the image (make image).
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
runs=${RUNS:-5}
queued=${QUEUED:-100000}
flood=${FLOOD:-200000}
name=mailinit-metrics-$$
trap '$engine rm -f -v -t 0 "$name" >/dev/null 2>&1 || true' EXIT
port=19$((RANDOM % 900 + 100))

"$engine" run -d --name "$name" --hostname mail.example.test -e MAIL_DOMAIN=example.test \
	-e METRICS=yes -e ENABLE_RSPAMD=no -p "127.0.0.1:$port:9154" "$image" >/dev/null 2>&1
until "$engine" exec "$name" mailinit health >/dev/null 2>&1; do sleep 0.2; done

# The median of RUNS scrapes, in ms; the queue is counted again 5 s after the last count.
scrape_ms() {
	python3 - "$port" "$runs" <<'PY'
import statistics, sys, time, urllib.request
port, runs = sys.argv[1], int(sys.argv[2])
times = []
for _ in range(runs):
    time.sleep(5.1)
    began = time.monotonic()
    body = urllib.request.urlopen(f"http://127.0.0.1:{port}/metrics", timeout=30).read()
    times.append((time.monotonic() - began) * 1000)
    assert body.endswith(b"# EOF\n")
print(f"{statistics.median(times):.1f}")
PY
}
queue_line() {
	curl -s "http://127.0.0.1:$port/metrics" | grep 'mailinit_queue_messages{queue="hold"}'
}

echo "| what | figure |"
echo "|---|---|"
echo "| a scrape, empty queue (median of $runs) | $(scrape_ms) ms |"
# shellcheck disable=SC2016 # expanded by the container's shell
"$engine" exec "$name" sh -c 'cd /var/spool/postfix/hold && seq -f "B%08g" 1 "$1" |
	xargs touch && chown postfix: . -R' sh "$queued"
took=$(scrape_ms)
echo "| a scrape, $queued messages in hold/ (median of $runs; $(queue_line)) | $took ms |"
"$engine" exec "$name" sh -c 'find /var/spool/postfix/hold -name "B*" -delete'

# shellcheck disable=SC2016 # awk's own $2
rss() { "$engine" exec "$name" awk '/^VmRSS/ {print $2}' /proc/1/status; }
delivered() {
	curl -s "http://127.0.0.1:$port/metrics" |
		sed -n 's/^mailinit_deliveries_total{transport="lmtp",status="sent"} //p'
}
before_rss=$(rss)
before=$(delivered)
# Root's lines, as Postfix's lmtp writes them; logger sends one datagram each.
# shellcheck disable=SC2016 # expanded by the container's shell
"$engine" exec "$name" sh -c 'i=0; while [ $i -lt "$1" ]; do
	echo "4QFLOOD$i: to=<a@example.test>, relay=x, delay=0, status=sent (250)"
	i=$((i + 1)); done | logger -u /dev/log -t postfix/lmtp' sh "$flood"
sleep 2
echo "| PID 1 resident memory, before / after $flood mail-event lines through /dev/log | $before_rss / $(rss) KiB |"
echo "| deliveries counted from those lines | $(($(delivered) - before)) |"
echo
echo "$(date -u +%F); $(nproc) cores; $("$engine" --version); image $image"
