#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# link_ipsecif.so, the ipsecif link kind of the unmodified Debian ip
# (tools/iproute2): "ip link help ipsecif", "ip link add|set ... type
# ipsecif" with every keyword, the options in "ip -d link show" and in its
# JSON, agreeing with ipsecctl; the kernel's refusals passed on, and bad
# input refused by the plugin with a message naming it, creating nothing.
# ip finds the plugin in $IP_LIB_DIR if set, else in its own directory,
# where the VM's initramfs installs it.
source "$(dirname "$0")/lib.sh"

# The ipsecif options that "ip -d link show" prints for DEV in netns a: the
# words of its "ipsecif" line from "mode" on, up to the first that is not
# one of the plugin's keywords ("ipsecif mode p2p table 10").
ip_details() {
	in_ns a ip -d link show dev "$1" | awk '$1 == "ipsecif" {
		out = "ipsecif"
		for (i = 2; i < NF; i += 2) {
			if ($i !~ /^(mode|local|remote|table|fwmark)$/)
				break
			out = out " " $i " " $(i + 1)
		}
		print out
	}'
}

# info_data of DEV in "ip -j -d link show" in netns a, compact.
ip_info() {
	in_ns a ip -j -d link show dev "$1" | jq -c '.[0].linkinfo.info_data'
}

# jq over "ipsecctl -j link show DEV" in netns a.
ctl_json() {
	in_ns a ipsecctl -j link show "$1" | jq -r ".[0] | $2"
}

# bad_input MESSAGE ARGS...: "ip link add bad0 type ipsecif ARGS" fails
# with MESSAGE and creates nothing.
bad_input() {
	local msg=$1
	shift
	expect_fail "$msg" in_ns a ip link add bad0 type ipsecif "$@"
	! link_exists a bad0 || fail "bad0 was created by: $*"
}

test_help() {
	local out rc=0

	out=$(ip link help ipsecif 2>&1) || rc=$?
	expect_eq "exit status of ip link help ipsecif" 0 "$rc"
	grep -qF "Usage: ip link add NAME type ipsecif [ mode { p2p | p2mp } ]" <<<"$out" ||
		fail "no ipsecif usage: $out"
	grep -qF "ip link set NAME type ipsecif [ local ADDR remote ADDR ]" <<<"$out" ||
		fail "no ip link set usage: $out"
}

test_add_p2p() {
	netns_add a
	in_ns a ip link add ipsec0 type ipsecif
	in_ns a ip link add ipsec1 type ipsecif mode p2p
	for dev in ipsec0 ipsec1; do
		expect_eq "$dev details" "ipsecif mode p2p" "$(ip_details $dev)"
		expect_eq "$dev info_data" '{"mode":"p2p"}' "$(ip_info $dev)"
		expect_eq "$dev ipsecctl mode" p2p "$(ctl_json $dev .mode)"
	done
}

test_add_p2mp() {
	netns_add a
	in_ns a ip link add ipsec0 type ipsecif mode p2mp
	expect_eq "json mode" p2mp \
		"$(in_ns a ip -j -d link show dev ipsec0 | jq -r '.[0].linkinfo.info_data.mode')"
	expect_eq details "ipsecif mode p2mp" "$(ip_details ipsec0)"
	expect_eq "ipsecctl mode" p2mp "$(ctl_json ipsec0 .mode)"
}

test_options_v4_v6() {
	local dev

	netns_add a
	in_ns a ip link add v4 type ipsecif local 192.0.2.1 remote 192.0.2.2 \
		table 10 fwmark 5
	in_ns a ip link add v6 type ipsecif mode p2p local 2001:db8::1 \
		remote 2001:db8::2 fwmark 0xffffffff
	expect_eq "v4 details" \
		"ipsecif mode p2p local 192.0.2.1 remote 192.0.2.2 table 10 fwmark 0x5" \
		"$(ip_details v4)"
	expect_eq "v4 info_data" \
		'{"mode":"p2p","local":"192.0.2.1","remote":"192.0.2.2","table":10,"fwmark":"0x5"}' \
		"$(ip_info v4)"
	expect_eq "v6 details" \
		"ipsecif mode p2p local 2001:db8::1 remote 2001:db8::2 fwmark 0xffffffff" \
		"$(ip_details v6)"
	expect_eq "v6 info_data" \
		'{"mode":"p2p","local":"2001:db8::1","remote":"2001:db8::2","fwmark":"0xffffffff"}' \
		"$(ip_info v6)"
	for dev in v4 v6; do
		expect_eq "$dev: ip and ipsecctl" \
			"$(ctl_json $dev '"\(.mode) \(.local) \(.remote)"')" \
			"$(ip_info $dev | jq -r '"\(.mode) \(.local) \(.remote)"')"
	done
	expect_eq "v4 ipsecctl table fwmark" "10 5" \
		"$(ctl_json v4 '"\(.table) \(.fwmark)"')"
	expect_eq "v6 ipsecctl table fwmark" "0 4294967295" \
		"$(ctl_json v6 '"\(.table) \(.fwmark)"')"
	# Every link of the dump, pretty-printed too, is valid JSON (the netns
	# may hold fallback devices, tunl0 and the like, besides ours).
	local kinds='[.[] | select(.linkinfo.info_kind == "ipsecif")] | length == 2'
	in_ns a ip -j -d link show | jq -e "$kinds" >/dev/null ||
		fail "ip -j -d link show: $(in_ns a ip -j -d link show)"
	in_ns a ip -j -p -d link show | jq -e "$kinds" >/dev/null ||
		fail "ip -j -p -d link show is not valid JSON"
}

