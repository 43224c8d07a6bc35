#!/bin/sh
# setup.sh: what mailinit's make targets need on this machine, installed or named.
#
#   tools/setup.sh engine       print the container engine to use: podman if installed,
#                               else docker if its engine answers, else podman (to install)
#   tools/setup.sh podman-conf  print the podman settings file this machine needs, or nothing
#   tools/setup.sh run          the engine (and on machines like CI's, runc): make run, make image
#   tools/setup.sh base         debootstrap, to build the Debian base image without a registry
#   tools/setup.sh test         everything .ci/run and make test need (Debian, as root)
#
# As root on Debian or Ubuntu (apt-get), a missing package is installed, quietly, with
# the daemons kept from starting. Anywhere else, a missing piece stops it with one line
# naming what to install. When everything is there it prints nothing and takes a few ms.
set -eu
here=$(cd "$(dirname "$0")" && pwd)
conf=$(dirname "$here")/.ci/containers.conf

# The build libraries, the real checkers of rendered configuration (postconf,
# doveconf, opendkim -n), the linters, the fuzzer and the test clients (dig asks the
# tests' own DNS server, which runs in a container: tests/container/dns_server.py).
test_packages="make gcc libc6-dev pkg-config libconfuse-dev libssl-dev libcap-dev libcmocka-dev
python3 python3-pytest python3-yaml util-linux procps openssl iproute2
valgrind cppcheck shellcheck clang-format clang-tidy clang-14 libclang-rt-14-dev
postfix dovecot-core dovecot-imapd dovecot-pop3d dovecot-lmtpd dovecot-sieve
dovecot-managesieved opendkim
podman runc debootstrap python3-dkim python3-authres python3-prometheus-client podman-compose testssl.sh
msmtp isync fetchmail sieve-connect swaks bind9-dnsutils"

die() {
	echo "mailinit setup: $*" >&2
	exit 1
}

can_install() {
	[ "$(id -u)" = 0 ] && command -v apt-get >/dev/null 2>&1 && command -v dpkg-query >/dev/null 2>&1
}

missing_packages() {
	for package in "$@"; do
		dpkg-query -W -f='${Status}\n' "$package" 2>/dev/null | grep -q 'install ok installed' ||
			printf '%s\n' "$package"
	done
}

# install PACKAGE...: the ones not installed yet, or one line saying what is missing.
install() {
	if ! can_install; then
		die "missing: $* (install them as root, e.g. apt-get install $*)"
	fi
	# shellcheck disable=SC2046 # one package a word
	set -- $(missing_packages "$@")
	[ $# -gt 0 ] || return 0
	echo "mailinit setup: installing $*" >&2
	# The mail daemons are installed for their checkers only: keep them from starting.
	policy_made=
	if [ ! -e /usr/sbin/policy-rc.d ]; then
		printf '#!/bin/sh\nexit 101\n' >/usr/sbin/policy-rc.d
		chmod +x /usr/sbin/policy-rc.d
		policy_made=yes
	fi
	export DEBIAN_FRONTEND=noninteractive
	status=0
	{ apt-get update -qq && apt-get install -y -qq --no-install-recommends "$@" >/dev/null; } ||
		status=$?
	[ -z "$policy_made" ] || rm -f /usr/sbin/policy-rc.d
	[ "$status" = 0 ] || die "apt-get could not install: $* (exit $status)"
}

# Hybrid or v1 cgroups (crun fails there, runc works), or hard rlimits below
# podman's defaults (the runtime may not raise them): ../shared/ENVIRONMENT.md.
needs_podman_conf() {
	[ "$(stat -fc %T /sys/fs/cgroup 2>/dev/null)" != cgroup2fs ] && return 0
	hard_nofile=$(awk '/^Max open files/ { print $5 }' /proc/self/limits 2>/dev/null)
	[ "${hard_nofile:-unlimited}" != unlimited ] && [ "$hard_nofile" -lt 1048576 ] && return 0
	return 1
}

engine() {
	if [ -n "${ENGINE:-}" ]; then
		echo "$ENGINE"
	elif command -v podman >/dev/null 2>&1; then
		echo podman
	elif command -v docker >/dev/null 2>&1 && docker info >/dev/null 2>&1; then
		echo docker
	else
		echo podman
	fi
}

setup_run() {
	engine=$(engine)
	case "$(basename "$engine")" in
	podman)
		if ! command -v "$engine" >/dev/null 2>&1; then
			can_install || die "make run needs a container engine: install podman (or Docker, then ENGINE=docker)"
			install podman
		fi
		if needs_podman_conf && ! command -v runc >/dev/null 2>&1; then
			install runc
		fi
		;;
	docker)
		command -v "$engine" >/dev/null 2>&1 || die "ENGINE=$engine: not installed"
		"$engine" info >/dev/null 2>&1 ||
			die "$engine is installed but its engine does not answer ($engine info): start it, or use podman"
		;;
	*)
		command -v "$engine" >/dev/null 2>&1 || die "ENGINE=$engine: not installed"
		;;
	esac
}

case "${1:-}" in
engine) engine ;;
podman-conf) if needs_podman_conf; then echo "$conf"; fi ;;
run) setup_run ;;
base) command -v debootstrap >/dev/null 2>&1 || install debootstrap ;;
test)
	command -v dpkg-query >/dev/null 2>&1 || die "make test needs Debian bookworm (or Ubuntu) with apt"
	# shellcheck disable=SC2086 # one package a word
	missing=$(missing_packages $test_packages)
	# shellcheck disable=SC2086
	[ -z "$missing" ] || install $missing
	# kubectl renders deploy/kubernetes/scale-out (kubectl kustomize) for its offline check:
	# Debian's kubernetes-client, unless a kubectl is here already (its own package).
	command -v kubectl >/dev/null 2>&1 || install kubernetes-client
	;;
*)
	echo "usage: tools/setup.sh engine|podman-conf|run|base|test" >&2
	exit 64
	;;
esac
