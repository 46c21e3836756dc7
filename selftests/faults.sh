#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Faults under traffic. Two ipsecif ends, "a" and "b", over a veth pair,
# exchange echoes every few milliseconds (or TCP) while one thing after
# another is done to them: protections deleted and set again, SAs deleted
# under the datapath, the link flapped, its MTU changed, the interface
# deleted, its netns or its underlay netns deleted, the module removed,
# and netlink hammered by four processes (failslab.sh: allocations failing
# in configuration and in the datapath). Each test ends
# with traffic restored where it should be, and with every ESP packet one
# end sent accounted for at the other end: delivered, or dropped for a
# counted reason. The runner fails the run on any splat, and the debug
# kernel's kmemleak scan after the suite on any leak. (rekey.sh: a thousand
# rekeys under traffic.)
source "$(dirname "$0")/faultlib.sh"

# Protections deleted and set again under traffic: what arrives meanwhile
# is dropped and counted (no protection), what is sent meanwhile is not
# sent; afterwards traffic flows on the same SAs.
test_protect_del_readd() {
	local i side
	scratch_init
	pair_setup
	traffic_start
	for i in $(seq "$LOOPS"); do
		side=$([ $((i % 2)) = 0 ] && echo a || echo b)
		in_ns $side ipsecctl protect del dev ipsec0
		sleep 0.02
		in_ns $side ipsecctl protect set dev ipsec0 tx "$(tx_of $side 0)" \
			rx "$(rx_of $side 0)"
	done
	traffic_stop
	[ "$(sa_json a "$(rx_of a 0)" .stats.no_protect)" -gt 0 ] ||
		fail "nothing was dropped for want of a protection on a"
	all_conserved 0
	restored
	all_conserved 0
}

# SAs deleted the moment they leave the protection, while packets that
# use them may be in flight: the datapath holds its own references.
test_sa_del_races_datapath() {
	local g side
	scratch_init
	pair_setup
	batch_open A a
	batch_open B b
	traffic_start
	for g in $(seq "$LOOPS"); do
		for side in a b; do
			batch "${side^}" "$(sa_add_lines "$g")" \
				"protect set dev ipsec0 tx $(tx_of $side "$g") rx $(rx_of $side "$g")" \
				"sa del $(ab_id $((g - 1)))" "sa del $(ba_id $((g - 1)))"
		done
		batch_sync A
		batch_sync B
	done
	traffic_stop
	expect_eq "SAs left on b" 2 "$(in_ns b ipsecctl -j sa show | jq length)"
	restored
	# Each end switches without waiting for the other to have the SA.
	CONSERVE_NO_STATE=1 all_conserved "$LOOPS"
}

test_link_flap() {
	local i side
	scratch_init
	pair_setup
	traffic_start
	for i in $(seq "$LOOPS"); do
		side=$([ $((i % 2)) = 0 ] && echo a || echo b)
		in_ns $side ip link set ipsec0 down
		sleep 0.02
		in_ns $side ip link set ipsec0 up
	done
	traffic_stop
	all_conserved 0
	restored
	all_conserved 0
}

# TCP runs while the MTU of a's interface changes under it; packets larger
# than the MTU are refused by the stack, nothing splats, TCP adapts.
test_mtu_changes() {
	local i mtus=(1400 1280 1500 576 9000 1438 1300)
	scratch_init
	pair_setup
	in_ns b iperf3 -s -1 -D -B 10.0.0.2 >/dev/null
	sleep 0.5
	bg_start a iperf iperf3 -c 10.0.0.2 -t 60 -J
	sleep 1
	for i in $(seq "$LOOPS"); do
		in_ns a ip link set ipsec0 mtu "${mtus[$((i % ${#mtus[@]}))]}"
		in_ns b ip link set ipsec0 mtu "${mtus[$(((i + 3) % ${#mtus[@]}))]}"
		sleep 0.1
	done
	in_ns a ip link set ipsec0 mtu 1400
	in_ns b ip link set ipsec0 mtu 1400
	bg_stop iperf
	sleep 1
	all_conserved 0
	restored
	in_ns b iperf3 -s -1 -D -B 10.0.0.2 >/dev/null
	sleep 0.5
	in_ns a timeout 30 iperf3 -c 10.0.0.2 -t 2 -J |
		jq -e '.end.sum_received.bytes > 0' >/dev/null || fail "no TCP afterwards"
}

