#!/usr/bin/env bash
# rspamd's cost, side by side with the lean server (ENABLE_RSPAMD=no) in one run of one image:
# the image's size and what each package rspamd and Redis bring adds; start-up from
# `podman run` to the first message accepted on 25 (rspamd on: once its milter answers),
# RUNS (5) times each, with rspamd's compiled patterns on a volume (every start but a new
# server's first), and that first start once; the whole container's memory (its cgroup)
# idle and at the end of COUNT (2000) messages over SESSIONS (10) SMTP sessions; SMTP
# accepted/s and delivered/s of that load. Greylisting is off for the load (a first message
# from an unknown client is deferred by design). The server asks the tests' NSD
# (tests/container/dns) for every name, which answers "no such name" at once, as a local
# resolver would for the blocklists' misses: this machine has no Internet, and its resolver's
# timeouts would measure the network. Needs root, podman, the image (make image).
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
runs=${RUNS:-5}
count=${COUNT:-2000}
sessions=${SESSIONS:-10}
dir=$(mktemp -d)
name=mailinit-bench-rspamd-$$
cache=mailinit-bench-rspamd-cache-$$
# The queue's volume, kept from run to run: postscreen's memory of the load client is there,
# so a start is timed to the server's readiness, not postscreen's 6 s wait for a new client.
queue=mailinit-bench-rspamd-queue-$$
here=$(cd "$(dirname "$0")" && pwd)
# One rm each: podman leaves the second container when the first is already gone.
trap '$engine rm -f -v -t 0 "$name" >/dev/null 2>&1 || true; $engine rm -f -v -t 0 "$name-dns" \
	>/dev/null 2>&1 || true; $engine volume rm -f \
	"$cache" "$queue" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

# shellcheck source=bench/common.sh
. "$here/common.sh"
start_quiet_dns "$name-dns"

# Until a MAIL FROM on 25 is answered 250: with rspamd on, Postfix says 451 until its milter is up.
wait_for_mail() {
	python3 - <<'PY'
import smtplib, time
while True:
    try:
        with smtplib.SMTP("127.0.0.1", 15025, local_hostname="bench.example.net", timeout=10) as s:
            s.ehlo()
            if s.mail("bench@example.net")[0] == 250:
                break
    except (OSError, smtplib.SMTPException):
        pass
    time.sleep(0.005)
PY
}

start_server() { # ENABLE_RSPAMD value; the mail directory is $dir/mail
	rm -rf "$dir/mail" "$dir/config" && mkdir -p "$dir/mail" "$dir/config"
	hash="{SHA512-CRYPT}$(openssl passwd -6 load-pw)"
	for i in $(seq 0 9); do echo "load$i@example.test:$hash"; done >"$dir/config/accounts"
	"$engine" run -d --name "$name" --hostname mail.example.test -e MAIL_DOMAIN=example.test \
		-e ENABLE_RSPAMD="$1" -e GREYLISTING=no --dns "$dns" -v "$dir/config:/etc/mailinit" \
		-v "$dir/mail:/var/mail" -v "$cache:/var/lib/rspamd" -v "$queue:/var/spool/postfix" \
		-p 127.0.0.1:15025:25 \
		"$image" >/dev/null 2>&1 # podman's systemd timer warnings
}

memory_mb() { # the container's cgroup: every process in it, page cache of its files included
	"$engine" stats --no-stream --format '{{.MemUsage}}' "$name" | awk '{ print $1 }'
}

echo "rspamd: $(date -u +%F), $(nproc) cores, $("$engine" --version), image $image"
size=$("$engine" image inspect -f '{{.Size}}' "$image")
echo "image: $((size / 1000000)) MB"
echo "installed size (KiB) of what rspamd and Redis bring:"
# shellcheck disable=SC2016 # dpkg-query's own ${fields}, not the shell's
"$engine" run --rm --entrypoint dpkg-query "$image" -W -f '${Installed-Size}\t${Package}\n' \
	rspamd libhyperscan5 redis-tools libglib2.0-0 libjs-bootstrap4 libsqlite3-0 \
	libjs-requirejs libjemalloc2 libjs-jquery libjs-popper.js libluajit-5.1-2 \
	fonts-glyphicons-halflings libluajit-5.1-common redis-server libatomic1 liblzf1 \
	javascript-common 2>/dev/null | sort -rn | awk '{ t += $1; print "  " $0 } END { print "  " t "\ttotal" }'

"$engine" volume rm -f "$cache" >/dev/null 2>&1 || true
start=$(now_ms)
start_server yes
wait_for_mail
echo "first start of a new server, rspamd on (compiles its patterns): $(($(now_ms) - start)) ms"
"$engine" rm -f -v -t 0 "$name" >/dev/null

for setting in no yes; do
	times=()
	for _ in $(seq "$runs"); do
		start=$(now_ms)
		start_server "$setting"
		wait_for_mail
		times+=($(($(now_ms) - start)))
		"$engine" rm -f -v -t 0 "$name" >/dev/null
	done
	echo "ENABLE_RSPAMD=$setting: start to first mail accepted, median of $runs: $(printf '%s\n' \
		"${times[@]}" | median) ms (${times[*]})"
	start_server "$setting"
	wait_for_mail
	sleep 10
	echo "ENABLE_RSPAMD=$setting: memory idle: $(memory_mb)"
	python3 "$here/load.py" smtp 15025 "$dir/mail" "$count" "$sessions" | sed "s/^/ENABLE_RSPAMD=$setting: /"
	echo "ENABLE_RSPAMD=$setting: memory after the load: $(memory_mb)"
	"$engine" rm -f -v -t 0 "$name" >/dev/null
done
