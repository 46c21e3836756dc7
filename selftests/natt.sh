#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# NAT traversal (ESP in UDP, RFC 3948). Netns "a" (ipsecif) sits behind a
# NAT, netns "nat" (nftables masquerade), and talks to netns "b", whose
# native xfrm interface has "encap espinudp" states and, as an IKE daemon
# would, a UDP socket on port 4500 with UDP_ENCAP set (selftests/tools/
# udpencap), without which xfrm receives no ESP in UDP:
#
#   a: a0 192.168.1.1 -- n0 192.168.1.254 nat n1 198.51.100.254 -- b0 198.51.100.2 :b
#
# b knows a only as 198.51.100.254:4500. Checked: traffic both ways with UDP
# 4500 on the wire and no plain ESP, checksum 0 over IPv4; keepalives and
# IKE packets on a's port; an IKE daemon's UDP_ENCAP socket holding the port
# first; a port held without UDP_ENCAP refused; a's address changing behind
# the NAT (new mapping, new port) with "sa update" on a and "ip xfrm state
# update" on b, sequence numbers going on; and, without NAT, IPv6 with a
# valid UDP checksum.
source "$(dirname "$0")/lib.sh"

A=192.168.1.1 NAT=198.51.100.254 B=198.51.100.2
ENCAP=(encap espinudp sport 4500 dport 4500)

# nat_topology: the three namespaces, addresses, routes and NAT rules. The
# second rule is for t_rebind: a's next address maps to port 4501.
nat_topology() {
	netns_add a
	netns_add nat
	netns_add b
	ip link add a0 netns "$(ns a)" type veth peer name n0 netns "$(ns nat)"
	ip link add n1 netns "$(ns nat)" type veth peer name b0 netns "$(ns b)"
	in_ns a ip addr add $A/24 dev a0
	in_ns nat ip addr add 192.168.1.254/24 dev n0
	in_ns nat ip addr add $NAT/24 dev n1
	in_ns b ip addr add $B/24 dev b0
	in_ns a ip link set a0 up
	in_ns nat ip link set n0 up
	in_ns nat ip link set n1 up
	in_ns b ip link set b0 up
	in_ns a ip route add default via 192.168.1.254
	in_ns nat sysctl -qw net.ipv4.ip_forward=1
	in_ns nat nft -f - <<EOF
table ip nat {
	chain post {
		type nat hook postrouting priority 100; policy accept;
		oifname "n1" ip saddr 192.168.1.7 udp sport 4500 snat to $NAT:4501
		oifname "n1" masquerade
	}
}
EOF
}

# b_ike NS [-6]: the IKE daemon's socket of b (or another netns): port 4500,
# UDP_ENCAP, for the whole test.
b_ike() {
	bg_start "$1" "ike-$1" udpencap "${@:2}" -t 600 4500
	bg_wait_err "ike-$1" "bound to port 4500"
}

# natt_setup [HOOK]: a's ipsec0 (SA 1 out, SA 2 in, both UDP 4500 <-> 4500),
# b's xfrm0 with states for the NAT's address; HOOK runs in a before the
# protection is set.
natt_setup() {
	scratch_init
	nat_topology
	crypto_args gcm128 1
	AB=("${CRYPTO[@]}")
	crypto_args gcm128 2
	BA=("${CRYPTO[@]}")

	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src $A dst $B "${AB[@]}" "${ENCAP[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src $B dst $A "${BA[@]}" \
		"${ENCAP[@]}" replay-window 128
	in_ns a ipsecctl link add ipsec0
	in_ns a sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
	[ -z "${1:-}" ] || "$1"
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip link set ipsec0 up

	b_ike b
	in_ns b ip link add xfrm0 type xfrm dev b0 if_id 42
	in_ns b sysctl -qw net.ipv6.conf.xfrm0.disable_ipv6=1
	in_ns b ip xfrm state add src $NAT dst $B proto esp spi 0x1001 mode tunnel \
		if_id 42 "${AB[@]}" replay-window 1024 encap espinudp 4500 4500 0.0.0.0
	in_ns b ip xfrm state add src $B dst $NAT proto esp spi 0x2001 mode tunnel \
		if_id 42 "${BA[@]}" encap espinudp 4500 4500 0.0.0.0
	in_ns b ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out \
		tmpl src $B dst $NAT proto esp mode tunnel if_id 42
	in_ns b ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir in \
		tmpl src $NAT dst $B proto esp mode tunnel if_id 42
	in_ns b ip addr add 10.0.0.2/24 dev xfrm0
	in_ns b ip link set xfrm0 up
}