test_set() {
	netns_add a
	in_ns a ip link add ipsec0 type ipsecif local 192.0.2.1 remote 192.0.2.2
	in_ns a ip link set ipsec0 type ipsecif fwmark 7 table 100
	expect_eq details \
		"ipsecif mode p2p local 192.0.2.1 remote 192.0.2.2 table 100 fwmark 0x7" \
		"$(ip_details ipsec0)"
	expect_eq ipsecctl "192.0.2.1 192.0.2.2 100 7" \
		"$(ctl_json ipsec0 '"\(.local) \(.remote) \(.table) \(.fwmark)"')"
	in_ns a ip link set ipsec0 type ipsecif local 2001:db8::1 remote 2001:db8::2
	in_ns a ip link set ipsec0 type ipsecif table 0
	expect_eq "details after set" \
		"ipsecif mode p2p local 2001:db8::1 remote 2001:db8::2 fwmark 0x7" \
		"$(ip_details ipsec0)"
	expect_eq "ipsecctl after set" "2001:db8::1 2001:db8::2 0 7" \
		"$(ctl_json ipsec0 '"\(.local) \(.remote) \(.table) \(.fwmark)"')"
	# The mode it has may be restated.
	in_ns a ip link set ipsec0 type ipsecif mode p2p
}

test_mode_change_refused() {
	netns_add a
	in_ns a ip link add ipsec0 type ipsecif table 5
	expect_fail "Error: ipsecif: mode cannot be changed" \
		in_ns a ip link set ipsec0 type ipsecif mode p2mp table 6
	expect_eq "json after refusal" '{"mode":"p2p","table":5}' "$(ip_info ipsec0)"
	expect_eq "ipsecctl after refusal" "p2p 5" \
		"$(ctl_json ipsec0 '"\(.mode) \(.table)"')"
}

test_kernel_refusal_passed_on() {
	netns_add a
	expect_fail "Error: ipsecif: local and remote are for p2p interfaces only" \
		in_ns a ip link add bad0 type ipsecif mode p2mp local 192.0.2.1 \
		remote 192.0.2.2
	! link_exists a bad0 || fail "bad0 was created"
	expect_fail "Error: ipsecif: local and remote must differ" \
		in_ns a ip link add bad0 type ipsecif local 192.0.2.1 remote 192.0.2.1
	! link_exists a bad0 || fail "bad0 was created"
}

test_bad_input() {
	netns_add a
	bad_input 'invalid mode "bogus": expected p2p or p2mp' mode bogus
	bad_input '"local" requires "remote"' local 192.0.2.1
	bad_input '"remote" requires "local"' remote 2001:db8::2
	bad_input "local and remote must be of the same address family" \
		local 192.0.2.1 remote 2001:db8::1
	bad_input 'invalid local "192.0.2.300": not an IPv4 or IPv6 address' \
		local 192.0.2.300 remote 192.0.2.2
	bad_input 'invalid fwmark "notanumber": not a number' fwmark notanumber
	bad_input 'invalid table "0x100000000": out of range' table 0x100000000
	bad_input 'invalid table "-1": not a number' table -1
	bad_input 'unknown argument "bogus"' bogus 1
	bad_input 'missing value for "fwmark"' fwmark
	bad_input '"table" given twice' table 1 table 2
	# A bad "set" changes nothing.
	in_ns a ip link add ipsec0 type ipsecif fwmark 3
	expect_fail 'invalid fwmark "0x1g"' \
		in_ns a ip link set ipsec0 type ipsecif table 9 fwmark 0x1g
	expect_eq "after a bad set" '{"mode":"p2p","fwmark":"0x3"}' "$(ip_info ipsec0)"
}

ktap_run \
	"ip link help ipsecif prints the plugin's usage" test_help \
	"ip link add type ipsecif [mode p2p] makes a p2p link" test_add_p2p \
	"mode p2mp, in ip -j -d link show" test_add_p2mp \
	"local/remote IPv4 and IPv6, table, fwmark: ip -d, ip -j, ipsecctl agree" test_options_v4_v6 \
	"ip link set type ipsecif changes the options" test_set \
	"a mode change is refused by the kernel and changes nothing" test_mode_change_refused \
	"the kernel's refusals reach ip's caller, nothing created" test_kernel_refusal_passed_on \
	"bad input refused by the plugin naming the keyword, nothing created" test_bad_input
