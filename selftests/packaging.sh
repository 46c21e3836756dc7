#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packaging, on the build machine itself (not in the VM; "make
# check-packaging"): installs what it needs with apt-get, builds the .debs
# with "make deb", installs ipsecif-dkms and ipsecif-tools, checks that DKMS
# built and installed the module for the kernel of the installed
# linux-headers-<arch> (whatever kernel is running), that ipsecctl, ip's
# plugin, the man pages and the bash completion are in place; purges both
# and checks that nothing of them is left; then the same for "make
# dkms-install" and "make dkms-uninstall".
#
# It changes the machine: root, a Debian (bookworm) host with apt-get, on
# which the ipsecif packages and DKMS module are its own to install and
# remove (any left from an earlier run are purged first). In the VM, which
# has no apt-get, it skips.
#
# usage: packaging.sh [BUILDDIR]     (default: the tree's build/)
source "$(dirname "$0")/lib.sh"

TOP=$(cd "$(dirname "$0")/.." && pwd)
BUILDDIR=$(realpath -m "${1:-$TOP/build}")
VERSION=$(cat "$TOP/VERSION")
PKGS=(ipsecif-dkms ipsecif-tools)

if ! command -v apt-get >/dev/null || ! command -v dpkg-query >/dev/null ||
   [ "$(id -u)" != 0 ]; then
	echo "KTAP version 1"
	echo "1..0 # SKIP needs root on a Debian host with apt-get (make check-packaging)"
	exit 0
fi

# Notes on fd 3 reach the KTAP output whatever the test's result (ktap_run
# keeps a test's stdout and stderr for when it fails).
exec 3>&1
note() { echo "# $*" >&3; }

# What the tests hand on to each other (each runs in a subshell).
STATE=$(mktemp -d)
HEADERS_META=linux-headers-$(dpkg --print-architecture)
MULTIARCH=$(dpkg-architecture -qDEB_HOST_MULTIARCH 2>/dev/null || gcc -print-multiarch)
DEPS=(build-essential dpkg-dev debhelper dh-dkms dkms fakeroot libmnl-dev
      pkg-config kmod iproute2 make "$HEADERS_META")

installed() {
	dpkg-query -W -f='${Status}\n' "$1" 2>/dev/null | grep -q '^install ok installed$'
}

