#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Network namespaces: the netns an interface is created in is its underlay
# and stays so when the interface moves (as WireGuard); the interface dies
# with the netns it lives in; losing the underlay netns leaves it carrier-less
# but alive and deletable.
source "$(dirname "$0")/lib.sh"

test_moved_keeps_underlay() {
	local nsid

	netns_add a
	netns_add b
	in_ns a ipsecctl link add ipsec0 table 7 fwmark 9
	in_ns a ip link set ipsec0 netns "$(ns b)"
	! link_exists a ipsec0 || fail "still in a"
	link_exists b ipsec0
	nsid=$(in_ns b ip netns list-id | awk -v n="$(ns a)" '$4 == n { print $2 }')
	[ -n "$nsid" ] || nsid=$(in_ns b ip -j link show dev ipsec0 | jq -r '.[0].link_netnsid')
	expect_eq "ip link-netnsid" "$nsid" \
		"$(in_ns b ip -j link show dev ipsec0 | jq -r '.[0].link_netnsid')"
	expect_eq "ipsecctl link_netnsid" "$nsid" \
		"$(in_ns b ipsecctl -j link show | jq -r '.[0].link_netnsid')"
	# Still configurable where it lives now, options intact.
	in_ns b ip link set ipsec0 up
	in_ns b ipsecctl link set ipsec0 fwmark 10
	expect_eq options "p2p 7 10" \
		"$(in_ns b ipsecctl -j link show | jq -r '.[0] | "\(.mode) \(.table) \(.fwmark)"')"
}

test_created_into_other_netns() {
	netns_add a
	netns_add b
	in_ns a ip link add ipsec0 netns "$(ns b)" type ipsecif
	link_exists b ipsec0
	in_ns b ip -j link show dev ipsec0 | jq -e '.[0].link_netnsid != null' >/dev/null ||
		fail "underlay is not the creating netns"
}

test_dies_with_netns() {
	netns_add a
	netns_add b
	kmsg_mark
	in_ns a ip link add ipsec0 type ipsecif
	in_ns a ip link set ipsec0 netns "$(ns b)"
	in_ns b ip link add ipsec1 type ipsecif
	in_ns b ipsecctl link add mp1 mode p2mp
	ip netns del "$(ns b)"
	wait_kmsg_count "interface destroyed" 3
	link_exists a lo
}

test_underlay_netns_deleted() {
	netns_add a
	netns_add b
	kmsg_mark
	in_ns a ipsecctl link add ipsec0 mode p2mp
	in_ns a ip link set ipsec0 netns "$(ns b)"
	in_ns b ip link set ipsec0 up
	expect_eq "carrier before" true "$(in_ns b ipsecctl -j link show | jq '.[0].carrier')"
	ip netns del "$(ns a)"
	wait_kmsg_count "ipsec0: underlay netns exiting" 1
	link_exists b ipsec0
	expect_eq "carrier after" false "$(in_ns b ipsecctl -j link show | jq '.[0].carrier')"
	expect_eq "no underlay" null "$(in_ns b ip -j link show dev ipsec0 | jq '.[0].link_netnsid')"
	# Still usable as a (dead) interface, and deletable.
	in_ns b ip addr add 10.9.0.1/24 dev ipsec0
	! in_ns b ping -c 1 -W 1 10.9.0.2 >/dev/null 2>&1
	in_ns b ip link del ipsec0
	wait_kmsg_count "ipsec0: interface destroyed" 1
}

test_many_in_dying_netns() {
	local i

	netns_add a
	kmsg_mark
	for i in $(seq 20); do
		in_ns a ip link add "ipsec$i" type ipsecif
	done
	ip netns del "$(ns a)"
	wait_kmsg_count "interface destroyed" 20
}

# The outer route is looked up with the link's fwmark: with the underlay
# route only in a table that an "ip rule fwmark" selects, the tunnel works
# only once the link has that mark.
test_fwmark_selects_underlay_route() {
	local errs

	xfrm_pair 4 4
	in_ns a ip route del 192.0.2.0/24 dev a0
	in_ns a ip route add 192.0.2.0/24 dev a0 table 100
	in_ns a ip rule add fwmark 0x10 lookup 100
	errs=$(in_ns a ip -j -s link show dev ipsec0 | jq '.[0].stats64.tx.carrier_errors')
	[ "$(in_ns a ping -c 2 -W 1 -i 0.2 10.0.0.2 >/dev/null 2>&1; echo $?)" != 0 ] ||
		fail "the tunnel worked without a route to its peer"
	expect_eq "carrier errors without the mark" $((errs + 2)) \
		"$(in_ns a ip -j -s link show dev ipsec0 | jq '.[0].stats64.tx.carrier_errors')"
	in_ns a ipsecctl link set ipsec0 fwmark 0x10
	in_ns a ping -c 3 -W 2 -i 0.2 10.0.0.2 >/dev/null ||
		{ xfrm_pair_state; fail "no ping with fwmark 0x10"; }
}

ktap_run \
	"moved interface keeps its underlay netns and options" test_moved_keeps_underlay \
	"created into another netns: underlay is the creator's" test_created_into_other_netns \
	"interfaces die with the netns they live in" test_dies_with_netns \
	"underlay netns deleted: interface lives on without carrier" test_underlay_netns_deleted \
	"deleting a netns with 20 interfaces frees them all" test_many_in_dying_netns \
	"the link's fwmark selects the underlay route" test_fwmark_selects_underlay_route