# "ip link del" under traffic; the SAs stay, a new interface takes them
# over and traffic flows again with the sequence numbers going on.
test_link_del() {
	local i
	scratch_init
	pair_setup
	traffic_start
	for i in $(seq 5); do
		kmsg_mark
		in_ns a ip link del ipsec0
		wait_kmsg_count "ipsec0: interface destroyed" 1
		in_ns a ipsecctl link add ipsec0
		in_ns a sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
		in_ns a ipsecctl protect set dev ipsec0 tx "$(tx_of a 0)" rx "$(rx_of a 0)"
		in_ns a ip addr add 10.0.0.1/24 dev ipsec0
		in_ns a ip link set ipsec0 up
		sleep 0.2
	done
	traffic_stop
	all_conserved 0
	restored
	expect_eq "replay drops at b" 0 "$(sa_json b "$(tx_of a 0)" .stats.replay)"
}

# The interface lives in netns c, its underlay is a: deleting c under
# traffic takes the interface (and its protection) with it; a new interface
# in a takes over.
test_iface_netns_deleted() {
	local side
	scratch_init
	underlay_pair
	netns_add c
	in_ns a ipsecctl link add ipsec0
	in_ns a ip link set ipsec0 netns "$(ns c)"
	in_ns b ipsecctl link add ipsec0
	# SAs and protections are configured where the interface lives.
	for side in b c; do
		sa_add_lines 0 | in_ns $side ipsecctl -batch -
		in_ns $side sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
		in_ns $side ipsecctl protect set dev ipsec0 \
			tx "$(tx_of "${side/c/a}" 0)" rx "$(rx_of "${side/c/a}" 0)"
		in_ns $side ip link set ipsec0 up
	done
	in_ns c ip addr add 10.0.0.1/24 dev ipsec0
	in_ns b ip addr add 10.0.0.2/24 dev ipsec0
	in_ns c ping -c 1 -W 3 10.0.0.2 >/dev/null || { state; fail "no echo from c"; }
	bg_start c ping_c ping -i 0.005 -q 10.0.0.2
	bg_start b ping_b ping -i 0.005 -q 10.0.0.1
	sleep 1
	# A process in c would keep c alive: c's own echoes stop, b's go on.
	bg_stop ping_c
	kmsg_mark
	ip netns del "$(ns c)"
	wait_kmsg_count "ipsec0: interface destroyed" 1
	bg_stop ping_b
	# A new interface in a, and new SAs (b's window is ahead of any
	# generation 0 that a would start afresh).
	sa_add_lines 1 | in_ns a ipsecctl -batch -
	sa_add_lines 1 | in_ns b ipsecctl -batch -
	in_ns b ipsecctl protect set dev ipsec0 tx "$(tx_of b 1)" rx "$(rx_of b 1)"
	in_ns a ipsecctl link add ipsec0
	in_ns a sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
	in_ns a ipsecctl protect set dev ipsec0 tx "$(tx_of a 1)" rx "$(rx_of a 1)"
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip link set ipsec0 up
	restored
	all_conserved 1
}

