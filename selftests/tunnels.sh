#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Many peers: a p2mp hub with 16 spokes (half of them native xfrm; 6 on the
# debug kernel), routed "via" each spoke, and 10 p2p tunnels (4) side by side
# between two namespaces.
source "$(dirname "$0")/lib.sh"

SPOKES=$(scaled 16 6)
TUNNELS=$(scaled 10 4)
GCM=rfc4106\(gcm\(aes\)\)

# Spoke i: underlay 198.18.i.2 (hub 198.18.i.1), tunnel address 10.100.0.(10+i),
# a LAN 10.200.i.0/24 behind it. Odd spokes run native xfrm, even ones ipsecif.
spoke_setup() {
	local i=$1 s=s$1 tx rx
	local hub_ul=198.18.$i.1 spoke_ul=198.18.$i.2 addr=10.100.0.$((10 + i))

	netns_add "$s"
	ip link add "h$i" netns "$(ns hub)" type veth peer name ul0 netns "$(ns "$s")"
	in_ns hub ip addr add "$hub_ul/24" dev "h$i"
	in_ns hub ip link set "h$i" up
	in_ns "$s" ip addr add "$spoke_ul/24" dev ul0
	in_ns "$s" ip link set ul0 up
	in_ns "$s" ip link add lan0 type dummy
	in_ns "$s" ip addr add "10.200.$i.1/24" dev lan0
	in_ns "$s" ip link set lan0 up
	tx=$(test_key 20 "$i")
	rx=$(test_key 20 $((100 + i)))

	# The hub's side: one protection per spoke, keyed by its tunnel address.
	in_ns hub ipsecctl sa add $((1000 + i)) spi $((0x1000 + i)) mode tunnel \
		src "$hub_ul" dst "$spoke_ul" aead "$GCM" "$tx" 128
	in_ns hub ipsecctl sa add $((2000 + i)) spi $((0x2000 + i)) mode tunnel \
		src "$spoke_ul" dst "$hub_ul" aead "$GCM" "$rx" 128
	in_ns hub ipsecctl protect set dev mp0 peer "$addr" tx $((1000 + i)) rx $((2000 + i))
	in_ns hub ip route add "10.200.$i.0/24" via "$addr" dev mp0

	if ((i % 2)); then
		in_ns "$s" ip link add tun0 type xfrm dev ul0 if_id 7
		in_ns "$s" ip xfrm state add src "$hub_ul" dst "$spoke_ul" proto esp \
			spi $((0x1000 + i)) mode tunnel if_id 7 aead "$GCM" "$tx" 128
		in_ns "$s" ip xfrm state add src "$spoke_ul" dst "$hub_ul" proto esp \
			spi $((0x2000 + i)) mode tunnel if_id 7 aead "$GCM" "$rx" 128
		in_ns "$s" ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out \
			tmpl src "$spoke_ul" dst "$hub_ul" proto esp mode tunnel if_id 7
		in_ns "$s" ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir in \
			tmpl src "$hub_ul" dst "$spoke_ul" proto esp mode tunnel if_id 7
	else
		in_ns "$s" ipsecctl sa add 1 spi $((0x2000 + i)) mode tunnel \
			src "$spoke_ul" dst "$hub_ul" aead "$GCM" "$rx" 128
		in_ns "$s" ipsecctl sa add 2 spi $((0x1000 + i)) mode tunnel \
			src "$hub_ul" dst "$spoke_ul" aead "$GCM" "$tx" 128
		in_ns "$s" ipsecctl link add tun0
		in_ns "$s" ipsecctl protect set dev tun0 tx 1 rx 2
	fi
	in_ns "$s" ip addr add "$addr/24" dev tun0
	in_ns "$s" ip link set tun0 up
}

hub_setup() {
	local i
	netns_add hub
	in_ns hub ipsecctl link add mp0 mode p2mp
	in_ns hub ip addr add 10.100.0.1/24 dev mp0
	in_ns hub ip link set mp0 up
	for i in $(seq $SPOKES); do
		spoke_setup "$i"
	done
}

reach_spoke() {
	in_ns hub ping -c 1 -W 3 "10.200.$1.1" >/dev/null
}

test_hub_and_spokes() {
	local i dropped

	hub_setup
	for i in $(seq $SPOKES); do
		reach_spoke "$i" || fail "spoke $i unreachable"
	done
	# Every spoke's TX SA at the hub carried its traffic, and only its own.
	for i in $(seq $SPOKES); do
		[ "$(in_ns hub ipsecctl -j -s sa show $((1000 + i)) | jq '.[0].stats.packets')" -ge 1 ] ||
			fail "SA of spoke $i unused"
	done

	# Deleting one protection cuts only that peer, and counts its drops.
	dropped=$(in_ns hub ip -s -j link show dev mp0 | jq '.[0].stats64.tx.dropped')
	in_ns hub ipsecctl protect del dev mp0 peer 10.100.0.15
	! reach_spoke 5 || fail "spoke 5 reachable without a protection"
	[ "$(in_ns hub ip -s -j link show dev mp0 | jq '.[0].stats64.tx.dropped')" -gt "$dropped" ] ||
		fail "no-protection drop not counted"
	for i in $(seq $SPOKES); do
		[ "$i" = 5 ] && continue
		reach_spoke "$i" || fail "spoke $i lost when spoke 5 was cut"
	done
}

test_p2p_side_by_side() {
	local n ab ba

	underlay_pair
	for n in $(seq "$TUNNELS"); do
		ab=$(test_key 36 "$n")
		ba=$(test_key 36 $((50 + n)))
		in_ns a ipsecctl sa add "$n" spi $((0x3000 + n)) mode tunnel src 192.0.2.1 \
			dst 192.0.2.2 aead 'rfc7539esp(chacha20,poly1305)' "$ab" 128
		in_ns a ipsecctl sa add $((100 + n)) spi $((0x4000 + n)) mode tunnel src 192.0.2.2 \
			dst 192.0.2.1 aead 'rfc7539esp(chacha20,poly1305)' "$ba" 128
		in_ns b ipsecctl sa add "$n" spi $((0x4000 + n)) mode tunnel src 192.0.2.2 \
			dst 192.0.2.1 aead 'rfc7539esp(chacha20,poly1305)' "$ba" 128
		in_ns b ipsecctl sa add $((100 + n)) spi $((0x3000 + n)) mode tunnel src 192.0.2.1 \
			dst 192.0.2.2 aead 'rfc7539esp(chacha20,poly1305)' "$ab" 128
		for side in a b; do
			in_ns $side ipsecctl link add "t$n"
			in_ns $side ipsecctl protect set dev "t$n" tx "$n" rx $((100 + n))
			in_ns $side ip link set "t$n" up
		done
		in_ns a ip addr add "10.50.$n.1/30" dev "t$n"
		in_ns b ip addr add "10.50.$n.2/30" dev "t$n"
	done
	for n in $(seq "$TUNNELS"); do
		in_ns a ping -c 3 -i 0.2 -W 3 "10.50.$n.2" >/dev/null || fail "tunnel $n down"
	done
	for n in $(seq "$TUNNELS"); do
		for side in a b; do
			[ "$(in_ns $side ipsecctl -j -s sa show "$n" | jq '.[0].stats.packets')" -ge 3 ] ||
				fail "tunnel $n: TX SA of $side carried too little"
		done
	done
}

ktap_run \
	"p2mp hub with $SPOKES spokes (half native xfrm); one protection cut alone" test_hub_and_spokes \
	"$TUNNELS p2p tunnels side by side, each on its own SAs" test_p2p_side_by_side
