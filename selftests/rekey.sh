#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Hitless rekey: two ipsecif ends under echoes every 5 ms both ways rekey a
# thousand times (40 on the slower debug kernel), as VPP does it: add the new SAs, let the new inbound one
# receive, switch the outbound one, and remove an old inbound one only two
# rekeys after its peer stopped sending with it. Not one echo may be lost,
# and every ESP packet of every generation must have been delivered at the
# other end (no replay, integrity or no-protection drop). One ipsecctl
# process per end takes the commands (-batch from a pipe), and the loop
# forks nothing, so that a thousand rekeys take minutes, not hours.
source "$(dirname "$0")/faultlib.sh"

REKEYS=$(scaled 1000 40)

# gcm_key VAR SEED: test_key 20 SEED, into VAR, without a subshell.
gcm_key() {
	local -n key=$1
	local i
	key=0x
	for ((i = 0; i < 20; i++)); do
		printf -v key '%s%02x' "$key" $((($2 * 37 + i * 11 + 7) % 256))
	done
}

SENT=0 DELIVERED=0 DROPPED=0
# account tx|rx: adds the counters of the SA object just read (REPLY),
# from the end that sent with it or from the one that received.
account() {
	local stats=${REPLY#*\"stats\":\{} re
	[[ $stats =~ \"packets\":([0-9]+) ]] || fail "no packets in $REPLY"
	if [ "$1" = tx ]; then
		SENT=$((SENT + BASH_REMATCH[1]))
		return
	fi
	DELIVERED=$((DELIVERED + BASH_REMATCH[1]))
	for re in replay integrity trailer nexthdr runt no_protect crypto expired; do
		[[ $stats =~ \"$re\":([0-9]+) ]] || fail "no $re in $REPLY"
		DROPPED=$((DROPPED + BASH_REMATCH[1]))
	done
}

# Each rekey is one round trip to both ipsecctl processes at once:
#   1. add generation g's SAs; inbound: generations g-2, g-1 and g (g-3
#      leaves: its peer stopped sending with it two rekeys ago); read and
#      delete generation g-3's SAs; "sa show" of a new SA, read back, says
#      all of it was done;
#   2. once both ends receive g: send with g.
# Step 2 of one rekey runs before step 1 of the next at the same end, and
# both ends are through step 1 before either does step 2.
test_rekeys() {
	local g p o q k1 k2 ab ba pab pba oab oba qab qba side
	scratch_init
	pair_setup
	batch_open A a
	batch_open B b
	traffic_start
	for ((g = 1; g <= REKEYS; g++)); do
		p=$((g - 1)) o=$((g - 2)) q=$((g - 3))
		ab=$((2 * g)) ba=$((2 * g + 1)) pab=$((2 * p)) pba=$((2 * p + 1))
		oab=$((2 * o)) oba=$((2 * o + 1)) qab=$((2 * q)) qba=$((2 * q + 1))
		gcm_key k1 "$ab"
		gcm_key k2 "$ba"
		for side in A B; do
			batch $side \
				"sa add $ab spi $((0x10000 + ab)) mode tunnel src 192.0.2.1 dst 192.0.2.2 aead '$GCM' $k1 128 replay-window 1024" \
				"sa add $ba spi $((0x10000 + ba)) mode tunnel src 192.0.2.2 dst 192.0.2.1 aead '$GCM' $k2 128 replay-window 1024"
		done
		if ((o < 0)); then
			batch A "protect set dev ipsec0 tx $pab rx $pba $ba"
			batch B "protect set dev ipsec0 tx $pba rx $pab $ab"
		else
			batch A "protect set dev ipsec0 tx $pab rx $oba $pba $ba"
			batch B "protect set dev ipsec0 tx $pba rx $oab $pab $ab"
		fi
		if ((q >= 0)); then
			batch A "sa show $qab" "sa show $qba" "sa del $qab" "sa del $qba"
			batch B "sa show $qba" "sa show $qab" "sa del $qab" "sa del $qba"
		fi
		batch A "sa show $ab"
		batch B "sa show $ab"
		for side in A B; do
			if ((q >= 0)); then
				batch_read $side
				account tx
				batch_read $side
				account rx
			fi
			batch_read $side
		done
		if ((o < 0)); then
			batch A "protect set dev ipsec0 tx $ab rx $pba $ba"
			batch B "protect set dev ipsec0 tx $ba rx $pab $ab"
		else
			batch A "protect set dev ipsec0 tx $ab rx $oba $pba $ba"
			batch B "protect set dev ipsec0 tx $ba rx $oab $pab $ab"
		fi
	done
	batch_sync A
	batch_sync B
	sleep 0.5
	traffic_stop
	cat "$SCRATCH/ping_a.out" "$SCRATCH/ping_b.out"
	expect_eq "echoes of a lost" 0 "${LOST[a]}"
	expect_eq "echoes of b lost" 0 "${LOST[b]}"
	expect_eq "SAs left on a" 6 "$(in_ns a ipsecctl -j sa show | jq length)"
	# The generations deleted on the way: all they sent was delivered.
	echo "# deleted generations: $SENT sent, $DELIVERED delivered, $DROPPED dropped"
	expect_eq "dropped by the receivers" 0 "$DROPPED"
	expect_eq "delivered" "$SENT" "$DELIVERED"
	[ "$SENT" -gt $((REKEYS * 2)) ] || fail "only $SENT packets in $REKEYS rekeys"
	for g in $((REKEYS - 2)) $((REKEYS - 1)) $REKEYS; do
		all_conserved "$g"
	done
	restored
}

ktap_run "$REKEYS rekeys under traffic, both ends: no loss, no drop" test_rekeys
