#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ipip model against the kernel's xfrm. Netns "a" runs ipsecif, netns
# "b" a native xfrm interface with tunnel-mode states between the underlay
# addresses A and B (as in interop.sh):
#
#   one encapsulation   a: "link add ipsec0 local A remote B" with
#                       transport-mode SAs. On the wire the same as a
#                       tunnel-mode SA from A to B: b must take it as such,
#                       and a what b sends. IPv4 and IPv6 underlay.
#   two encapsulations  a: "link add ipsec0 local 10.99.0.1 remote 10.99.0.2"
#                       with tunnel-mode SAs between A and B: the IPv4-in-
#                       IPv4 packet from 10.99.0.1 to 10.99.0.2 travels in
#                       ESP from A to B. b: 10.99.0.2 on xfrm0 and an ipip
#                       device from 10.99.0.2 to 10.99.0.1 over it, carrying
#                       the 10.0.0.0/24 tunnel addresses.
source "$(dirname "$0")/lib.sh"

TCP_KB=$(scaled 256 128)

# b_xfrm: b's xfrm0 with the tunnel-mode states of SPI 0x1001 (A -> B,
# key seed 1) and 0x2001 (B -> A, seed 2), for inner IPv4 and IPv6.
b_xfrm() {
	local sel ab ba
	crypto_args gcm128 1
	ab=("${CRYPTO[@]}")
	crypto_args gcm128 2
	ba=("${CRYPTO[@]}")
	in_ns b ip link add xfrm0 type xfrm dev b0 if_id 42
	# With two encapsulations, only IPv4 in IPv4 crosses the tunnel.
	[ "${B_NO_IPV6:-0}" = 1 ] && in_ns b sysctl -qw net.ipv6.conf.xfrm0.disable_ipv6=1
	in_ns b ip xfrm state add src "$A" dst "$B" proto esp spi 0x1001 mode tunnel \
		if_id 42 "${ab[@]}" flag af-unspec
	in_ns b ip xfrm state add src "$B" dst "$A" proto esp spi 0x2001 mode tunnel \
		if_id 42 "${ba[@]}" flag af-unspec
	for sel in 0.0.0.0/0 ::/0; do
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir out \
			tmpl src "$B" dst "$A" proto esp mode tunnel if_id 42
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir in \
			tmpl src "$A" dst "$B" proto esp mode tunnel if_id 42
	done
	in_ns b ip link set xfrm0 up
}

# a_sas MODE [src A dst B]: a's SA 1 (out) and 2 (in), same keys as b's.
a_sas() {
	local mode=$1
	crypto_args gcm128 1
	if [ "$mode" = tunnel ]; then
		in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src "$A" dst "$B" "${CRYPTO[@]}"
	else
		in_ns a ipsecctl sa add 1 spi 0x1001 mode transport "${CRYPTO[@]}"
	fi
	crypto_args gcm128 2
	if [ "$mode" = tunnel ]; then
		in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src "$B" dst "$A" "${CRYPTO[@]}"
	else
		in_ns a ipsecctl sa add 2 spi 0x2001 mode transport "${CRYPTO[@]}"
	fi
}

state() {
	in_ns a ipsecctl -s sa show || true
	in_ns a ipsecctl link show || true
	in_ns a ip -s link show dev ipsec0 || true
	in_ns b ip -s xfrm state || true
	in_ns b grep -v ' 0$' /proc/net/xfrm_stat || true
	in_ns b ip -s link show || true
}

ping_ok() {
	local got
	got=$(ping_received "$1" -c 3 -i 0.2 -W 3 "$2")
	[ "$got" = 3 ] || { state; fail "ping $2 from $1: $got of 3 answered"; }
}

iperf_listening() {
	in_ns "$1" ss -Hltn "sport = :5201" | grep -q .
}

# tcp_ok CLIENT SERVER ADDR: the server sends TCP_KB KiB, all received.
tcp_ok() {
	local got
	in_ns "$2" iperf3 -s -1 -D -B "$3" >/dev/null
	wait_for iperf_listening "$2" || fail "iperf3 in $2 did not start"
	got=$(in_ns "$1" timeout 60 iperf3 -c "$3" -R -n "${TCP_KB}K" -J |
		jq -r '.end.sum_received.bytes // 0') || true
	[ "${got:-0}" -ge $((TCP_KB * 1024)) ] ||
		{ state; fail "TCP $2 -> $1: ${got:-0} of $((TCP_KB * 1024)) bytes"; }
}

# Packets the xfrm state from $1 to $2 with SPI $3 in b counted.
xfrm_packets() {
	in_ns b ip -s xfrm state get src "$1" dst "$2" proto esp spi "$3" |
		awk '/[0-9]+\(bytes\), [0-9]+\(packets\)/ && !/limit/ {
			sub(/\(packets\).*/, "", $2); print $2; exit }'
}