state() {
	in_ns a ipsecctl -s sa show || true
	in_ns nat nft list ruleset || true
	in_ns b ip -s xfrm state || true
	in_ns b grep -v ' 0$' /proc/net/xfrm_stat || true
	in_ns b cat /proc/net/snmp || true
}

# ping_ok NS ADDR: three echoes, all answered.
ping_ok() {
	local got
	got=$(ping_received "$1" -c 3 -i 0.2 -W 3 "$2")
	[ "$got" = 3 ] || { state; fail "ping $2 from $1: $got of 3 answered"; }
}

# Pings both ways, a first: b reaches a only through the NAT's mapping.
ping_both() {
	ping_ok a 10.0.0.2
	ping_ok b 10.0.0.1
}

# xfrm_field NS SRC DST SPI LINE FIELD: FIELD's value in the line of "ip -s
# xfrm state get" that matches LINE (e.g. "anti-replay" seq, "failed"
# replay).
# xfrm_field NS SRC DST SPI LINE FIELD: the value after FIELD on the first
# line matching LINE or on one after it ("anti-replay esn context:", which
# a replay window over 32 gets, has its fields on the next line).
xfrm_field() {
	in_ns "$1" ip -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		awk -v line="$5" -v f="$6" '$0 ~ line { found = 1 }
			found { for (i = 1; i < NF; i++)
				if ($i == f) { v = $(i + 1); sub(",", "", v); print v; exit } }'
}

xfrm_in_errors() {
	# shellcheck disable=SC2016 # awk's own $1 and $2
	in_ns "$1" awk '$1 ~ /^XfrmIn/ { n += $2 } END { print n + 0 }' /proc/net/xfrm_stat
}

# snmp NS TABLE FIELD: a counter of /proc/net/snmp (Udp, Ip, ...).
# shellcheck disable=SC2016 # awk's own $1, $i and $n
snmp() {
	in_ns "$1" awk -v t="$2:" -v f="$3" '$1 == t {
		if (!n) { for (i = 2; i <= NF; i++) if ($i == f) n = i; next }
		print $n; exit }' /proc/net/snmp
}

# shellcheck disable=SC2016 # awk's own $1 and $2
snmp6() {
	in_ns "$1" awk -v f="$2" '$1 == f { print $2 }' /proc/net/snmp6
}

rx_packets() {
	in_ns a ip -j -s link show dev ipsec0 | jq '.[0].stats64.rx.packets'
}

t_nat() {
	natt_setup
	expect_eq "encap of SA 1" '{"type":"espinudp","sport":4500,"dport":4500}' \
		"$(in_ns a ipsecctl -j sa show 1 | jq -c '.[0].encap')"
	pcap_start nat n0 lan
	pcap_start b b0 wan
	ping_both
	in_ns b iperf3 -s -1 -D -B 10.0.0.2 >/dev/null
	sleep 0.5
	in_ns a timeout 30 iperf3 -c 10.0.0.2 -n 256K -J | jq -e '.end.sum_received.bytes > 0' >/dev/null ||
		{ state; fail "TCP a -> b failed"; }
	pcap_stop lan
	pcap_stop wan

	# What a sends: ESP in UDP 4500 -> 4500, UDP checksum 0, no plain ESP.
	pcap_all lan "a's ESP in UDP" "src host $A and udp src port 4500 and udp dst port 4500" \
		"udp[8:4] = 0x1001 and udp[6:2] = 0" 10
	expect_eq "plain ESP on a's link" 0 "$(pcap_count lan "ip proto 50")"
	pcap_all lan "b's ESP to a, through the NAT" "dst host $A and udp dst port 4500" \
		"udp[8:4] = 0x2001 and udp src port 4500" 6
	# b sees a only as the NAT's address.
	pcap_all wan "a's ESP behind the NAT" "udp[8:4] = 0x1001" \
		"src host $NAT and udp src port 4500 and udp dst port 4500" 10
	pcap_all wan "b's ESP" "udp[8:4] = 0x2001" \
		"src host $B and dst host $NAT and udp src port 4500 and udp dst port 4500" 6
	expect_eq "xfrm input errors in b" 0 "$(xfrm_in_errors b)" ||
		{ in_ns b grep -v " 0$" /proc/net/xfrm_stat; false; }
	expect_eq "SA 2 integrity" 0 "$(sa_json a 2 .stats.integrity)"
	expect_eq "SA 2 replay" 0 "$(sa_json a 2 .stats.replay)"
}

