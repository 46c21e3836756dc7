#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Protections: p2p and p2mp addressing, the carrier rule, SA mode and
# ownership checks, replacement, what show reports, and that an interface
# that is down receives nothing.
source "$(dirname "$0")/lib.sh"

KEY=$(test_key 20 1)

add_sa() {
	local id=$1 mode=$2
	shift 2
	if [ "$mode" = transport ]; then
		in_ns a ipsecctl sa add "$id" spi "$((0x1000 + id))" mode transport \
			aead 'rfc4106(gcm(aes))' "$KEY" 128
	else
		in_ns a ipsecctl sa add "$id" spi "$((0x1000 + id))" mode tunnel \
			src 192.0.2.1 dst 192.0.2.2 aead 'rfc4106(gcm(aes))' "$KEY" 128
	fi
}

carrier() {
	in_ns a ipsecctl -j link show "$1" | jq -r '.[0].carrier'
}

test_p2p_carrier() {
	netns_add a
	add_sa 1 tunnel
	add_sa 2 tunnel
	in_ns a ipsecctl link add ipsec0
	in_ns a ip link set ipsec0 up
	expect_eq "no protection" false "$(carrier ipsec0)"
	in_ns a ipsecctl protect set dev ipsec0 rx 2
	expect_eq "RX only" false "$(carrier ipsec0)"
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	expect_eq "TX set" true "$(carrier ipsec0)"
	in_ns a ipsecctl protect set dev ipsec0 rx 2
	expect_eq "TX removed" false "$(carrier ipsec0)"
	in_ns a ipsecctl protect set dev ipsec0 tx 1
	in_ns a ipsecctl protect del dev ipsec0
	expect_eq "deleted" false "$(carrier ipsec0)"
}

test_show() {
	netns_add a
	add_sa 1 tunnel
	add_sa 2 tunnel
	add_sa 3 tunnel
	add_sa 4 tunnel
	add_sa 5 tunnel
	add_sa 6 tunnel
	in_ns a ipsecctl link add p2p0
	in_ns a ipsecctl link add mp0 mode p2mp
	in_ns a ipsecctl protect set dev p2p0 tx 1 rx 2 3
	in_ns a ipsecctl protect set dev mp0 peer 10.0.0.2 tx 4 rx 5
	in_ns a ipsecctl protect set dev mp0 peer fd00::2 rx 6
	expect_eq "p2p" '{"tx":1,"rx":[2,3]}' \
		"$(in_ns a ipsecctl -j protect show dev p2p0 | jq -c '.[0] | {tx, rx}')"
	expect_eq "p2mp" '[{"peer":"10.0.0.2","tx":4,"rx":[5]},{"peer":"fd00::2","tx":null,"rx":[6]}]' \
		"$(in_ns a ipsecctl -j protect show dev mp0 | jq -c '[.[] | {peer, tx, rx}] | sort_by(.peer)')"
	expect_eq "all" 3 "$(in_ns a ipsecctl -j protect show | jq length)"
	in_ns a ipsecctl protect show dev p2p0 | grep -q "dev p2p0 tx 1 rx 2 3" ||
		fail "text: $(in_ns a ipsecctl protect show dev p2p0)"
}

