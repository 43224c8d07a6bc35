#!/bin/sh
# The cost of a password hash: libcrypt's time per yescrypt hash at each cost,
# and Dovecot's time to verify one login at the chosen cost (doveadm pw -t,
# less doveadm's own start measured with a {PLAIN} check). The figures behind
# PASSWORD_COST in src/mail/password.h; a login should cost under ~50 ms.
set -eu
out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
cc -O2 -o "$out/password_cost" "$(dirname "$0")/password_cost.c" -lcrypt
"$out/password_cost" | tee "$out/costs"
hash=$(sed -n 's/^yescrypt cost 4: .* per hash  //p' "$out/costs")
runs=20
elapsed() { # seconds for $runs runs of doveadm pw -t "$1" -p "$2"
	start=$(date +%s.%N)
	i=0
	while [ "$i" -lt "$runs" ]; do
		doveadm pw -t "$1" -p "$2" >/dev/null
		i=$((i + 1))
	done
	awk -v a="$(date +%s.%N)" -v b="$start" 'BEGIN { print a - b }'
}
crypt=$(elapsed "{CRYPT}$hash" bench-password)
plain=$(elapsed "{PLAIN}x" x)
ms=$(awk -v c="$crypt" -v p="$plain" -v n="$runs" 'BEGIN { printf "%.0f", (c - p) * 1000 / n }')
echo "dovecot verifies one {CRYPT} yescrypt cost 4 login in $ms ms (doveadm pw -t, less its start)"
