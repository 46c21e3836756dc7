#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability with the kernel's own IPsec: netns "a" runs an ipsecif
# tunnel, netns "b" a native xfrm interface with the same SAs and keys. If
# Linux cannot decrypt what we send, or we what it sends, the test fails.
source "$(dirname "$0")/lib.sh"

# tunnel_setup ALG OUTER_FAMILY(4|6) ESN(esn|noesn); a's SAs also get the
# options in SA_OPTS, if any.
tunnel_setup() {
	local alg=$1 A B sel ctl_esn=() xfrm_esn=()
	local -a ab ba

	underlay_pair
	if [ "$2" = 4 ]; then A=192.0.2.1 B=192.0.2.2; else A=2001:db8::1 B=2001:db8::2; fi
	if [ "$3" = esn ]; then
		ctl_esn=(esn replay-window 128)
		xfrm_esn=(flag esn replay-window 128)
	fi
	# af-unspec: the states carry inner IPv4 and IPv6 alike.
	xfrm_esn+=(flag af-unspec)
	crypto_args "$alg" 1
	ab=("${CRYPTO[@]}")
	crypto_args "$alg" 2
	ba=("${CRYPTO[@]}")

	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src $A dst $B "${ab[@]}" \
		"${ctl_esn[@]}" ${SA_OPTS:+"${SA_OPTS[@]}"}
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src $B dst $A "${ba[@]}" \
		"${ctl_esn[@]}" ${SA_OPTS:+"${SA_OPTS[@]}"}
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	in_ns a ip link set ipsec0 up

	in_ns b ip link add xfrm0 type xfrm dev b0 if_id 42
	in_ns b ip xfrm state add src $A dst $B proto esp spi 0x1001 mode tunnel \
		if_id 42 "${ab[@]}" "${xfrm_esn[@]}"
	in_ns b ip xfrm state add src $B dst $A proto esp spi 0x2001 mode tunnel \
		if_id 42 "${ba[@]}" "${xfrm_esn[@]}"
	for sel in 0.0.0.0/0 ::/0; do
		in_ns b ip xfrm policy add src $sel dst $sel dir out \
			tmpl src $B dst $A proto esp mode tunnel if_id 42
		in_ns b ip xfrm policy add src $sel dst $sel dir in \
			tmpl src $A dst $B proto esp mode tunnel if_id 42
	done
	in_ns b ip addr add 10.0.0.2/24 dev xfrm0
	in_ns b ip addr add fd00::2/64 dev xfrm0 nodad
	in_ns b ip link set xfrm0 up
}

# What both ends counted, to explain a failure.
tunnel_state() {
	in_ns a ipsecctl -s sa show
	in_ns a ip -s link show dev ipsec0
	in_ns b ip -s xfrm state
	in_ns b ip -s link show dev xfrm0
	in_ns b grep -v ' 0$' /proc/net/xfrm_stat
}

# ping_ok NS ADDR: three echoes, all answered.
ping_ok() {
	local out
	out=$(in_ns "$1" ping -c 3 -i 0.2 -W 3 "$2" 2>&1)
	if ! grep -q " 0% packet loss" <<<"$out"; then
		tunnel_state
		fail "ping $2 from $1: $out"
	fi
}

sa_stat() {
	in_ns a ipsecctl -j -s sa show "$1" | jq ".[0].stats.$2"
}

# Both directions, inner IPv4 and IPv6, and the SA counters moved.
check_traffic() {
	ping_ok a 10.0.0.2
	ping_ok b 10.0.0.1
	ping_ok a fd00::2
	ping_ok b fd00::1
	[ "$(sa_stat 1 packets)" -ge 12 ] || fail "TX SA counted $(sa_stat 1 packets) packets"
	[ "$(sa_stat 2 packets)" -ge 12 ] || fail "RX SA counted $(sa_stat 2 packets) packets"
	expect_eq "integrity drops" 0 "$(sa_stat 2 integrity)"
}

