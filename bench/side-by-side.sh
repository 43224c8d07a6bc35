#!/usr/bin/env bash
# mailinit against the plain Postfix+Dovecot reference image (BASELINE_DIR, default
# ../shared/bench-baseline; built here when missing), side by side in one run on one
# machine. For each server: COUNT (2000) messages of 5 KB sent by Postfix's smtp-source
# inside the container (no network, no Python in the path), accepted/s (the sending's own
# time) and delivered/s (until every one is a file in the Maildir, counted inside the
# container). Sent to the container's own address, so the client is not in a trusted network:
# what an MX receives from the Internet (after one message that passes postscreen's
# greeting test, as a known peer has):
#   run 1 into one empty mailbox over 10 sessions; run 2 into the same mailbox;
#   run 3 into that mailbox once it holds STORED (20,000) more messages seen by IMAP;
#   10 mailboxes, one session each;
# and one run into one mailbox from 127.0.0.1, a trusted client: mailinit's signing path
# (its mail passes OpenDKIM too).
# Then IMAPS: bench/load.py imap, 10 clients x ROUNDS (20) logins with select and fetch.
# Servers: the baseline; mailinit defaults (rspamd and the DKIM milter); mailinit with
# ENABLE_RSPAMD=no (DKIM milter only); mailinit with no milter (rspamd and DKIM off).
# Every server asks the same empty NSD for every name (bench/common.sh). Needs root,
# podman, the image (make image).
set -euo pipefail
engine=${ENGINE:-podman}
image=${IMAGE:-mailinit:dev}
here=$(cd "$(dirname "$0")" && pwd)
baseline_dir=${BASELINE_DIR:-$here/../../shared/bench-baseline}
baseline=localhost/mail-baseline
count=${COUNT:-2000}
stored=${STORED:-20000}
rounds=${ROUNDS:-20}
dir=$(mktemp -d)
name=mailinit-side-$$
cache=mailinit-side-cache-$$
trap '$engine rm -f -v -t 0 "$name" "$name-dns" >/dev/null 2>&1 || true; $engine volume rm -f \
	"$cache" >/dev/null 2>&1 || true; rm -rf "$dir"' EXIT
# shellcheck source=bench/common.sh
. "$here/common.sh"

if ! "$engine" image exists "$baseline"; then
	"$engine" build --pull=never -q -t "$baseline" "$baseline_dir" >/dev/null
fi
start_quiet_dns "$name-dns"
mkdir -p "$dir/certs"
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -subj /CN=mail.example.test \
	-addext subjectAltName=DNS:mail.example.test -keyout "$dir/certs/privkey.pem" \
	-out "$dir/certs/fullchain.pem" -days 30 2>/dev/null
chmod 0644 "$dir/certs/privkey.pem"
boxes=(box0 box1 box2 box3 box4 box5 box6 box7 box8 box9)

# The baseline has one account, user@; the ten boxes are added the way its entrypoint adds it.
start_baseline() {
	"$engine" run -d --name "$name" --hostname mail.example.test -e MAIL_HOSTNAME=mail.example.test \
		-e MAIL_DOMAIN=example.test --dns "$dns" -v "$dir/certs:/etc/ssl/mail:ro" \
		-p 127.0.0.1:16993:993 -p 127.0.0.1:16025:25 -p 127.0.0.1:16143:143 \
		-p 127.0.0.1:16110:110 "$baseline" >/dev/null
	python3 "$here/load.py" greetings 16025 16143 16110
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$engine" exec "$name" bash -c 'for b in '"${boxes[*]}"'; do
		echo "$b@example.test example.test/$b/" >>/etc/postfix/vmailbox
		echo "$b@example.test:{PLAIN}password" >>/etc/dovecot/users; done
		postmap /etc/postfix/vmailbox && postfix reload >/dev/null 2>&1'
	maildir=/var/mail/vhosts/example.test/%s/Maildir
}

start_mailinit() { # extra -e settings
	rm -rf "$dir/config" && mkdir -p "$dir/config"
	hash="{SHA512-CRYPT}$(openssl passwd -6 password)"
	for b in user "${boxes[@]}"; do echo "$b@example.test:$hash"; done >"$dir/config/accounts"
	local settings=()
	for s in "$@"; do settings+=(-e "$s"); done
	"$engine" run -d --name "$name" --hostname mail.example.test -e MAIL_DOMAIN=example.test \
		-e CERT_PATH=/certs -e GREYLISTING=no "${settings[@]}" --dns "$dns" \
		-v "$dir/certs:/certs:ro" -v "$dir/config:/etc/mailinit" -v "$cache:/var/lib/rspamd" \
		-p 127.0.0.1:16993:993 -p 127.0.0.1:16025:25 -p 127.0.0.1:16143:143 \
		-p 127.0.0.1:16110:110 "$image" >/dev/null 2>&1 # podman's systemd timer warnings
	until "$engine" exec "$name" mailinit health >/dev/null 2>&1; do sleep 0.2; done
	maildir=/var/mail/vhosts/example.test/%s
}