# NAT keepalives (one 0xff byte) and IKE packets (non-ESP marker) sent to
# a's port 4500 by the NAT box: nothing counts them as errors, no SA moves.
t_keepalive() {
	local stats rx noports inerrors

	natt_setup
	ping_both
	stats=$(in_ns a ipsecctl -j -s sa show 2 | jq -c '.[0].stats')
	rx=$(rx_packets)
	noports=$(snmp a Udp NoPorts)
	inerrors=$(snmp a Udp InErrors)
	in_ns nat udpsend $A 4500 ff
	in_ns nat udpsend $A 4500 ff
	in_ns nat udpsend -p 4500 $A 4500 ff
	in_ns nat udpsend $A 4500 00000000c0ffee
	sleep 0.5
	expect_eq "SA 2 counters" "$stats" "$(in_ns a ipsecctl -j -s sa show 2 | jq -c '.[0].stats')"
	expect_eq "ipsec0 received" "$rx" "$(rx_packets)"
	# A socket holds the port (no "port unreachable"), and counted no error.
	expect_eq "UDP NoPorts" "$noports" "$(snmp a Udp NoPorts)"
	expect_eq "UDP InErrors" "$inerrors" "$(snmp a Udp InErrors)"
	ping_both
}

# An IKE daemon holds port 4500 with UDP_ENCAP before the protection is
# set: ipsecif receives the ESP through its socket, the daemon gets the IKE
# packet (with its non-ESP marker) and neither ESP nor the keepalive.
a_ike() {
	bg_start a ike-a udpencap -c 1 -t 60 4500
	bg_wait_err ike-a "bound to port 4500"
}

t_user_socket() {
	natt_setup a_ike
	ping_both
	in_ns nat udpsend $A 4500 ff
	in_ns nat udpsend $A 4500 00000000c0ffee
	wait_for grep -qs . "$SCRATCH/ike-a.out" || fail "the IKE packet did not reach the daemon"
	sleep 0.3
	expect_eq "what the daemon received" "00000000c0ffee" "$(cat "$SCRATCH/ike-a.out")"
	expect_eq "SA 2 packets" 6 "$(sa_json a 2 .stats.packets)"
}

# A port held without UDP_ENCAP: the protection is refused, and nothing is
# set; a port held by ipsecif is refused to others while an RX SA needs it.
t_port_in_use() {
	local key out rc=0

	scratch_init
	netns_add a
	key=$(test_key 20 1)
	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src $A dst $B \
		aead 'rfc4106(gcm(aes))' "$key" 128 "${ENCAP[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src $B dst $A \
		aead 'rfc4106(gcm(aes))' "$key" 128 "${ENCAP[@]}"
	in_ns a ipsecctl link add ipsec0
	bg_start a plain udpencap -n -t 60 4500
	bg_wait_err plain "bound to port 4500"
	out=$(in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2 2>&1) || rc=$?
	[ "$rc" != 0 ] || fail "protect set succeeded with port 4500 held without UDP_ENCAP"
	grep -q "held by a socket without UDP_ENCAP" <<<"$out" ||
		fail "protect set said '$out', expected 'held by a socket without UDP_ENCAP'"
	expect_eq "protections" 0 "$(in_ns a ipsecctl -j protect show | jq length)"
	bg_stop plain TERM

	# Only the RX set holds the port.
	in_ns a ipsecctl protect set dev ipsec0 tx 1
	in_ns a timeout 5 udpencap -n -t 0 4500 || fail "TX only: port 4500 not free"
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	! in_ns a timeout 5 udpencap -n -t 0 4500 2>/dev/null || fail "port 4500 free with an RX SA"
	in_ns a ipsecctl protect del dev ipsec0
	wait_for in_ns a timeout 5 udpencap -n -t 0 4500 || fail "port 4500 not freed"
}