test_refused() {
	netns_add a
	add_sa 1 tunnel
	add_sa 2 tunnel
	add_sa 3 transport
	in_ns a ipsecctl link add p2p0
	in_ns a ipsecctl link add p2p1
	in_ns a ipsecctl link add mp0 mode p2mp
	in_ns a ipsecctl link add ipip0 local 192.0.2.1 remote 192.0.2.2
	in_ns a ip link add dummy0 type dummy
	expect_fail "must be tunnel mode" in_ns a ipsecctl protect set dev p2p0 tx 3
	expect_fail "must be tunnel mode" in_ns a ipsecctl protect set dev p2p0 rx 3
	# With local/remote, a tunnel-mode SA means two encapsulations: allowed.
	in_ns a ipsecctl protect set dev ipip0 tx 1
	in_ns a ipsecctl protect set dev ipip0 tx 3
	expect_fail "has no peers" in_ns a ipsecctl protect set dev p2p0 peer 10.0.0.2 tx 1
	expect_fail "needs the peer" in_ns a ipsecctl protect set dev mp0 tx 1
	expect_fail "no SA with this id" in_ns a ipsecctl protect set dev p2p0 tx 9
	expect_fail "not an ipsecif interface" in_ns a ipsecctl protect set dev dummy0 tx 1
	expect_fail "no such interface" in_ns a ipsecctl protect set dev nosuch0 tx 1
	expect_fail "listed twice" in_ns a ipsecctl protect set dev p2p0 rx 1 1
	in_ns a ipsecctl protect set dev p2p0 tx 1 rx 2
	expect_fail "used by another protection" in_ns a ipsecctl protect set dev p2p1 tx 1
	expect_fail "used by another protection" in_ns a ipsecctl protect set dev mp0 peer 10.0.0.9 rx 2
	expect_fail "no such protection" in_ns a ipsecctl protect del dev mp0 peer 10.0.0.9
	# Nothing of the refused requests stuck.
	expect_eq "p2p1" 0 "$(in_ns a ipsecctl -j protect show dev p2p1 | jq length)"
	expect_eq "mp0" 0 "$(in_ns a ipsecctl -j protect show dev mp0 | jq length)"
	expect_eq "p2p0" '{"tx":1,"rx":[2]}' \
		"$(in_ns a ipsecctl -j protect show dev p2p0 | jq -c '.[0] | {tx, rx}')"
}

test_replace() {
	netns_add a
	add_sa 1 tunnel
	add_sa 2 tunnel
	add_sa 3 tunnel
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	# A replacement may reuse SAs of the entry it replaces, and frees the rest.
	in_ns a ipsecctl protect set dev ipsec0 tx 3 rx 2
	in_ns a ipsecctl sa del 1
	expect_fail "used by a protection" in_ns a ipsecctl sa del 3
	expect_eq "entry" '{"tx":3,"rx":[2]}' \
		"$(in_ns a ipsecctl -j protect show | jq -c '.[0] | {tx, rx}')"
}

# A tunnel between an ipsecif in a and a native xfrm interface in b; extra
# arguments go to a's TX SA.
tunnel() {
	local ab ba
	underlay_pair
	ab=$(test_key 20 1)
	ba=$(test_key 20 2)
	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		aead 'rfc4106(gcm(aes))' "$ab" 128 "$@"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src 192.0.2.2 dst 192.0.2.1 \
		aead 'rfc4106(gcm(aes))' "$ba" 128
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip link set ipsec0 up
	in_ns b ip link add xfrm0 type xfrm dev b0 if_id 42
	in_ns b ip xfrm state add src 192.0.2.1 dst 192.0.2.2 proto esp spi 0x1001 \
		mode tunnel if_id 42 aead 'rfc4106(gcm(aes))' "$ab" 128
	in_ns b ip xfrm state add src 192.0.2.2 dst 192.0.2.1 proto esp spi 0x2001 \
		mode tunnel if_id 42 aead 'rfc4106(gcm(aes))' "$ba" 128
	in_ns b ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out \
		tmpl src 192.0.2.2 dst 192.0.2.1 proto esp mode tunnel if_id 42
	in_ns b ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir in \
		tmpl src 192.0.2.1 dst 192.0.2.2 proto esp mode tunnel if_id 42
	in_ns b ip addr add 10.0.0.2/24 dev xfrm0
	in_ns b ip link set xfrm0 up
	in_ns a ping -c 1 -W 3 10.0.0.2 >/dev/null
}

test_down_drops_rx() {
	local before

	tunnel
	in_ns a ip link set ipsec0 down
	before=$(in_ns a ipsecctl -j -s sa show 2 | jq '.[0].stats.no_protect')
	! in_ns b ping -c 2 -i 0.2 -W 1 10.0.0.1 >/dev/null || fail "reply from a down interface"
	[ "$(in_ns a ipsecctl -j -s sa show 2 | jq '.[0].stats.no_protect')" -ge $((before + 2)) ] ||
		fail "drops not counted"
	in_ns a ip link set ipsec0 up
	in_ns b ping -c 1 -W 3 10.0.0.1 >/dev/null
}

