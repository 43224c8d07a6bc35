#!/usr/bin/env bash
# The start-up owner check over a Maildir tree of 100,000 files (1,000 mailboxes
# of 100 messages): once when every owner is right (the normal restart), once
# when all are wrong (a restore from backup as root). Medians of RUNS runs.
# Needs root (chown). Usage: bench/owner-walk.sh BUILD_DIR
set -euo pipefail
build=${1:-build}
runs=${RUNS:-5}
tree=$(mktemp -d)
trap 'rm -rf "$tree"' EXIT

python3 - "$tree" <<'PY'
import os, sys
root = os.path.join(sys.argv[1], "vhosts", "example.test")
for box in range(1000):
    for sub in ("cur", "new", "tmp"):
        os.makedirs(os.path.join(root, f"user{box}", sub))
    cur = os.path.join(root, f"user{box}", "cur")
    for n in range(100):
        open(os.path.join(cur, f"{n}.mailinit:2,S"), "w").close()
PY
chown -R 5000:5000 "$tree/vhosts"
# shellcheck source=bench/common.sh
. "$(dirname "$0")/common.sh"
entries=$(find "$tree/vhosts" | wc -l)
for _ in $(seq "$runs"); do
	"$build/owner_walk" "$tree/vhosts" 5000 5000 | awk '{ print $2 }' >>"$tree/correct"
done
for _ in $(seq "$runs"); do
	chown -R 0:0 "$tree/vhosts"
	"$build/owner_walk" "$tree/vhosts" 5000 5000 | awk '{ print $2 }' >>"$tree/wrong"
done
echo "| owner check, $entries entries all correct (every restart) | $(median <"$tree/correct") ms |"
echo "| owner fix, $entries entries all wrong (after a restore as root) | $(median <"$tree/wrong") ms |"
echo
echo "median of $runs runs; $(date -u +%Y-%m-%d); $(nproc) cores; $(df -T "$tree" | awk 'NR == 2 { print $2 }') file system"