# a's address changes (192.168.1.1 -> .7): the NAT maps it to port 4501.
# a updates its SAs' endpoints, b its states' ports; both keep their
# sequence numbers and replay windows.
t_rebind() {
	local seq1 seq2 p2 oseq

	natt_setup
	ping_both
	seq1=$(sa_json a 1 .seq_out)
	p2=$(sa_json a 2 .stats.packets)
	expect_eq "b's view of a's sequence number" "$seq1" \
		"$(($(xfrm_field b $NAT $B 0x1001 anti-replay seq)))"
	oseq=$(($(xfrm_field b $B $NAT 0x2001 anti-replay oseq)))

	in_ns a ip addr del $A/24 dev a0
	in_ns a ip addr add 192.168.1.7/24 dev a0
	in_ns a ip route add default via 192.168.1.254
	in_ns a ipsecctl sa update 1 src 192.168.1.7 dst $B
	in_ns a ipsecctl sa update 2 src $B dst 192.168.1.7
	expect_eq "SA 1 endpoints" "192.168.1.7 $B" \
		"$(in_ns a ipsecctl -j sa show 1 | jq -r '.[0] | "\(.src) \(.dst)"')"
	in_ns b ip xfrm state update src $NAT dst $B proto esp spi 0x1001 mode tunnel \
		if_id 42 "${AB[@]}" replay-window 1024 encap espinudp 4501 4500 0.0.0.0
	in_ns b ip xfrm state update src $B dst $NAT proto esp spi 0x2001 mode tunnel \
		if_id 42 "${BA[@]}" encap espinudp 4500 4501 0.0.0.0

	pcap_start b b0 wan
	ping_both
	pcap_stop wan
	pcap_all wan "a's ESP after the rebinding" "udp[8:4] = 0x1001" \
		"src host $NAT and udp src port 4501 and udp dst port 4500" 6
	pcap_all wan "b's ESP after the rebinding" "udp[8:4] = 0x2001" \
		"dst host $NAT and udp src port 4500 and udp dst port 4501" 6

	# Sequence numbers went on from where they were, at both ends.
	seq2=$(sa_json a 1 .seq_out)
	expect_eq "SA 1 sequence number" $((seq1 + 6)) "$seq2"
	expect_eq "b's view of a's sequence number" "$seq2" \
		"$(($(xfrm_field b $NAT $B 0x1001 anti-replay seq)))"
	expect_eq "b's replay drops" 0 "$(xfrm_field b $NAT $B 0x1001 failed replay)"
	expect_eq "b's sequence number" $((oseq + 6)) \
		"$(($(xfrm_field b $B $NAT 0x2001 anti-replay oseq)))"
	expect_eq "SA 2 packets" $((p2 + 6)) "$(sa_json a 2 .stats.packets)"
	expect_eq "SA 2 replay drops" 0 "$(sa_json a 2 .stats.replay)"
	expect_eq "xfrm input errors in b" 0 "$(xfrm_in_errors b)" ||
		{ in_ns b grep -v " 0$" /proc/net/xfrm_stat; false; }
}

