#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# MTU and path MTU: netns "a" (ipsecif) reaches netns "b" (native xfrm
# interface) through router "r", whose link to b has an MTU of 1400:
#
#   a: a0 -- r0 r r1 (mtu 1400) -- b0 (mtu 1400) :b
#
# A p2p interface whose MTU nobody set takes the underlay route's MTU minus
# the TX SA's worst-case overhead. A packet too big for the path with DF set
# is dropped by r, whose ICMP "fragmentation needed" / "packet too big" about
# our ESP lowers the path MTU that a's underlay caches for b; from then on
# ipsecif tells the sender the MTU left for inner packets (ICMP / ICMPv6, or
# the route's cached MTU), and fragments inner IPv4 without DF before
# encryption: b receives no ESP packet over 1400 bytes and no fragment of
# one. Once with an IPv4 underlay, once with IPv6; inner IPv4 and IPv6.
source "$(dirname "$0")/lib.sh"

# Largest inner packet of AES-GCM-128 in tunnel mode with no padding: the
# path MTU minus outer header, ESP header (8), IV (8), trailer (2), ICV (16).
max_inner() {
	echo $(($1 - ($2 == 4 ? 20 : 40) - 34))
}

link_mtu() {
	in_ns "$1" ip -j link show dev "$2" | jq '.[0].mtu'
}

# The cached path MTU of a's underlay route to $1, if any.
route_mtu() {
	in_ns a ip route get "$1" | grep -oE 'mtu [0-9]+' | grep -oE '[0-9]+' || true
}

route_mtu_is() {
	[ "$(route_mtu "$1")" = "$2" ]
}

route_mtu_below() {
	local m
	m=$(route_mtu "$1")
	[ -n "$m" ] && [ "$m" -lt "$2" ]
}

# MTUs: an interface's own from its TX SA and the underlay route; one set by
# the user stays.
t_mtu_default() {
	local key m0 m2 m3 i

	underlay_pair
	key=$(test_key 20 1)
	in_ns a ip route add 192.0.2.3/32 dev a0 mtu 1300
	for i in 0 1 2 3; do
		in_ns a ipsecctl link add ipsec$i
	done
	in_ns a ip link set ipsec1 mtu 1350
	sa() {
		in_ns a ipsecctl sa add "$1" spi $((0x1000 + $1)) mode tunnel src "$2" dst "$3" \
			aead 'rfc4106(gcm(aes))' "$key" 128
	}
	sa 1 192.0.2.1 192.0.2.2
	sa 2 192.0.2.2 192.0.2.1
	sa 3 192.0.2.1 192.0.2.2
	sa 4 192.0.2.1 192.0.2.3
	sa 5 2001:db8::1 2001:db8::2

	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	m0=$(link_mtu a ipsec0)
	{ [ "$m0" -gt 1400 ] && [ "$m0" -le "$(max_inner 1500 4)" ]; } ||
		fail "ipsec0 (IPv4 outer, route MTU 1500): MTU $m0"
	in_ns a ipsecctl protect set dev ipsec1 tx 3
	expect_eq "ipsec1 (MTU set by the user)" 1350 "$(link_mtu a ipsec1)"
	in_ns a ipsecctl protect set dev ipsec2 tx 4
	m2=$(link_mtu a ipsec2)
	{ [ "$m2" -gt 1200 ] && [ "$m2" -le "$(max_inner 1300 4)" ]; } ||
		fail "ipsec2 (route MTU 1300): MTU $m2"
	expect_eq "ipsec0 - ipsec2: the route MTUs' difference" 200 $((m0 - m2))
	in_ns a ipsecctl protect set dev ipsec3 tx 5
	m3=$(link_mtu a ipsec3)
	expect_eq "ipsec0 - ipsec3: IPv6 outer header 20 bytes longer" 20 $((m0 - m3))
	# Set by the user now: a new protection leaves it.
	in_ns a ip link set ipsec0 mtu 1420
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	expect_eq "ipsec0 after the user set its MTU" 1420 "$(link_mtu a ipsec0)"
}

# topology FAMILY: a, r, b and the tunnel; sets A and B.
topology() {
	local plen nodad=() ab ba sel

	for n in a r b; do
		netns_add $n
	done
	ip link add a0 netns "$(ns a)" type veth peer name r0 netns "$(ns r)"
	ip link add r1 netns "$(ns r)" type veth peer name b0 netns "$(ns b)"
	if [ "$1" = 4 ]; then
		A=192.0.2.1 R0=192.0.2.254 R1=198.51.100.254 B=198.51.100.2 plen=24
	else
		A=2001:db8:1::1 R0=2001:db8:1::fe R1=2001:db8:2::fe B=2001:db8:2::2 plen=64
		nodad=(nodad)
	fi
	in_ns a ip addr add $A/$plen dev a0 "${nodad[@]}"
	in_ns r ip addr add $R0/$plen dev r0 "${nodad[@]}"
	in_ns r ip addr add $R1/$plen dev r1 "${nodad[@]}"
	in_ns b ip addr add $B/$plen dev b0 "${nodad[@]}"
	in_ns r ip link set r1 mtu 1400
	in_ns b ip link set b0 mtu 1400
	in_ns a ip link set a0 up
	in_ns r ip link set r0 up
	in_ns r ip link set r1 up
	in_ns b ip link set b0 up
	in_ns a ip route add default via $R0
	in_ns b ip route add default via $R1
	in_ns r sysctl -qw net.ipv4.ip_forward=1
	in_ns r sysctl -qw net.ipv6.conf.all.forwarding=1

	crypto_args gcm128 1
	ab=("${CRYPTO[@]}")
	crypto_args gcm128 2
	ba=("${CRYPTO[@]}")
	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src $A dst $B "${ab[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src $B dst $A "${ba[@]}"
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	in_ns a ip link set ipsec0 up

	# b's own packets stay below its path MTU: this is about a's.
	in_ns b ip link add xfrm0 type xfrm dev b0 if_id 42
	in_ns b ip link set xfrm0 mtu 1300
	in_ns b ip xfrm state add src $A dst $B proto esp spi 0x1001 mode tunnel \
		if_id 42 "${ab[@]}" flag af-unspec
	in_ns b ip xfrm state add src $B dst $A proto esp spi 0x2001 mode tunnel \
		if_id 42 "${ba[@]}" flag af-unspec
	for sel in 0.0.0.0/0 ::/0; do
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir out \
			tmpl src $B dst $A proto esp mode tunnel if_id 42
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir in \
			tmpl src $A dst $B proto esp mode tunnel if_id 42
	done
	in_ns b ip addr add 10.0.0.2/24 dev xfrm0
	in_ns b ip addr add fd00::2/64 dev xfrm0 nodad
	in_ns b ip link set xfrm0 up
}