# iperf3 TCP for 2 s each way.
check_tcp() {
	in_ns b iperf3 -s -1 -D -B 10.0.0.2 >/dev/null
	in_ns a iperf3 -s -1 -D -B 10.0.0.1 >/dev/null
	sleep 0.5
	in_ns a timeout 20 iperf3 -c 10.0.0.2 -t 2 -J | jq -e '.end.sum_received.bytes > 0' >/dev/null ||
		fail "TCP a->b failed"
	in_ns b timeout 20 iperf3 -c 10.0.0.1 -t 2 -J | jq -e '.end.sum_received.bytes > 0' >/dev/null ||
		fail "TCP b->a failed"
}

interop() {
	tunnel_setup "$@"
	check_traffic
}

interop_tcp() {
	tunnel_setup "$@"
	check_traffic
	check_tcp
}

# TCP through GSO: ipsec0 offers TSO, so TCP hands it up to 64 KiB at a
# time (here with sendfile, iperf3 -Z, whose pages belong to the sender's
# file); the xfrm peer takes it all, none fails its ICV.
interop_gso() {
	tunnel_setup gcm128 4 noesn
	expect_eq "TSO on ipsec0" "tcp-segmentation-offload: on" \
		"$(in_ns a ethtool -k ipsec0 | grep '^tcp-segmentation-offload:')"
	in_ns b iperf3 -s -1 -D -B 10.0.0.2 >/dev/null
	sleep 0.5
	in_ns a timeout 60 iperf3 -c 10.0.0.2 -Z -t 3 -J |
		jq -e '.end.sum_received.bytes >= 1048576' >/dev/null ||
		{ tunnel_state; fail "TCP with sendfile: less than 1 MiB in 3 s"; }
	expect_eq "integrity drops" 0 "$(sa_stat 2 integrity)"
	[ "$(in_ns b awk '$1 == "XfrmInStateProtoError" { print $2 }' /proc/net/xfrm_stat)" = 0 ] ||
		{ tunnel_state; fail "xfrm could not decrypt some of it"; }
}

# ESP without any protection (null cipher, digest_null), which RFC 4303
# forbids and "make bench" measures the datapath with: refused unless the
# module's null_esp parameter is set, then Linux takes it as its own.
interop_null() {
	local param=/sys/module/ipsecif/parameters/null_esp
	local -a null

	crypto_args null 1
	null=("${CRYPTO[@]}")
	expect_eq "null_esp by default" N "$(cat $param)"
	netns_add n
	expect_fail "needs encryption or integrity" in_ns n ipsecctl sa add 1 spi 0x1001 \
		mode tunnel src 192.0.2.1 dst 192.0.2.2 "${null[@]}"
	expect_eq "SAs" 0 "$(in_ns n ipsecctl -j sa show | jq length)"
	trap 'echo 0 > '$param EXIT
	echo 1 > $param
	interop_tcp null 4 noesn
	expect_eq "ICV length of SA 1" '{"name":"digest_null","icv_len":null}' \
		"$(in_ns a ipsecctl -j sa show 1 | jq -c '.[0].auth | {name, icv_len}')"
}

# udp_reordered FROM TO_ADDR: iperf3 UDP for 2 s at 20 Mbit/s, sender
# pinned to CPU 0; prints what the receiving server counted: datagrams out
# of order, and datagrams in all.
udp_reordered() {
	local to_ns=$([ "$1" = a ] && echo b || echo a) log=/tmp/udp-server.json i
	rm -f $log
	in_ns "$to_ns" iperf3 -s -1 -D -B "$2" -J --logfile $log >/dev/null
	sleep 0.5
	in_ns "$1" timeout 20 iperf3 -c "$2" -u -b 20M -l 1000 -t 2 -A 0 >/dev/null
	for i in $(seq 50); do
		jq -e .end.sum $log >/dev/null 2>&1 && break
		sleep 0.1
	done
	# the stream's end record (iperf3 sums no out_of_order)
	jq -r '[.end | .. | objects | select(has("out_of_order"))] | first |
		"\(.out_of_order) \(.packets)"' $log
}

