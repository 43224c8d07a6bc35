#!/usr/bin/env bash
# Throughput end to end, from outside: COUNT (10000) messages over SESSIONS (20) concurrent
# SMTP sessions to port 25 for MAILBOXES (10) accounts, until every accepted one is in a
# Maildir (zero loss checked by Message-ID); then CLIENTS (50) concurrent IMAPS clients logging
# in, selecting and fetching, ROUNDS (10) times each. DOVECOT_CONF: a file mounted as
# /etc/mailinit/dovecot.conf (included last), to measure a Dovecot setting (bench/tuning/).
# The delivery path without the filter (ENABLE_RSPAMD=no): rspamd's cost is bench/rspamd.sh's,
# which gives it a DNS server; here its lookups would wait out this machine's resolver.
# Needs root, podman, the image (make image).
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
count=${COUNT:-10000}
sessions=${SESSIONS:-20}
mailboxes=${MAILBOXES:-10}
clients=${CLIENTS:-50}
rounds=${ROUNDS:-10}
dir=$(mktemp -d)
name=mailinit-bench-load-$$
trap '$engine rm -f -v -t 0 "$name" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT

mkdir -p "$dir/config" "$dir/mail" "$dir/queue"
hash="{SHA512-CRYPT}$(openssl passwd -6 load-pw)"
for i in $(seq 0 9); do echo "load$i@example.test:$hash"; done >"$dir/config/accounts"
if [ -n "${DOVECOT_CONF:-}" ]; then cp "$DOVECOT_CONF" "$dir/config/dovecot.conf"; fi
"$engine" run -d --name "$name" --hostname mail.example.test \
	-v "$dir/config:/etc/mailinit" -v "$dir/mail:/var/mail" -v "$dir/queue:/var/spool/postfix" \
	-e MAIL_DOMAIN=example.test -e ENABLE_RSPAMD=no -p 127.0.0.1:14025:25 -p 127.0.0.1:14993:993 \
	"$image" >/dev/null
until "$engine" exec "$name" mailinit health >/dev/null 2>&1; do sleep 0.2; done

echo "load: $(date -u +%F), $(nproc) cores, $("$engine" --version), image $image"
python3 "$(dirname "$0")/load.py" smtp 14025 "$dir/mail" "$count" "$sessions" "$mailboxes"
if [ "$clients" -gt 0 ]; then # CLIENTS=0: the SMTP part only
	python3 "$(dirname "$0")/load.py" imap 14993 "$clients" "$rounds"
fi