# deliver FROM RECIPIENT...: COUNT messages split evenly over the recipients, 10 sessions in
# all, to the container's own address (FROM outside) or to 127.0.0.1 (FROM trusted); prints
# "accepted/s delivered/s".
deliver() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$engine" exec "$name" sh -c '
		n=$1 fmt=$2 to=127.0.0.1; shift 2
		[ "$1" = outside ] && to=$(hostname -i | cut -d" " -f1); shift; k=$#
		total() { t=0; for b in "$@"; do
			c=$(find "$(printf "$fmt" "$b")/new" -maxdepth 1 -type f 2>/dev/null | wc -l)
			t=$((t + c)); done; echo $t; }
		want=$(($(total "$@") + n))
		s=$(date +%s%N)
		for b in "$@"; do
			smtp-source -s $((10 / k)) -m $((n / k)) -l 5120 -f bench@example.net \
				-t "$b@example.test" "$to:25" & done
		wait
		a=$(date +%s%N)
		tries=0
		while [ "$(total "$@")" -lt "$want" ]; do
			tries=$((tries + 1)); [ $tries -lt 12000 ] || { echo "not delivered" >&2; exit 1; }
			sleep 0.05; done
		d=$(date +%s%N)
		echo "$((n * 1000000000 / (a - s))) $((n * 1000000000 / (d - s)))"' \
		sh "$count" "$maildir" "$@"
}

# fill_mailbox LOCAL: STORED small messages into its cur/, vmail's, then one IMAP select so
# the server has indexed them, as a mailbox its owner reads.
fill_mailbox() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$engine" exec "$name" sh -c '
		cur=$(printf "$2" "$3")/cur; mkdir -p "$cur"; cd "$cur"
		awk -v n="$1" "BEGIN { for (i = 0; i < n; i++)
			printf \"From: a@example.net\\nSubject: stored %d\\n\\nstored\\n\", i }" |
			split -l 4 -d -a 6 - stored.
		chown -R 5000:5000 "$(printf "$2" "$3")"' sh "$stored" "$maildir" "$1"
	python3 - <<'PY'
import imaplib, ssl
c = imaplib.IMAP4_SSL("127.0.0.1", 16993, ssl_context=ssl._create_unverified_context())
c.login("user@example.test", "password")
c.select("INBOX")
c.logout()
PY
}

ratio() { awk -v a="$1" -v b="$2" 'BEGIN { printf "%.2f", a / b }'; }

# The first message from a new client address waits out postscreen's greeting test (6 s).
warm_up() {
	# shellcheck disable=SC2016 # expanded by the container's shell
	"$engine" exec "$name" sh -c 'smtp-source -m 1 -f bench@example.net -t box9@example.test \
		"$(hostname -i | cut -d" " -f1):25"'
}

measure() { # label; the server is running
	local r1 r2 r3 r10 rt imap
	warm_up
	r1=$(deliver outside user)
	r2=$(deliver outside user)
	fill_mailbox user
	r3=$(deliver outside user)
	r10=$(deliver outside "${boxes[@]}")
	rt=$(deliver trusted box0)
	imap=$(python3 "$here/load.py" imap 16993 10 "$rounds" password "${boxes[@]/%/@example.test}" |
		sed -n 's/.* \([0-9]*\) logins\/s.*/\1/p')
	echo "$1|${r1% *}|${r1#* }|${r2#* }|${r3#* }|${r10#* }|${rt#* }|$imap" >>"$dir/results"
	"$engine" rm -f -v -t 10 "$name" >/dev/null
}

start_baseline
measure "baseline (Postfix + Dovecot, no milter)"
start_mailinit
measure "mailinit defaults (rspamd + DKIM milters)"
start_mailinit ENABLE_RSPAMD=no
measure "mailinit, ENABLE_RSPAMD=no (DKIM milter)"
start_mailinit ENABLE_RSPAMD=no ENABLE_DKIM=no
measure "mailinit, no milter"

echo "| server | accepted msg/s | delivered msg/s, 1 mailbox: run 1 / run 2 / with $stored stored | 10 mailboxes | 1 mailbox from a trusted client | IMAPS logins/s |"
echo "|---|---|---|---|---|---|"
IFS='|' read -r _ b_acc b_r1 b_r2 b_r3 b_r10 b_rt b_imap <"$dir/results"
while IFS='|' read -r label acc r1 r2 r3 r10 rt imap; do
	echo "| $label | $acc ($(ratio "$acc" "$b_acc")x) | $r1 / $r2 / $r3 ($(ratio "$r1" "$b_r1")x / $(ratio "$r2" "$b_r2")x / $(ratio "$r3" "$b_r3")x) | $r10 ($(ratio "$r10" "$b_r10")x) | $rt ($(ratio "$rt" "$b_rt")x) | $imap ($(ratio "$imap" "$b_imap")x) |"
done <"$dir/results"
echo
echo "$count messages of 5 KB per run; ratios against the baseline in the same run; $(date -u +%F); $(nproc) cores; $("$engine" --version); image $image"
