#!/usr/bin/env bash
# PID 1's resident memory while supervising three services, before and after
# 100 reloads (SIGHUP), and the time from SIGTERM to exit when the services
# stop at once. Prints medians of RUNS runs as Markdown for bench/RESULTS.md.
# Needs root (unshare). Usage: MAILINIT=build/mailinit bench/pid1-memory.sh
set -euo pipefail
mailinit=${MAILINIT:-build/mailinit}
runs=${RUNS:-7}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT

# provision = false: only the supervisor, no mail configuration to render.
cat >"$dir/mailinit.conf" <<CONF
supervisor { provision = false }
service one   { command = {"sleep", "1000"} order = 1 }
service two   { command = {"sleep", "1000"} order = 2 }
service three { command = {"sleep", "1000"} order = 3 }
CONF

# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
now_ns() { date +%s%N; }

for _ in $(seq "$runs"); do
	: >"$dir/log"
	unshare --pid --fork --mount-proc --kill-child "$mailinit" --config "$dir/mailinit.conf" \
		2>>"$dir/log" &
	outer=$!
	pid=
	while [ -z "$pid" ]; do pid=$(cat "/proc/$outer/task/$outer/children" 2>/dev/null || true); done
	pid=${pid%% *}
	until [ "$(grep -c 'started with pid' "$dir/log")" -eq 3 ]; do
		kill -0 "$outer" 2>/dev/null || { echo "pid1-memory: mailinit exited:" >&2; cat "$dir/log" >&2; exit 1; }
		sleep 0.01
	done
	sleep 0.2
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" >>"$dir/rss"
	awk '/^RssAnon/ { print $2 }' "/proc/$pid/status" >>"$dir/anon"
	for _ in $(seq 100); do kill -HUP "$pid"; sleep 0.002; done
	sleep 0.2
	awk '/^VmRSS/ { print $2 }' "/proc/$pid/status" >>"$dir/rss-reload"
	start=$(now_ns)
	kill -TERM "$pid"
	wait "$outer"
	echo $((($(now_ns) - start) / 1000000)) >>"$dir/stop"
done

echo "| PID 1 resident memory, 3 services (VmRSS) | $(median <"$dir/rss") KiB |"
echo "| ... of which private (RssAnon) | $(median <"$dir/anon") KiB |"
echo "| ... after 100 reloads (SIGHUP) | $(median <"$dir/rss-reload") KiB |"
echo "| SIGTERM to exit, services stopping at once | $(median <"$dir/stop") ms |"
echo
echo "median of $runs runs; $(date -u +%Y-%m-%d); $(nproc) cores; kernel $(uname -r); $("$mailinit" version)"