# IPv6, no NAT: ESP in UDP both ways, the UDP checksum computed (a0 has no
# checksum offload here, so the capture shows what the wire would), and
# plain ESP for the encapsulating SA is not taken.
t_ipv6() {
	local A6=2001:db8::1 B6=2001:db8::2 n ok stats rx sel errs

	scratch_init
	underlay_pair
	in_ns a ethtool -K a0 tx off >/dev/null
	crypto_args gcm128 1
	AB=("${CRYPTO[@]}")
	crypto_args gcm128 2
	BA=("${CRYPTO[@]}")
	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src $A6 dst $B6 "${AB[@]}" "${ENCAP[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src $B6 dst $A6 "${BA[@]}" "${ENCAP[@]}"
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	in_ns a ip link set ipsec0 up
	b_ike b -6
	in_ns b ip link add xfrm0 type xfrm dev b0 if_id 42
	in_ns b ip xfrm state add src $A6 dst $B6 proto esp spi 0x1001 mode tunnel \
		if_id 42 "${AB[@]}" flag af-unspec encap espinudp 4500 4500 ::
	in_ns b ip xfrm state add src $B6 dst $A6 proto esp spi 0x2001 mode tunnel \
		if_id 42 "${BA[@]}" flag af-unspec encap espinudp 4500 4500 ::
	for sel in 0.0.0.0/0 ::/0; do
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir out \
			tmpl src $B6 dst $A6 proto esp mode tunnel if_id 42
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir in \
			tmpl src $A6 dst $B6 proto esp mode tunnel if_id 42
	done
	in_ns b ip addr add 10.0.0.2/24 dev xfrm0
	in_ns b ip addr add fd00::2/64 dev xfrm0 nodad
	in_ns b ip link set xfrm0 up

	# a's interface comes up before b's states exist: what it sends then
	# (MLD, router solicitations) is b's to drop; count from here on.
	errs=$(xfrm_in_errors b)
	pcap_start b b0 wan
	ping_both
	ping_ok a fd00::2
	ping_ok b fd00::1
	pcap_stop wan
	# UDP (next header 17, no extension header): SPI at 48, checksum at 46.
	pcap_all wan "a's ESP in UDP over IPv6" "src host $A6 and udp src port 4500" \
		"udp dst port 4500 and ip6[6] = 17 and ip6[48:4] = 0x1001 and ip6[46:2] != 0" 12
	n=$(pcap_count wan "src host $A6 and udp src port 4500")
	ok=$(pcap_show wan "src host $A6 and udp src port 4500" | grep -c "udp sum ok" || true)
	if [ "$ok" != "$n" ]; then
		pcap_show wan "src host $A6 and udp src port 4500" | head -n 5
		fail "UDP checksum valid on $ok of $n packets"
	fi
	expect_eq "plain ESP from a" 0 "$(pcap_count wan "src host $A6 and ip6[6] = 50")"
	expect_eq "b's UDP checksum errors" 0 "$(snmp6 b Udp6InCsumErrors)"
	expect_eq "xfrm input errors in b" "$errs" "$(xfrm_in_errors b)" ||
		{ in_ns b grep -v ' 0$' /proc/net/xfrm_stat; false; }

	# Plain ESP, valid for SA 2 but for its encapsulation, is not ours:
	# its sequence number, far above what b's xfrm sent, never reaches
	# SA 2's window (the tunnel's own traffic may go on meanwhile).
	[ "$(sa_json a 2 .seq_in)" -lt 1000 ] || fail "SA 2 already at 1000"
	in_ns b espcraft -s $B6 -d $A6 -i 0x2001 -S 10.0.0.2 -D 10.0.0.1 -q 1000 "${BA[@]}"
	sleep 1
	[ "$(sa_json a 2 .seq_in)" -lt 1000 ] ||
		fail "SA 2 took plain ESP (seq-in $(sa_json a 2 .seq_in))"
}

ktap_run \
	"behind masquerade: ping and TCP, ESP in UDP 4500 with checksum 0, no plain ESP" t_nat \
	"keepalives and IKE packets to the port: no SA counter, no UDP error" t_keepalive \
	"an IKE daemon's UDP_ENCAP socket first: ESP through it, IKE to the daemon" t_user_socket \
	"port held without UDP_ENCAP: protect set refused; held only for RX SAs" t_port_in_use \
	"a's address changes behind the NAT: sa update / xfrm state update, sequence numbers go on" t_rebind \
	"IPv6 without NAT: ESP in UDP both ways with a valid UDP checksum; plain ESP not taken" t_ipv6
