#!/usr/bin/env bash
# texthash: against postmap'd hash: for the account maps. For N accounts:
# the cost of building the hash map (postmap, paid at every start and change)
# and the cost of one lookup in a new process (what each smtpd/cleanup pays
# once when it opens the map). Medians of RUNS runs. Needs postfix installed.
set -euo pipefail
runs=${RUNS:-5}
dir=$(mktemp -d)
trap 'rm -rf "$dir"' EXIT
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
ms() { local s e; s=$(date +%s%N); "$@" >/dev/null; e=$(date +%s%N); echo $(((e - s) / 1000000)); }

for n in 1000 10000 100000; do
	seq "$n" | awk '{ printf "user%d@example.test example.test/user%d/\n", $1, $1 }' >"$dir/vmailbox"
	touch -d '-1 minute' "$dir/vmailbox"
	: >"$dir/build"
	: >"$dir/hash"
	: >"$dir/text"
	for _ in $(seq "$runs"); do
		rm -f "$dir/vmailbox.db"
		ms postmap "hash:$dir/vmailbox" >>"$dir/build"
		ms postmap -q "user$n@example.test" "hash:$dir/vmailbox" >>"$dir/hash"
		ms postmap -q "user$n@example.test" "texthash:$dir/vmailbox" >>"$dir/text"
	done
	echo "| $n accounts | postmap build $(median <"$dir/build") ms | hash: open+lookup $(median <"$dir/hash") ms | texthash: open+lookup $(median <"$dir/text") ms |"
done
echo
echo "median of $runs runs; $(date -u +%Y-%m-%d); $(nproc) cores; postfix $(postconf -dh mail_version)"
