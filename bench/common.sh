# shellcheck shell=bash disable=SC2154,SC2034 # $engine and $dir are the caller's, $dns is for it
# What the bench scripts share; sourced, with $engine and $dir set.

median() { sort -n | awk '{ v[NR] = $1 } END { print v[int((NR + 1) / 2)] }'; }
now_ms() { echo $(($(date +%s%N) / 1000000)); }

# start_quiet_dns NAME: NSD with an empty root zone (every name: NXDOMAIN at once, no rate
# limit) in container NAME; sets $dns to its address. A server asks it for every name, as a
# local resolver would answer the blocklists' misses: this machine has no Internet, and its
# resolver's timeouts would measure the network.
start_quiet_dns() {
	"$engine" build --pull=never -q -t mailinit-test-dns "$(dirname "${BASH_SOURCE[0]}")/../tests/container/dns" >/dev/null
	mkdir -p "$dir/dns"
	printf 'server:\n  ip-address: 0.0.0.0\n  username: ""\n  zonesdir: "/zones"\n  database: ""\n  pidfile: ""\n  xfrdfile: ""\n  zonelistfile: ""\n  rrl-ratelimit: 0\nzone:\n  name: .\n  zonefile: root.zone\n' >"$dir/dns/nsd.conf"
	# shellcheck disable=SC2016 # a zone file's $TTL
	printf '$TTL 5\n. IN SOA ns. hostmaster. 1 3600 600 86400 5\n. IN NS ns.\n' >"$dir/dns/root.zone"
	"$engine" run -d --name "$1" -v "$dir/dns:/zones:ro" mailinit-test-dns >/dev/null
	dns=$("$engine" inspect -f '{{.NetworkSettings.IPAddress}}' "$1")
}
