#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Installs what building and testing ipsecif needs, and fetches the stock
# Debian kernel image whose version is exactly that of the installed
# linux-headers-amd64 (downloaded and extracted into the build tree, never
# installed). Idempotent: a second run only checks.
#
# usage: deps.sh BUILDDIR [stock|debug|6.12]
set -euo pipefail

BUILDDIR=$(realpath -m "${1:?usage: deps.sh BUILDDIR [stock|debug|6.12]}")
LANE=${2:-stock}

PACKAGES=(build-essential make gcc linux-headers-amd64 libmnl-dev libssl-dev
	  pkg-config qemu-system-x86 busybox-static kmod cpio iproute2 iperf3
	  tcpdump iputils-ping jq mawk rsync sparse xz-utils nftables ethtool
	  clang python3 wireguard-tools gnuplot-nox linux-perf
	  strongswan-swanctl charon-systemd)
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

# KERNEL=6.12: Debian's 6.12 LTS kernel for bookworm (the series trixie
# ships, built with bookworm's gcc-12 so that the module builds with the
# compiler installed here; trixie's own needs gcc-14). Headers (arch and
# common), kbuild and the image of the newest release, downloaded and
# extracted into the build tree, never installed: the arch headers'
# Makefile names the common ones by absolute path, rewritten to the copy.
if [ "$LANE" = 6.12 ]; then
	lanedir=$BUILDDIR/6.12
	meta=linux-headers-6.12-amd64
	headers_pkg=$(apt-cache depends "$meta" 2>/dev/null |
		sed -n 's/^ *Depends: \(linux-headers-6\.12\..*-amd64\)$/\1/p' | head -n 1)
	if [ -z "$headers_pkg" ]; then
		apt-get update -qq
		headers_pkg=$(apt-cache depends "$meta" |
			sed -n 's/^ *Depends: \(linux-headers-6\.12\..*-amd64\)$/\1/p' | head -n 1)
	fi
	kver=${headers_pkg#linux-headers-}
	abi=${kver%-amd64}
	version=$(apt-cache policy "$headers_pkg" | sed -n 's/^ *Candidate: //p')
	if [ "$(cat "$lanedir/version" 2>/dev/null)" != "$kver $version" ]; then
		echo "deps: fetching Linux $kver ($version)"
		rm -rf "$lanedir"
		mkdir -p "$BUILDDIR/cache" "$lanedir/root"
		(cd "$BUILDDIR/cache" && apt-get download -q "$headers_pkg=$version" \
			"linux-headers-$abi-common=$version" "linux-kbuild-$abi=$version" \
			"linux-image-$kver-unsigned=$version" 2>&1 |
			grep -v '^W: Download is performed unsandboxed' || true)
		for pkg in "$headers_pkg" "linux-headers-$abi-common" "linux-kbuild-$abi" \
			   "linux-image-$kver-unsigned"; do
			dpkg-deb -x "$(ls "$BUILDDIR/cache/${pkg}_${version//:/%3a}"_*.deb)" \
				"$lanedir/root"
		done
		kdir=$lanedir/root/usr/src/$headers_pkg
		sed -i "s|^include /usr/src/|include $lanedir/root/usr/src/|" "$kdir/Makefile"
		cp "$lanedir/root/boot/vmlinuz-$kver" "$lanedir/vmlinuz"
		echo "$kdir" > "$lanedir/kdir"
		echo "$kver $version" > "$lanedir/version"
	fi
	echo "deps: ok (Linux $kver, Debian $version)"
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