# shellcheck disable=SC2016 # awk's own $1 and $2
xfrm_in_errors() {
	in_ns b awk '$1 ~ /^XfrmIn/ { n += $2 } END { print n + 0 }' /proc/net/xfrm_stat
}

at_least() {
	[[ $3 =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ] && return 0
	state
	fail "$1: expected at least $2, got '$3'"
}

# One encapsulation: ipsec0 local A remote B, transport-mode SAs.
t_one() {
	local family=$1 plain

	scratch_init
	underlay_pair
	if [ "$family" = 4 ]; then
		A=192.0.2.1 B=192.0.2.2 plain="ip proto 4 or ip proto 41"
	else
		A=2001:db8::1 B=2001:db8::2 plain="ip6 and (ip6[6] = 4 or ip6[6] = 41)"
	fi
	a_sas transport
	in_ns a ipsecctl link add ipsec0 local "$A" remote "$B"
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	# b first: what a sends as its interface comes up (MLD) finds states.
	b_xfrm
	in_ns b ip addr add 10.0.0.2/24 dev xfrm0
	in_ns b ip addr add fd00::2/64 dev xfrm0 nodad
	in_ns a ip link set ipsec0 up

	pcap_start b b0 wire
	ping_ok a 10.0.0.2
	ping_ok b 10.0.0.1
	ping_ok a fd00::2
	ping_ok b fd00::1
	pcap_stop wire
	if [ "$family" = 4 ]; then
		tcp_ok a b 10.0.0.2
		tcp_ok b a 10.0.0.1
	fi

	at_least "ESP from A to B on the wire" 12 \
		"$(pcap_count wire "src host $A and dst host $B and (esp or (ip6 and ip6[6] = 50))")"
	expect_eq "plaintext IP-in-IP on the wire" 0 "$(pcap_count wire "$plain")"
	at_least "b's state A -> B: packets decrypted" 12 "$(xfrm_packets "$A" "$B" 0x1001)"
	at_least "b's state B -> A: packets encrypted" 12 "$(xfrm_packets "$B" "$A" 0x2001)"
	at_least "a's SA 2 packets" 12 "$(sa_json a 2 .stats.packets)"
	expect_eq "a's SA 2 integrity drops" 0 "$(sa_json a 2 .stats.integrity)"
	expect_eq "a's SA 2 next header drops" 0 "$(sa_json a 2 .stats.nexthdr)"
	expect_eq "xfrm input errors in b" 0 "$(xfrm_in_errors)"
}

# Two encapsulations: the IPv4-in-IPv4 header of ipsec0, then ESP tunnel
# mode between the underlay addresses.
t_two() {
	local rx

	scratch_init
	underlay_pair
	A=192.0.2.1 B=192.0.2.2
	a_sas tunnel
	in_ns a ipsecctl link add ipsec0 local 10.99.0.1 remote 10.99.0.2
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
	in_ns a ip link set ipsec0 up
	B_NO_IPV6=1 b_xfrm
	in_ns b ip addr add 10.99.0.2/30 dev xfrm0
	in_ns b ip link add ipip0 type ipip local 10.99.0.2 remote 10.99.0.1
	in_ns b ip addr add 10.0.0.2/24 dev ipip0
	in_ns b ip link set ipip0 up

	pcap_start b b0 wire
	ping_ok a 10.0.0.2
	ping_ok b 10.0.0.1
	pcap_stop wire
	tcp_ok a b 10.0.0.2

	rx=$(in_ns b ip -j -s link show dev ipip0 | jq '.[0].stats64.rx.packets')
	at_least "b's ipip0 received (decapsulated twice)" 6 "$rx"
	at_least "ESP from A to B on the wire" 6 "$(pcap_count wire "src host $A and dst host $B and esp")"
	expect_eq "anything else from A on the wire" 0 \
		"$(pcap_count wire "src host $A and not esp and not arp")"
	at_least "b's state A -> B: packets decrypted" 6 "$(xfrm_packets "$A" "$B" 0x1001)"
	at_least "a's SA 2 packets" 6 "$(sa_json a 2 .stats.packets)"
	expect_eq "a's SA 2 next header drops" 0 "$(sa_json a 2 .stats.nexthdr)"
}

ktap_run \
	"local/remote + transport SAs vs xfrm tunnel mode, IPv4 underlay: ping v4/v6, TCP both ways" "t_one 4" \
	"local/remote + transport SAs vs xfrm tunnel mode, IPv6 underlay: ping v4/v6 both ways" "t_one 6" \
	"local/remote + tunnel SAs: IP-in-IP inside ESP, to xfrm + ipip device; ping, TCP" t_two
