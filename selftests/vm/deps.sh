#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what building and testing ipsecif needs, and fetches the stock
# Debian kernel image whose version is exactly that of the installed
# linux-headers-amd64 (downloaded and extracted into the build tree, never
# installed). Idempotent: a second run only checks.
#
# usage: deps.sh BUILDDIR [debug]
set -euo pipefail

BUILDDIR=$(realpath -m "${1:?usage: deps.sh BUILDDIR [debug]}")
LANE=${2:-stock}

PACKAGES=(build-essential make gcc linux-headers-amd64 libmnl-dev libssl-dev
	  pkg-config qemu-system-x86 busybox-static kmod cpio iproute2 iperf3
	  tcpdump iputils-ping jq mawk rsync sparse xz-utils nftables ethtool
	  clang python3 wireguard-tools gnuplot-nox linux-perf)
[ "$LANE" = debug ] && PACKAGES+=(linux-source-6.1 bc flex bison libelf-dev
				  libssl-dev dwarves)

missing=()
for pkg in "${PACKAGES[@]}"; do
	dpkg-query -W -f='${Status}\n' "$pkg" 2>/dev/null |
		grep -q '^install ok installed$' || missing+=("$pkg")
done
if [ ${#missing[@]} -gt 0 ]; then
	echo "deps: installing ${missing[*]}"
	export DEBIAN_FRONTEND=noninteractive
	apt-get update -qq
	apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# "linux-headers-6.1.0-56-amd64 (= 6.1.192-2)" -> the image of that release.
dep=$(dpkg-query -W -f='${Depends}' linux-headers-amd64)
headers_pkg=${dep%% *}
version=$(sed -n 's/.*(= \(.*\)).*/\1/p' <<<"$dep")
kver=${headers_pkg#linux-headers-}
image_pkg=linux-image-$kver

stock=$BUILDDIR/stock
if [ "$(cat "$stock/version" 2>/dev/null)" != "$kver $version" ]; then
	echo "deps: fetching $image_pkg $version"
	rm -rf "$stock"
	mkdir -p "$BUILDDIR/cache" "$stock"
	(cd "$BUILDDIR/cache" && apt-get download -q "$image_pkg=$version" 2>&1 |
		grep -v '^W: Download is performed unsandboxed' || true)
	deb=$(ls "$BUILDDIR/cache/${image_pkg}_${version//:/%3a}_amd64.deb")
	dpkg-deb -x "$deb" "$stock/root"
	cp "$stock/root/boot/vmlinuz-$kver" "$stock/vmlinuz"
	echo "/usr/src/$headers_pkg" > "$stock/kdir"
	echo "$kver $version" > "$stock/version"
fi
echo "deps: ok (stock kernel $kver, Debian $version)"
