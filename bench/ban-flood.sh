#!/usr/bin/env bash
# PID 1's resident memory while it counts failed logins (issue 17): the real image, then
# COUNT failed-login log lines from COUNT different addresses written to its /dev/log as
# root (through /proc/PID/root: the lines a Dovecot under attack would write), then the
# memory again, and how long PID 1 took to read them. Then BAN_AFTER lines from one
# address, to show the count still works after the flood. Prints Markdown lines.
# Usage: ENGINE=podman IMAGE=mailinit:dev [COUNT=100000] bench/ban-flood.sh
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
count=${COUNT:-100000}
name=mailinit-bench-bans-$$
dir=$(mktemp -d)
trap '"$engine" rm -f -v -t 0 "$name" >/dev/null 2>&1; rm -rf "$dir"' EXIT
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"

"$engine" run -d --name "$name" --hostname mail.example.test -e MAIL_DOMAIN=example.test \
	-e ENABLE_RSPAMD=no "$image" >/dev/null
until "$engine" exec "$name" mailinit health >/dev/null 2>&1; do sleep 0.2; done
pid=$("$engine" inspect -f '{{.State.Pid}}' "$name")
rss() { awk '/^VmRSS/ { print $2 }' "/proc/$pid/status"; }
before=$(rss)
began=$(now_ms)
/usr/bin/python3 - "/proc/$pid/root/dev/log" "$count" <<'PY'
import socket, sys
path, count = sys.argv[1], int(sys.argv[2])
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for i in range(count):
    line = (f"<22>dovecot: imap-login: Disconnected: Connection closed (auth failed, 1 attempts "
            f"in 2 secs): user=<u{i}@example.test>, method=PLAIN, "
            f"rip=10.{i >> 16 & 255}.{i >> 8 & 255}.{i & 255}, lip=10.0.0.2, TLS, session=<x>")
    while True:
        try:
            s.sendto(line.encode(), path)
            break
        except BlockingIOError:
            pass
        except OSError as e:  # the socket's queue is full: PID 1 is reading
            if e.errno != 11:
                raise
PY
# Read all: the last line is in the container's log.
until "$engine" logs "$name" 2>&1 | grep -q "user=<u$((count - 1))@example.test>"; do sleep 0.2; done
took=$(($(now_ms) - began))
after=$(rss)
/usr/bin/python3 - "/proc/$pid/root/dev/log" <<'PY'
import socket, sys
s = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
for _ in range(10):
    s.sendto(b"<22>dovecot: imap-login: Disconnected (auth failed, 1 attempts in 2 secs): "
             b"user=<x>, method=PLAIN, rip=192.0.2.99, lip=10.0.0.2", sys.argv[1])
PY
deadline=$(($(now_ms) + 10000))
until "$engine" logs "$name" 2>&1 | grep -q "ban: 192.0.2.99 banned"; do
	[ "$(now_ms)" -lt "$deadline" ] || { echo "ban-flood: no ban after the flood" >&2; exit 1; }
	sleep 0.2
done
echo "| PID 1 resident memory (VmRSS), serving, before the flood | $before KiB |"
echo "| ... after $count failed-login lines from $count addresses | $after KiB |"
echo "| time for PID 1 to read and count them (sent as fast as it reads) | $took ms |"
echo "| then 10 failures from one address: banned | yes |"
