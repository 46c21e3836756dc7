#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Builds the test VM's initramfs: busybox for the basics, real bash, iproute2,
# ping, iperf3, tcpdump, jq, nft, ethtool and kmod with their libraries, the
# kernel modules the tests need (stock lane; the debug kernel has them built
# in), our module and ipsecctl, and the selftests. modprobe is kmod's, so that
# the kernel's own module requests (rtnl-link-ipsecif, crypto templates) are
# served.
#
# usage: mkinitramfs.sh OUT.cpio.gz KVER MODROOT EXTRA_KO... -- TOOLS...
#   MODROOT: tree holding lib/modules/KVER of the kernel (empty for built-in)
set -euo pipefail

out=$1 kver=$2 modroot=$3
shift 3
extra_ko=()
while [ $# -gt 0 ] && [ "$1" != -- ]; do extra_ko+=("$1"); shift; done
shift
tools=("$@")

top=$(cd "$(dirname "$0")/../.." && pwd)
root=$(mktemp -d)
trap 'rm -rf "$root"' EXIT

mkdir -p "$root"/{usr/bin,usr/sbin,usr/lib,usr/lib64,proc,sys,dev,tmp,run,etc,root,mnt,var/run/netns}
ln -s usr/bin "$root/bin"
ln -s usr/sbin "$root/sbin"
ln -s usr/lib "$root/lib"
ln -s usr/lib64 "$root/lib64"

# Copies a file to the same path inside the initramfs.
copy() {
	local src
	src=$(realpath "$1")
	mkdir -p "$root$(dirname "$1")"
	[ -e "$root$1" ] || cp -a "$src" "$root$1"
}

copy_binary() {
	local bin=$1 lib
	copy "$bin"
	for lib in $(ldd "$bin" 2>/dev/null | grep -o '/[^ ]*'); do
		copy "$lib"
	done
}

# awk: mawk, as on the host; busybox awk has no math (rand, ^).
for bin in bash awk ip genl ss tc ping iperf3 tcpdump jq nft ethtool kmod timeout \
	nsenter unshare nstat wg; do
	copy_binary "$(command -v "$bin" || echo "/usr/sbin/$bin")"
done
for tool in "${tools[@]}"; do
	install -m 0755 "$tool" "$root/usr/sbin/$(basename "$tool")"
	copy_binary "$tool" >/dev/null
	rm -f "$root$(realpath "$tool")"
done
# strongSwan (strongswan.sh): charon, swanctl and the plugins an IKEv2
# PSK exchange with AES-GCM needs; the libraries come with them (RUNPATH
# /usr/lib/ipsec). The test writes its own configuration.
if [ -x /usr/sbin/charon-systemd ]; then
	copy_binary /usr/sbin/charon-systemd
	copy_binary /usr/sbin/swanctl
	for plugin in random nonce aes sha1 sha2 hmac kdf gmp kernel-netlink \
		      socket-default vici; do
		copy_binary "/usr/lib/ipsec/plugins/libstrongswan-$plugin.so"
	done
	# glibc loads it for pthread_cancel(), which ldd cannot see
	copy "$(realpath "$(gcc -print-file-name=libgcc_s.so.1)")"
fi

# ip's ipsecif plugin, where the distribution's ip looks for it
plugin=$top/tools/iproute2/link_ipsecif.so
if [ -e "$plugin" ]; then
	libdir=/usr/lib/$(gcc -print-multiarch)/ip
	mkdir -p "$root$libdir"
	install -m 0644 "$plugin" "$root$libdir/"
fi
for name in modprobe insmod rmmod lsmod depmod modinfo; do
	ln -sf ../bin/kmod "$root/usr/sbin/$name"
done

# busybox fills in every other command, never shadowing a real one.
cp /bin/busybox "$root/usr/bin/busybox"
for applet in $(/bin/busybox --list); do
	[ -e "$root/usr/bin/$applet" ] || [ -e "$root/usr/sbin/$applet" ] ||
		ln -s busybox "$root/usr/bin/$applet"
done

# Kernel modules: what the tests name, with dependencies, and the whole
# crypto trees (ESP's algorithms, drbg and its self-tests' dependencies).
moddir=lib/modules/$kver
mkdir -p "$root/$moddir"
if [ -n "$modroot" ]; then
	[ -e "$modroot/$moddir/modules.dep" ] || depmod -b "$modroot" "$kver"
	cp "$modroot/$moddir"/modules.{order,builtin,builtin.modinfo} "$root/$moddir/"
	wanted=(veth dummy esp4 esp6 xfrm_user xfrm_interface ip_vti ip6_vti
		ipip ip6_tunnel wireguard af_packet nf_tables nft_nat nft_masq
		nft_chain_nat nf_conntrack nf_defrag_ipv4 nf_defrag_ipv6
		udp_tunnel ip6_udp_tunnel jitterentropy_rng drbg)
	{
		for mod in "${wanted[@]}"; do
			modprobe -d "$modroot" -S "$kver" --show-depends "$mod"
		done
	} | awk '$1 == "insmod" { print $2 }' | sort -u | while read -r ko; do
		rel=${ko#"$modroot"/}
		mkdir -p "$root/$(dirname "$rel")"
		cp "$ko" "$root/$rel"
	done
	for tree in kernel/crypto kernel/arch/x86/crypto kernel/lib/crypto; do
		[ -d "$modroot/$moddir/$tree" ] || continue
		mkdir -p "$root/$moddir/$tree"
		cp -r "$modroot/$moddir/$tree/." "$root/$moddir/$tree/"
	done
fi
mkdir -p "$root/$moddir/extra"
# A kernel with everything built in still wants depmod's index files.
for f in modules.order modules.builtin modules.builtin.modinfo; do
	[ -e "$root/$moddir/$f" ] || touch "$root/$moddir/$f"
done
for ko in "${extra_ko[@]}"; do
	cp "$ko" "$root/$moddir/extra/"
done
depmod -b "$root" "$kver"

mkdir -p "$root/selftests"
cp "$top"/selftests/*.sh "$root/selftests/"
install -m 0755 "$top/selftests/vm/init" "$root/init"
# Debian's tcpdump drops privileges to its own user.
printf '%s\n' "root:x:0:0:root:/root:/bin/bash" \
	"tcpdump:x:100:100::/nonexistent:/bin/false" > "$root/etc/passwd"
printf '%s\n' "root:x:0:" "tcpdump:x:100:" > "$root/etc/group"
printf '%s\n' '127.0.0.1 localhost' '::1 localhost' > "$root/etc/hosts"
cp /etc/protocols /etc/services "$root/etc/" 2>/dev/null || true

(cd "$root" && find . -print0 | cpio --null -o -H newc --quiet) |
	gzip -1 > "$out.tmp"
mv "$out.tmp" "$out"
