#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Module lifetime: rmmod with many interfaces present in several namespaces
# deletes them all, and the module loads and works again afterwards.
source "$(dirname "$0")/lib.sh"

count_ipsecif() {
	local total=0 n name
	for name in "" "$(ns a)" "$(ns b)"; do
		# Not "type ipsecif": without the module, that filter is ignored.
		n=$(ip ${name:+-n "$name"} -j -d link show |
			jq '[.[] | select(.linkinfo.info_kind == "ipsecif")] | length')
		total=$((total + n))
	done
	echo $total
}

test_rmmod_with_100_interfaces() {
	local i

	netns_add a
	netns_add b
	modprobe ipsecif
	kmsg_mark
	for i in $(seq 40); do
		in_ns a ip link add "ipsec$i" type ipsecif
	done
	for i in $(seq 30); do
		in_ns b ipsecctl link add "mp$i" mode p2mp
	done
	# Moved ones: living in b, underlay in a.
	for i in $(seq 30); do
		in_ns a ip link add "mv$i" type ipsecif
		in_ns a ip link set "mv$i" netns "$(ns b)" up
	done
	expect_eq "interfaces" 100 "$(count_ipsecif)"
	rmmod ipsecif
	[ ! -e /sys/module/ipsecif ] || fail "module still loaded"
	expect_eq "left after rmmod" 0 "$(count_ipsecif)"
	wait_kmsg_count "interface destroyed" 100
}

test_reload() {
	netns_add a
	rmmod ipsecif 2>/dev/null || true
	modprobe ipsecif
	in_ns a ipsecctl link add ipsec0 mode p2mp
	in_ns a ip link set ipsec0 up
	expect_eq "carrier" true "$(in_ns a ipsecctl -j link show | jq '.[0].carrier')"
}

ktap_run \
	"rmmod with 100 interfaces in 3 namespaces deletes them all" test_rmmod_with_100_interfaces \
	"module loads and works again after rmmod" test_reload