# The underlay netns (a) deleted under traffic: the interface, in c, loses
# its carrier; echoes from it go nowhere; it stays configurable and goes
# when deleted, with its protection and SAs.
test_underlay_netns_deleted() {
	local side
	scratch_init
	underlay_pair
	netns_add c
	in_ns a ipsecctl link add ipsec0
	in_ns a ip link set ipsec0 netns "$(ns c)"
	in_ns b ipsecctl link add ipsec0
	for side in b c; do
		sa_add_lines 0 | in_ns $side ipsecctl -batch -
		in_ns $side sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
		in_ns $side ipsecctl protect set dev ipsec0 \
			tx "$(tx_of "${side/c/a}" 0)" rx "$(rx_of "${side/c/a}" 0)"
		in_ns $side ip link set ipsec0 up
	done
	in_ns c ip addr add 10.0.0.1/24 dev ipsec0
	in_ns b ip addr add 10.0.0.2/24 dev ipsec0
	in_ns c ping -c 1 -W 3 10.0.0.2 >/dev/null || { state; fail "no echo from c"; }
	bg_start c ping_c ping -i 0.005 -q 10.0.0.2
	bg_start b ping_b ping -i 0.005 -q 10.0.0.1
	sleep 1
	kmsg_mark
	ip netns del "$(ns a)"
	wait_kmsg_count "ipsec0: underlay netns exiting" 1
	sleep 0.5
	bg_stop ping_c
	bg_stop ping_b
	expect_eq "carrier" false "$(in_ns c ipsecctl -j link show | jq '.[0].carrier')"
	expect_eq "echoes answered without an underlay" 0 \
		"$(ping_received c -c 3 -i 0.1 -W 1 10.0.0.2)"
	in_ns c ipsecctl protect del dev ipsec0
	in_ns c ipsecctl sa flush
	kmsg_mark
	in_ns c ip link del ipsec0
	wait_kmsg_count "ipsec0: interface destroyed" 1
}

# rmmod with interfaces, SAs, protections, SPDs and policies present and
# traffic flowing; the module comes back and works.
test_rmmod_under_traffic() {
	scratch_init
	pair_setup
	netns_add d
	in_ns d ip link add d0 type dummy
	in_ns d ipsecctl spd add 1
	in_ns d ipsecctl spd attach 1 dev d0
	in_ns d ipsecctl policy add spd 1 priority 10 dir out action bypass
	traffic_start
	kmsg_mark
	rmmod ipsecif
	[ ! -e /sys/module/ipsecif ] || fail "module still loaded"
	traffic_stop
	modprobe ipsecif
	! link_exists a ipsec0 || fail "ipsec0 survived rmmod"
	for side in a b; do
		expect_eq "SAs after reload ($side)" 0 "$(in_ns $side ipsecctl -j sa show | jq length)"
	done
	netns_cleanup
	pair_setup
	restored
}

# Four processes add, delete and dump SAs, SPDs and policies of their own
# as fast as they can while traffic flows on SAs none of them touches.
hammer() {
	local base=$1 i id
	for i in $(seq 40); do
		id=$((base + i))
		echo "sa add $id spi $((0x100000 + id)) mode tunnel src 192.0.2.1" \
			"dst 192.0.2.2 aead '$GCM' $(test_key 20 "$id") 128"
		echo "spd add $id"
		echo "policy add spd $id priority 10 dir out action protect sa $id" \
			"remote 10.$((i % 256)).0.0/16"
		echo "sa show"
		echo "spd show"
		echo "policy show spd $id"
		echo "policy del spd $id priority 10 dir out action protect sa $id" \
			"remote 10.$((i % 256)).0.0/16"
		echo "spd del $id"
		echo "sa del $id"
	done
}

test_netlink_hammer() {
	local p pids=()
	scratch_init
	pair_setup
	traffic_start
	for p in 1 2 3 4; do
		hammer $((p * 1000)) | in_ns a ipsecctl -j -batch - >/dev/null &
		pids+=("$!")
	done
	for p in "${pids[@]}"; do
		wait "$p" || fail "a hammering process failed"
	done
	traffic_stop
	expect_eq "echoes of a lost" 0 "${LOST[a]}"
	expect_eq "echoes of b lost" 0 "${LOST[b]}"
	expect_eq "SAs left" 2 "$(in_ns a ipsecctl -j sa show | jq length)"
	expect_eq "SPDs left" 0 "$(in_ns a ipsecctl -j spd show | jq length)"
	all_conserved 0
}

ktap_run \
	"protection deleted and set again under traffic" test_protect_del_readd \
	"SAs deleted as they leave the protection, under traffic" test_sa_del_races_datapath \
	"link flapping down/up under traffic" test_link_flap \
	"MTU changes under TCP" test_mtu_changes \
	"ip link del under traffic; a new interface takes the SAs over" test_link_del \
	"the interface's netns deleted under traffic" test_iface_netns_deleted \
	"the underlay netns deleted under traffic" test_underlay_netns_deleted \
	"rmmod with interfaces, SAs and SPDs present, under traffic" test_rmmod_under_traffic \
	"4 processes hammer netlink under traffic" test_netlink_hammer