# Parallel SAs (padata): Linux's peer decrypts what they seal and they
# open what it sends, TCP passes, and UDP each way arrives in order. UDP
# because a UDP sender sends only from its own (pinned) CPU: a veth queues
# what it carries on the sending CPU's backlog, so packets sent from two
# CPUs (as TCP does, from the process and from softirq on ACKs) may swap
# before they reach the other end; sent from one, any reordering would be
# ours.
interop_parallel() {
	local -a SA_OPTS=(parallel)
	local dir ooo n
	# as async.sh found with pcrypt, which is padata too
	[ ! -e /proc/lockdep ] ||
		ktap_skip "padata trips lockdep on Linux 6.1, a kernel issue"
	tunnel_setup "$@"
	expect_eq "flags of SA 1" '["parallel"]' \
		"$(in_ns a ipsecctl -j sa show 1 | jq -c '.[0].flags - ["esn"]')"
	expect_fail "cannot change on a live SA" in_ns a ipsecctl sa update 1 parallel
	check_traffic
	check_tcp
	for dir in "a 10.0.0.2" "b 10.0.0.1"; do
		# shellcheck disable=SC2086 # two words
		read -r ooo n < <(udp_reordered $dir)
		[ "$n" -ge 2000 ] 2>/dev/null ||
			{ tunnel_state; fail "from ${dir% *}: the server counted ${n:-no} datagrams"; }
		[ "$ooo" = 0 ] ||
			{ tunnel_state; fail "from ${dir% *}: $ooo of $n datagrams out of order"; }
	done
	expect_eq "crypto drops" 0 "$(($(sa_stat 1 crypto) + $(sa_stat 2 crypto)))"
}

ALGORITHMS=(gcm128 gcm192 gcm256 chacha cbc-sha1 cbc-sha256 cbc-sha512 null-sha256 cbc-null)
# On the debug kernel, one AEAD and one cipher+HMAC cover both code paths.
[ "$SLOW_KERNEL" = 1 ] && ALGORITHMS=(gcm128 cbc-sha256)
declare -A ALG_NAME=([gcm128]="AES-GCM-128" [gcm192]="AES-GCM-192"
	[gcm256]="AES-GCM-256" [chacha]="ChaCha20-Poly1305"
	[cbc-sha1]="AES-CBC + HMAC-SHA1-96" [cbc-sha256]="AES-CBC + HMAC-SHA256-128"
	[cbc-sha512]="AES-CBC + HMAC-SHA512-256" [null-sha256]="null cipher + HMAC-SHA256"
	[cbc-null]="AES-CBC, no integrity (digest_null)")

# Every algorithm twice: outer IPv4 without ESN (ping and TCP), outer IPv6
# with ESN (ping); inner IPv4 and IPv6 each time.
TESTS=()
for alg in "${ALGORITHMS[@]}"; do
	TESTS+=("${ALG_NAME[$alg]}, outer IPv4: ping v4/v6 and TCP both ways"
		"interop_tcp $alg 4 noesn"
		"${ALG_NAME[$alg]}, outer IPv6, ESN: ping v4/v6 both ways"
		"interop $alg 6 esn")
done

TESTS+=("TCP through GSO (TSO on ipsec0, sendfile): every byte through the xfrm peer"
	interop_gso)
TESTS+=("parallel SAs (padata), AES-GCM-128, outer IPv4: ping, TCP, UDP in order"
	"interop_parallel gcm128 4 noesn"
	"parallel SAs (padata), AES-CBC + HMAC-SHA256, outer IPv6, ESN: ping, TCP, UDP in order"
	"interop_parallel cbc-sha256 6 esn")
[ "$SLOW_KERNEL" = 1 ] ||
	TESTS+=("no protection (null cipher, digest_null): refused, then with null_esp=1 Linux's peer"
		interop_null)

# async.sh runs these tests again with every packet completing asynchronously.
[ "${BASH_SOURCE[0]}" = "$0" ] || return 0
ktap_run "${TESTS[@]}"
