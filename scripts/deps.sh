#!/bin/sh
# SPDX-License-Identifier: GPL-2.0-only
# Install every Debian package that building, testing and the demo need.
# Idempotent: does nothing when all are present. Also mounts bpffs.
set -eu

PKGS="clang llvm make gcc pkg-config libbpf-dev bpftool libelf-dev zlib1g-dev
linux-libc-dev libmnl-dev libevent-dev libjansson-dev libyaml-dev check
iproute2 ethtool iputils-ping tcpdump bird2 etcd-server etcd-client nginx-light
curl jq python3 libclang-rt-14-dev libssl-dev openssl procps util-linux clang-format shellcheck
libsystemd-dev scdoc debhelper dpkg-dev lintian fakeroot systemd"

missing=""
for p in $PKGS; do
	if ! dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "ok installed"; then
		missing="$missing $p"
	fi
done

if [ -n "$missing" ]; then
	if [ "$(id -u)" != 0 ]; then
		echo "deps.sh: missing packages:$missing (run as root to install)" >&2
		exit 1
	fi
	echo "deps.sh: installing$missing"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	# shellcheck disable=SC2086
	apt-get install -y -qq --no-install-recommends $missing >/dev/null
fi

# promtool (make test checks examples/alerts.yaml): from Debian's prometheus
# package, unpacked rather than installed (its postinst would start a server)
PROMTOOL=/usr/local/lib/shoal-deps/promtool
if [ "$(id -u)" = 0 ] && [ ! -x "$PROMTOOL" ]; then
	tmp=$(mktemp -d)
	if (cd "$tmp" && apt-get download -qq prometheus >/dev/null 2>&1) &&
		dpkg-deb -x "$tmp"/prometheus_*.deb "$tmp/x"; then
		install -D -m 0755 "$tmp/x/usr/bin/promtool" "$PROMTOOL"
	else
		echo "deps.sh: cannot fetch Debian's prometheus package for promtool" >&2
	fi
	rm -rf "$tmp"
fi

# nginx and bird packages may try to start services; nothing runs without
# systemd here, and tests start their own instances.
if [ "$(id -u)" = 0 ] && ! mountpoint -q /sys/fs/bpf; then
	mount -t bpf bpf /sys/fs/bpf
fi
exit 0
