#!/bin/sh
# base-image.sh: make sure docker.io/library/debian:bookworm-slim is there.
# With a registry, it is pulled. Without one (CI here), the same base is built
# locally with debootstrap from Debian's archive and tagged with the official
# name, stripped as -slim is. Needs root and debootstrap for the fallback.
set -eu
image=docker.io/library/debian:bookworm-slim
engine=${ENGINE:-podman}

if "$engine" image inspect "$image" >/dev/null 2>&1; then
	exit 0
fi
if "$engine" pull -q "$image" >/dev/null 2>&1; then
	exit 0
fi
echo "no registry: building $image with debootstrap" >&2
"$(dirname "$0")/setup.sh" base
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT
debootstrap --variant=minbase bookworm "$root" >/dev/null
rm -rf "$root"/usr/share/doc/* "$root"/usr/share/man/* "$root"/usr/share/locale/* \
	"$root"/var/lib/apt/lists/* "$root"/var/cache/apt/*.bin "$root"/var/cache/apt/archives/*.deb
# As in the published image: apt removes what it downloaded.
printf '%s\n' 'DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
	'APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/*.bin || true"; };' \
	'Dir::Cache::pkgcache ""; Dir::Cache::srcpkgcache "";' >"$root/etc/apt/apt.conf.d/docker-clean"
tar -C "$root" -c . | "$engine" import - "$image" >/dev/null