state() {
	in_ns a ipsecctl -s sa show || true
	in_ns a ip -s link show dev ipsec0 || true
	in_ns a ip route get "$B" || true
	in_ns b ip -s xfrm state || true
	in_ns b grep -v ' 0$' /proc/net/xfrm_stat || true
}

# expect_replies N WHAT PING_ARGS...: a pings b, N of 3 echoes answered.
expect_replies() {
	local want=$1 what=$2 got
	shift 2
	got=$(ping_received a -c 3 -i 0.3 -W 2 "$@")
	[ "$got" = "$want" ] || { state; fail "$what: $got of 3 echoes answered (ping $*)"; }
}

pmtu() {
	local family=$1 mtu big4 big6 out inner limit esp_from_a frag_from_a

	scratch_init
	topology "$family"
	in_ns a ping -c 1 -W 3 10.0.0.2 >/dev/null || { state; fail "no tunnel"; }
	mtu=$(link_mtu a ipsec0)
	limit=$(max_inner 1400 "$family")
	# Inner packets that fit ipsec0 but whose ESP does not fit 1400 bytes.
	big4=$((mtu - 8 - 28))
	big6=$((mtu - 8 - 48))
	pcap_start b b0 wire

	# r drops the first and tells a, whose underlay caches 1400 for b.
	expect_replies 0 "DF, $((big4 + 28)) bytes inside, path MTU unknown" \
		-M "do" -s $big4 10.0.0.2
	wait_for route_mtu_is "$B" 1400 ||
		{ state; fail "a's route to $B: cached MTU '$(route_mtu "$B")', expected 1400"; }

	# Now ipsecif tells the sender what fits.
	out=$(in_ns a ping -M "do" -c 2 -i 0.3 -W 1 -s $big4 10.0.0.2 2>&1) || true
	inner=$(grep -oE 'mtu ?=? ?[0-9]+' <<<"$out" | head -n 1 | grep -oE '[0-9]+' || true)
	if [ -z "$inner" ] || [ "$inner" -gt "$limit" ] || [ "$inner" -le $((limit - 64)) ]; then
		state
		fail "DF, too big: ping said '$out', expected an MTU of at most $limit"
	fi
	grep -q " 0 received" <<<"$out" || fail "DF, too big, yet answered: $out"
	expect_replies 3 "DF, $inner bytes (the MTU reported)" -M "do" -s $((inner - 28)) 10.0.0.2
	# Without DF, ipsecif fragments the inner packet.
	expect_replies 3 "no DF, $((big4 + 28)) bytes" -M dont -s $big4 10.0.0.2
	# Inner IPv6: the sender learns the MTU and fragments.
	in_ns a ping -6 -c 2 -i 0.3 -W 1 -s $big6 fd00::2 >/dev/null 2>&1 || true
	wait_for route_mtu_below fd00::2 $((limit + 1)) ||
		{ state; fail "a's route to fd00::2: MTU '$(route_mtu fd00::2)', expected at most $limit"; }
	[ "$(route_mtu fd00::2)" -ge 1280 ] || fail "inner IPv6 MTU $(route_mtu fd00::2)"
	expect_replies 3 "inner IPv6, $((big6 + 48)) bytes" -6 -s $big6 fd00::2
	pcap_stop wire

	# What reached b: no ESP over 1400 bytes, no fragment of one.
	if [ "$family" = 4 ]; then
		esp_from_a="src host $A and ip proto 50"
		pcap_all wire "a's ESP at b" "$esp_from_a" \
			"ip[2:2] <= 1400 and ip[6:2] & 0x3fff = 0" 15
	else
		esp_from_a="src host $A and ip6 and ip6[6] = 50"
		frag_from_a="src host $A and ip6 and ip6[6] = 44"
		pcap_all wire "a's ESP at b" "$esp_from_a" "ip6[4:2] <= 1360" 15
		expect_eq "fragmented ESP from a" 0 "$(pcap_count wire "$frag_from_a")"
	fi
	expect_eq "SA 2 integrity" 0 "$(sa_json a 2 .stats.integrity)"
}

ktap_run \
	"MTU from the route and the TX SA's overhead; an MTU set by the user stays" t_mtu_default \
	"IPv4 underlay: router ICMP lowers the path MTU, DF gets the inner MTU, no DF fragments inside" "pmtu 4" \
	"IPv6 underlay: packet too big lowers the path MTU, DF gets the inner MTU, no DF fragments inside" "pmtu 6"
