#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hitless rekey: two ipsecif ends under continuous traffic both run
# add-new-RX -> switch-TX -> remove-old-RX twenty times; not one packet may
# be lost or dropped as a replay (five times on the debug kernel).
source "$(dirname "$0")/lib.sh"

REKEYS=$(scaled 20 5)
GCM=rfc4106\(gcm\(aes\)\)

# add_pair GEN: SAs a->b (id 2*GEN) and b->a (id 2*GEN+1) on both sides.
add_pair() {
	local g=$1 ab ba
	ab=$(test_key 20 $((2 * g)))
	ba=$(test_key 20 $((2 * g + 1)))
	for side in a b; do
		in_ns $side ipsecctl sa add $((2 * g)) spi $((0x10000 + 2 * g)) mode tunnel \
			src 192.0.2.1 dst 192.0.2.2 aead "$GCM" "$ab" 128 replay-window 256
		in_ns $side ipsecctl sa add $((2 * g + 1)) spi $((0x10000 + 2 * g + 1)) mode tunnel \
			src 192.0.2.2 dst 192.0.2.1 aead "$GCM" "$ba" 128 replay-window 256
	done
}

# The TX SA of a is the RX SA of b and the other way round.
tx_of() { [ "$1" = a ] && echo $((2 * $2)) || echo $((2 * $2 + 1)); }
rx_of() { [ "$1" = a ] && echo $((2 * $2 + 1)) || echo $((2 * $2)); }

REPLAYS=0
# Deletes generation GEN's SAs, adding up their replay drops first.
del_pair() {
	local g=$1 side id
	for side in a b; do
		for id in $((2 * g)) $((2 * g + 1)); do
			REPLAYS=$((REPLAYS + $(in_ns $side ipsecctl -j -s sa show $id | jq '.[0].stats.replay')))
			in_ns $side ipsecctl sa del $id
		done
	done
}

test_rekey_under_traffic() {
	local g side pa pb loss

	underlay_pair
	add_pair 0
	for side in a b; do
		in_ns $side ipsecctl link add ipsec0
		in_ns $side ipsecctl protect set dev ipsec0 tx "$(tx_of $side 0)" rx "$(rx_of $side 0)"
		in_ns $side ip link set ipsec0 up
	done
	in_ns a ip addr add 10.0.0.1/30 dev ipsec0
	in_ns b ip addr add 10.0.0.2/30 dev ipsec0
	in_ns a ping -c 1 -W 3 10.0.0.2 >/dev/null

	# "ip netns exec" becomes ping itself, so the PID is ping's.
	ip netns exec "$(ns a)" ping -i 0.01 -w 600 -q 10.0.0.2 > /tmp/rekey-a.$$ 2>&1 &
	pa=$!
	ip netns exec "$(ns b)" ping -i 0.01 -w 600 -q 10.0.0.1 > /tmp/rekey-b.$$ 2>&1 &
	pb=$!
	sleep 1
	for g in $(seq $REKEYS); do
		add_pair "$g"
		for side in a b; do
			in_ns $side ipsecctl protect set dev ipsec0 tx "$(tx_of $side $((g - 1)))" \
				rx "$(rx_of $side $((g - 1)))" "$(rx_of $side "$g")"
		done
		for side in a b; do
			in_ns $side ipsecctl protect set dev ipsec0 tx "$(tx_of $side "$g")" \
				rx "$(rx_of $side $((g - 1)))" "$(rx_of $side "$g")"
		done
		# Let what was sent under the old SAs arrive.
		sleep 0.2
		for side in a b; do
			in_ns $side ipsecctl protect set dev ipsec0 tx "$(tx_of $side "$g")" \
				rx "$(rx_of $side "$g")"
		done
		del_pair $((g - 1))
	done
	sleep 1
	kill -INT $pa $pb
	wait $pa $pb || true
	cat /tmp/rekey-a.$$ /tmp/rekey-b.$$
	for side in a b; do
		loss=$(sed -n 's/.* \([0-9.]*\)% packet loss.*/\1/p' /tmp/rekey-$side.$$)
		expect_eq "packet loss from $side" 0 "$loss"
	done
	rm -f /tmp/rekey-a.$$ /tmp/rekey-b.$$
	del_pair "$REKEYS" 2>/dev/null || true
	expect_eq "replay drops" 0 "$REPLAYS"
}

ktap_run "$REKEYS rekeys under traffic, both ends: no loss, no replay drop" test_rekey_under_traffic