# Whatever an earlier, interrupted run or "make dkms-install" left.
purge_ipsecif() {
	local pkg present=()
	for pkg in "${PKGS[@]}"; do
		dpkg-query -W "$pkg" >/dev/null 2>&1 && present+=("$pkg")
	done
	if [ ${#present[@]} -gt 0 ]; then
		DEBIAN_FRONTEND=noninteractive apt-get purge -y -qq "${present[@]}" >/dev/null 2>&1 || true
	fi
	if command -v dkms >/dev/null && [ -n "$(dkms status ipsecif 2>/dev/null)" ]; then
		dkms remove "ipsecif/$VERSION" --all >/dev/null 2>&1 || true
	fi
	rm -rf "/usr/src/ipsecif-$VERSION" "/var/lib/dkms/ipsecif"
}

cleanup() {
	purge_ipsecif
	rm -rf "$STATE"
}
trap cleanup EXIT

# The kernel of the installed headers: linux-headers-amd64 depends on
# "linux-headers-6.1.0-56-amd64 (= 6.1.192-2)".
headers_kver() {
	local dep
	dep=$(dpkg-query -W -f='${Depends}' "$HEADERS_META")
	dep=${dep%% *}
	echo "${dep#linux-headers-}"
}

# The installed module file of ipsecif for kernel $1 (compressed or not).
module_files() {
	find "/lib/modules/$1" -path '*/updates/*' -name 'ipsecif.ko*' 2>/dev/null || true
}

# expect_module_installed KVER: DKMS says installed, and the module is in
# updates/dkms/, found by modinfo through depmod, of name ipsecif and built
# for KVER.
expect_module_installed() {
	local kver=$1 status files file vermagic

	status=$(dkms status "ipsecif/$VERSION" -k "$kver")
	grep -q ": installed" <<<"$status" || fail "dkms status for $kver: '$status'"
	files=$(module_files "$kver")
	if [ -z "$files" ] || [ "$(wc -l <<<"$files")" != 1 ]; then
		fail "ipsecif.ko under /lib/modules/$kver/*/updates: '$files'"
	fi
	file=$files
	[[ $file == /lib/modules/$kver/updates/dkms/ipsecif.ko* ]] ||
		fail "module at $file, not in updates/dkms"
	expect_eq "modinfo name" ipsecif "$(modinfo -F name "$file")"
	read -r vermagic < <(modinfo -F vermagic "$file")
	[[ $vermagic == "$kver "* ]] || fail "vermagic '$vermagic' is not of $kver"
	expect_eq "module depmod finds for $kver" "$file" \
		"$(modinfo -k "$kver" -F filename ipsecif)"
	note "$file: vermagic $vermagic"
}

expect_no_module() {
	local left
	left=$(find /lib/modules/*/updates -name 'ipsecif.ko*' 2>/dev/null) || true
	[ -z "$left" ] || fail "modules left: $left"
	[ -z "$(dkms status ipsecif)" ] || fail "dkms status: $(dkms status ipsecif)"
	[ ! -e /var/lib/dkms/ipsecif ] || fail "/var/lib/dkms/ipsecif left"
	left=$(compgen -G "/usr/src/ipsecif-*") || true
	[ -z "$left" ] || fail "left in /usr/src: $left"
	! modinfo -k "$(cat "$STATE/kver")" ipsecif >/dev/null 2>&1 ||
		fail "modinfo still finds ipsecif for $(cat "$STATE/kver")"
}

test_deps() {
	local missing=() pkg kver
	for pkg in "${DEPS[@]}"; do
		installed "$pkg" || missing+=("$pkg")
	done
	if [ ${#missing[@]} -gt 0 ]; then
		note "apt-get install ${missing[*]}"
		export DEBIAN_FRONTEND=noninteractive
		apt-get update -qq
		apt-get install -y -qq --no-install-recommends "${missing[@]}"
	fi
	for pkg in "${DEPS[@]}"; do
		installed "$pkg" || fail "$pkg not installed"
	done
	purge_ipsecif
	kver=$(headers_kver)
	[ -e "/lib/modules/$kver/build/include" ] || fail "no headers for $kver"
	echo "$kver" >"$STATE/kver"
	note "headers: $kver; running kernel: $(uname -r)"
}

test_make_deb() {
	local dkms_deb tools_deb contents conf page
	make -C "$TOP" deb BUILDDIR="$BUILDDIR"
	dkms_deb=$(compgen -G "$BUILDDIR/deb/ipsecif-dkms_${VERSION}_all.deb") ||
		fail "no ipsecif-dkms_${VERSION}_all.deb in $BUILDDIR/deb"
	tools_deb=$(compgen -G "$BUILDDIR/deb/ipsecif-tools_${VERSION}_*.deb") ||
		fail "no ipsecif-tools_${VERSION}_*.deb in $BUILDDIR/deb"
	echo "$dkms_deb" >"$STATE/dkms_deb"
	echo "$tools_deb" >"$STATE/tools_deb"

	# The module's source and dkms.conf, with the version, and nothing built.
	contents=$(dpkg-deb -c "$dkms_deb" | awk '{ print $6 }')
	for f in dkms.conf VERSION Kbuild net/ipsecif/Kbuild net/ipsecif/main.c \
		 net/ipsecif/ipsecif.h include/uapi/linux/ipsecif.h; do
		grep -qx "./usr/src/ipsecif-$VERSION/$f" <<<"$contents" ||
			fail "ipsecif-dkms lacks /usr/src/ipsecif-$VERSION/$f"
	done
	! grep -E '\.(o|ko|mod|mod\.c|cmd)$' <<<"$contents" ||
		fail "ipsecif-dkms holds build products"
	conf=$(dpkg-deb --fsys-tarfile "$dkms_deb" |
		tar -xOf - "./usr/src/ipsecif-$VERSION/dkms.conf")
	grep -qx "PACKAGE_VERSION=\"$VERSION\"" <<<"$conf" ||
		fail "dkms.conf: $(grep PACKAGE_VERSION <<<"$conf")"
	dpkg-deb -f "$dkms_deb" Depends | grep -qw dkms || fail "ipsecif-dkms does not depend on dkms"

	contents=$(dpkg-deb -c "$tools_deb" | awk '{ print $6 }')
	for f in usr/sbin/ipsecctl "usr/lib/$MULTIARCH/ip/link_ipsecif.so" \
		 usr/share/man/man8/ipsecctl.8.gz \
		 usr/share/bash-completion/completions/ipsecctl; do
		grep -qx "./$f" <<<"$contents" || fail "ipsecif-tools lacks /$f"
	done
	for page in "$TOP"/Documentation/*.5; do
		[ -e "$page" ] || continue
		grep -qx "./usr/share/man/man5/${page##*/}.gz" <<<"$contents" ||
			fail "ipsecif-tools lacks ${page##*/}"
	done
	dpkg-deb -f "$tools_deb" Depends | grep -qw libmnl0 ||
		fail "ipsecif-tools does not depend on libmnl0"
	note "$(basename "$dkms_deb") $(basename "$tools_deb")"
}

test_install() {
	local out
	out=$(DEBIAN_FRONTEND=noninteractive apt-get install -y --no-install-recommends \
		"$(cat "$STATE/dkms_deb")" "$(cat "$STATE/tools_deb")" 2>&1) ||
		fail "apt-get install: $out"
	echo "$out"
	for pkg in "${PKGS[@]}"; do
		installed "$pkg" || fail "$pkg not installed"
	done
	# The postinst's (/usr/lib/dkms/common.postinst) choice of kernels.
	note "postinst: $(grep -m1 '^Building for' <<<"$out")"
	# Every file, for the purge test.
	dpkg -L "${PKGS[@]}" | while read -r f; do
		if [ -L "$f" ] || [ ! -d "$f" ]; then echo "$f"; fi
	done >"$STATE/files"
	[ -s "$STATE/files" ] || fail "dpkg -L listed no files"
}

# DKMS's postinst builds for the running kernel and the newest installed
# image if the running kernel has a /lib/modules directory; else (a
# container or chroot, as here when the host kernel differs) for every
# kernel in /lib/modules. When the headers' kernel is neither, it was left
# out: build for it as DKMS's kernel hook would ("dkms install -k").
test_dkms_built() {
	local kver status
	kver=$(cat "$STATE/kver")
	status=$(dkms status "ipsecif/$VERSION" -k "$kver")
	if grep -q ": installed" <<<"$status"; then
		note "the postinst built and installed ipsecif for $kver"
	else
		note "the postinst did not build for $kver (running $(uname -r)): dkms install -k $kver"
		dkms install "ipsecif/$VERSION" -k "$kver"
	fi
	expect_module_installed "$kver"
}

test_tools() {
	local out plugin
	expect_eq "ipsecctl on PATH" /usr/sbin/ipsecctl "$(command -v ipsecctl)"
	out=$(ipsecctl -V)
	[[ $out == "ipsecctl "[0-9]* ]] || fail "ipsecctl -V: '$out'"
	[ "$out" = "ipsecctl $VERSION" ] ||
		note "ipsecctl -V says '$out', VERSION $VERSION (tools/ipsecctl/ipsecctl.h)"
	out=$(ipsecctl help 2>&1) || true
	grep -qF "Usage: ipsecctl" <<<"$out" || fail "ipsecctl help: $out"

	plugin=/usr/lib/$MULTIARCH/ip/link_ipsecif.so
	[ -f "$plugin" ] || fail "no $plugin"
	out=$(env -u IP_LIB_DIR ip link help ipsecif 2>&1) || fail "ip link help ipsecif: $out"
	grep -qF "Usage: ip link add NAME type ipsecif" <<<"$out" ||
		fail "ip link help ipsecif: $out"
}

test_docs() {
	local pages=(/usr/share/man/man8/ipsecctl.8.gz) page comp out
	for page in "$TOP"/Documentation/*.5; do
		[ ! -e "$page" ] || pages+=("/usr/share/man/man5/${page##*/}.gz")
	done
	for page in "${pages[@]}"; do
		[ -f "$page" ] || fail "no $page"
		zcat "$page" | grep -q '^\.TH' || fail "$page is no man page"
	done
	if command -v man >/dev/null; then
		expect_eq "man -w ipsecctl" /usr/share/man/man8/ipsecctl.8.gz "$(man -w ipsecctl)"
	fi
	[ -f /usr/share/doc/ipsecif-tools/copyright ] || fail "no copyright file"

	comp=/usr/share/bash-completion/completions/ipsecctl
	[ -f "$comp" ] || fail "no $comp"
	# shellcheck disable=SC2016 # for the inner shell
	out=$(bash -c 'source "$1"; complete -p ipsecctl
		COMP_WORDS=(ipsecctl sa "") COMP_CWORD=2
		_ipsecctl ipsecctl "" sa; echo "${COMPREPLY[*]}"' _ "$comp")
	grep -qF -- "-F _ipsecctl ipsecctl" <<<"$out" || fail "completion: $out"
	grep -qx "add update del flush show help" <<<"$out" || fail "completion: $out"
}

test_purge() {
	local left=() f pkg
	DEBIAN_FRONTEND=noninteractive apt-get purge -y "${PKGS[@]}"
	for pkg in "${PKGS[@]}"; do
		! dpkg-query -W "$pkg" >/dev/null 2>&1 || fail "$pkg still known to dpkg"
	done
	while read -r f; do
		if [ -e "$f" ] || [ -L "$f" ]; then left+=("$f"); fi
	done <"$STATE/files"
	[ ${#left[@]} -eq 0 ] || fail "left: ${left[*]}"
	note "$(wc -l <"$STATE/files") files installed, none left"
	expect_no_module
}

test_make_dkms_install() {
	local kver
	kver=$(cat "$STATE/kver")
	make -C "$TOP" dkms-install KDIR="/lib/modules/$kver/build"
	grep -qx "PACKAGE_VERSION=\"$VERSION\"" "/usr/src/ipsecif-$VERSION/dkms.conf" ||
		fail "/usr/src/ipsecif-$VERSION/dkms.conf: $(grep PACKAGE_VERSION "/usr/src/ipsecif-$VERSION/dkms.conf")"
	expect_module_installed "$kver"
}

test_make_dkms_uninstall() {
	make -C "$TOP" dkms-uninstall
	expect_no_module
}

ktap_run \
	"dependencies installed with apt-get" test_deps \
	"make deb builds ipsecif-dkms and ipsecif-tools" test_make_deb \
	"apt-get installs both packages" test_install \
	"DKMS built and installed the module for the headers' kernel" test_dkms_built \
	"ipsecctl runs, ip link help ipsecif finds the plugin" test_tools \
	"man pages, copyright and bash completion installed" test_docs \
	"apt-get purge removes every file, DKMS module and source" test_purge \
	"make dkms-install builds and installs the module" test_make_dkms_install \
	"make dkms-uninstall removes it and its source" test_make_dkms_uninstall
