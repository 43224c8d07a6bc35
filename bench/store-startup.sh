#!/usr/bin/env bash
# Start-up against the mail stored: median time from `podman run` to SMTP 25, IMAP
# 143 and POP3 110 all greeting, with an empty /var/mail and with one holding
# STORED (200,000) messages (10 mailboxes, one file each, owners right: a
# restart). Then the same store with every owner wrong (restored as root): ready
# time, and how long the owner walk beside the services took (its debug line).
# RUNS runs (default 5). Needs root, podman, the image (make image).
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
runs=${RUNS:-5}
stored=${STORED:-200000}
dir=$(mktemp -d)
name=mailinit-store-$$
trap '$engine rm -f -v -t 0 "$name" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
here=$(dirname "$0")

mkdir -p "$dir/certs" "$dir/config" "$dir/empty" "$dir/full"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mail.example.test \
	-addext subjectAltName=DNS:mail.example.test -keyout "$dir/certs/privkey.pem" \
	-out "$dir/certs/fullchain.pem" -days 30 2>/dev/null
chmod 0644 "$dir/certs/privkey.pem"
hash="{SHA512-CRYPT}$(openssl passwd -6 load-pw)"
for i in $(seq 0 9); do echo "load$i@example.test:$hash"; done >"$dir/config/accounts"

python3 - "$dir/full" "$stored" <<'PY'
import os, sys
root, stored = sys.argv[1], int(sys.argv[2])
body = "From: a@example.net\nTo: load0@example.test\nSubject: stored\n\n" + "x" * 2000 + "\n"
for box in range(10):
    base = os.path.join(root, "vhosts", "example.test", f"load{box}")
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(base, sub))
    for n in range(stored // 10):
        with open(os.path.join(base, "cur", f"{n}.bench.store:2,S"), "w") as f:
            f.write(body)
PY
chown -R 5000:5000 "$dir/full/vhosts"

# shellcheck source=bench/common.sh
. "$here/common.sh"

# ready MAIL_DIR FILE: one start on MAIL_DIR, its ready time appended to FILE.
ready() {
	local start
	start=$(now_ms)
	"$engine" run -d --name "$name" --hostname mail.example.test \
		-v "$dir/certs:/certs:ro" -v "$dir/config:/etc/mailinit" -v "$1:/var/mail" \
		-e MAIL_DOMAIN=example.test -e CERT_PATH=/certs -e ENABLE_RSPAMD=no -e LOG_LEVEL=debug \
		-p 127.0.0.1:12525:25 -p 127.0.0.1:12143:143 -p 127.0.0.1:12110:110 "$image" >/dev/null
	python3 "$here/load.py" greetings 12525 12143 12110
	echo $(($(now_ms) - start)) >>"$2"
	# The walk's own time, once it has ended (the debug line "owners checked in N ms").
	for _ in $(seq 600); do
		"$engine" logs "$name" 2>&1 | sed -n 's/.*owners checked in \([0-9]*\) ms.*/\1/p' |
			grep . >>"$2.walk" && break
		sleep 0.1
	done
	"$engine" rm -f -v -t 10 "$name" >/dev/null
}

ready "$dir/empty" "$dir/first" # the first start makes the DKIM key: not measured
for _ in $(seq "$runs"); do
	ready "$dir/empty" "$dir/ready-empty"
	ready "$dir/full" "$dir/ready-full"
done
for _ in $(seq "$runs"); do
	chown -R 0:0 "$dir/full/vhosts"
	ready "$dir/full" "$dir/ready-wrong"
done
files=$(find "$dir/full/vhosts" -type f | wc -l)
echo "| podman run to SMTP, IMAP and POP3 greeting, empty /var/mail | $(median <"$dir/ready-empty") ms |"
echo "| podman run to SMTP, IMAP and POP3 greeting, $files messages stored | $(median <"$dir/ready-full") ms |"
echo "| podman run to SMTP, IMAP and POP3 greeting, $files messages all owned by root (a restore) | $(median <"$dir/ready-wrong") ms |"
echo "| owner walk beside the services, $files messages, owners right / all wrong | $(median <"$dir/ready-full.walk") ms / $(median <"$dir/ready-wrong.walk") ms |"
echo
echo "median of $runs runs; $(date -u +%Y-%m-%d); $(nproc) cores; $("$engine" --version); page cache warm"