test_rx_sa_without_protection() {
	tunnel
	in_ns a ipsecctl protect set dev ipsec0 tx 1
	! in_ns b ping -c 2 -i 0.2 -W 1 10.0.0.1 >/dev/null || fail "delivered without RX SA"
	[ "$(in_ns a ipsecctl -j -s sa show 2 | jq '.[0].stats.no_protect')" -ge 2 ] ||
		fail "no_protect not counted"
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns b ping -c 1 -W 3 10.0.0.1 >/dev/null
}

# RFC 4303 3.3.3: without ESN, the TX SA stops after sequence number 2^32-1.
test_sequence_exhausted() {
	local out sent received

	tunnel seq-out $((0xffffffff - 40))
	# 60 echoes: the first ones go out with the last sequence numbers (some
	# are used by IPv6 control traffic meanwhile), the rest are dropped.
	out=$(in_ns a ping -c 60 -i 0.02 -W 2 10.0.0.2 2>&1) || true
	read -r sent received < <(sed -n 's/^\([0-9]*\) packets transmitted, \([0-9]*\) received.*/\1 \2/p' <<<"$out")
	[ "$received" -ge 1 ] && [ "$received" -le 40 ] || fail "$out"
	[ "$(in_ns a ipsecctl -j -s sa show 1 | jq '.[0].stats.seq_exhausted')" -ge $((sent - received)) ] ||
		fail "drops not counted as seq-exhausted"
	expect_eq "last sent" $((0xffffffff)) \
		"$(in_ns a ipsecctl -j sa show 1 | jq '.[0].seq_out')"
	expect_fail "without ESN the sequence number is 32 bits" \
		in_ns a ipsecctl sa add 9 spi 0x9 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		aead 'rfc4106(gcm(aes))' "$(test_key 20 9)" 128 seq-out $((0x100000000))
	# With ESN the counter goes on past 2^32.
	in_ns a ipsecctl sa add 9 spi 0x9 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		aead 'rfc4106(gcm(aes))' "$(test_key 20 9)" 128 esn seq-out $((0x100000000))
}

# The interface counts the inner packets it sends, as the xfrm interface
# at the other end counts them received: not the ESP around them.
test_tx_bytes_inner() {
	local tx0 rx0 tx rx
	tunnel
	# no IPv6 router solicitations or MLD reports in the count
	in_ns a sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
	tx0=$(in_ns a ip -s -j link show dev ipsec0 | jq -c '.[0].stats64.tx | [.packets, .bytes]')
	rx0=$(in_ns b ip -s -j link show dev xfrm0 | jq -c '.[0].stats64.rx | [.packets, .bytes]')
	in_ns a ping -c 10 -i 0.05 -s 1000 -W 2 10.0.0.2 >/dev/null
	tx=$(in_ns a ip -s -j link show dev ipsec0 | jq -c --argjson o "$tx0" \
	     '.[0].stats64.tx | [.packets - $o[0], .bytes - $o[1]]')
	rx=$(in_ns b ip -s -j link show dev xfrm0 | jq -c --argjson o "$rx0" \
	     '.[0].stats64.rx | [.packets - $o[0], .bytes - $o[1]]')
	# 10 echoes of 1,028 bytes of IPv4; nothing else is sent meanwhile
	expect_eq "a's TX [packets, bytes]" "[10,10280]" "$tx"
	expect_eq "b's RX [packets, bytes]" "$tx" "$rx"
}

ktap_run \
	"p2p carrier follows the TX SA" test_p2p_carrier \
	"protect show reports p2p and p2mp (IPv4/IPv6 peers)" test_show \
	"bad protections refused with their message, nothing changed" test_refused \
	"replacing a protection keeps shared SAs, frees the others" test_replace \
	"an interface that is down drops what it receives, counted" test_down_drops_rx \
	"an RX SA in no protection delivers nothing, counted" test_rx_sa_without_protection \
	"without ESN the TX SA stops after 2^32-1, counted" test_sequence_exhausted \
	"TX counters count inner packets, as the peer's RX does" test_tx_bytes_inner
