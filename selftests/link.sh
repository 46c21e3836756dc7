#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The ipsecif link kind: module autoload, creation and deletion in both modes
# with ip and ipsecctl, options reported back and changed, every invalid
# attribute refused with its message and nothing created, MTU limits, the
# transmit drop counter, and the generic netlink family.
source "$(dirname "$0")/lib.sh"

IFLA_IPSECIF_MODE=1
IFLA_IPSECIF_LOCAL=2
IFLA_IPSECIF_REMOTE=3
IFLA_IPSECIF_LOCAL6=4
IFLA_IPSECIF_REMOTE6=5
IFLA_IPSECIF_TABLE=6

# jq over "ipsecctl -j link show" in netns a.
ctl_json() {
	in_ns a ipsecctl -j link show | jq -r "$@"
}

test_autoload() {
	rmmod ipsecif 2>/dev/null || true
	[ ! -e /sys/module/ipsecif ] || fail "module still loaded"
	netns_add a
	in_ns a ip link add ipsec0 type ipsecif
	[ -e /sys/module/ipsecif ] || fail "module was not autoloaded"
	link_exists a ipsec0
}

test_ip_creates_p2p() {
	local json

	netns_add a
	in_ns a ip link add ipsec0 type ipsecif
	json=$(in_ns a ip -j -d link show dev ipsec0)
	expect_eq kind ipsecif "$(jq -r '.[0].linkinfo.info_kind' <<<"$json")"
	expect_eq link_type none "$(jq -r '.[0].link_type' <<<"$json")"
	jq -e '.[0].flags | index("POINTOPOINT") and index("NOARP")' <<<"$json" \
		>/dev/null || fail "flags: $(jq -c '.[0].flags' <<<"$json")"
	expect_eq mtu 1379 "$(jq -r '.[0].mtu' <<<"$json")"
	expect_eq mode p2p "$(ctl_json '.[0].mode')"
	# No TX SA, so no carrier, even when up.
	in_ns a ip link set ipsec0 up
	expect_eq carrier false "$(ctl_json '.[0].carrier')"
	in_ns a ip -j link show dev ipsec0 | jq -e '.[0].flags | index("NO-CARRIER")' >/dev/null ||
		fail "p2p interface without TX SA has a carrier"
	in_ns a ip link del ipsec0
	! link_exists a ipsec0 || fail "ip link del left the interface"
}

test_ipsecctl_creates_p2mp() {
	netns_add a
	in_ns a ipsecctl link add mp0 mode p2mp
	in_ns a ip link set mp0 up
	expect_eq mode p2mp "$(ctl_json '.[0].mode')"
	expect_eq carrier true "$(ctl_json '.[0].carrier')"
	in_ns a ip -j link show dev mp0 | jq -e '.[0].flags | index("POINTOPOINT") | not' >/dev/null ||
		fail "p2mp interface is point-to-point"
	in_ns a ipsecctl link del mp0
	! link_exists a mp0 || fail "ipsecctl link del left the interface"
}

test_options_reported() {
	netns_add a
	in_ns a ipsecctl link add v4 local 192.0.2.1 remote 192.0.2.2 table 100 fwmark 0x10
	in_ns a ipsecctl link add v6 local 2001:db8::1 remote 2001:db8::2
	expect_eq "v4 endpoints" "192.0.2.1 192.0.2.2 100 16" \
		"$(ctl_json '.[] | select(.ifname == "v4") | "\(.local) \(.remote) \(.table) \(.fwmark)"')"
	expect_eq "v6 endpoints" "2001:db8::1 2001:db8::2 0 0" \
		"$(ctl_json '.[] | select(.ifname == "v6") | "\(.local) \(.remote) \(.table) \(.fwmark)"')"
	# The human-readable form says the same.
	in_ns a ipsecctl link show v4 | grep -q "mode p2p local 192.0.2.1 remote 192.0.2.2 table 100 fwmark 0x10" ||
		fail "text output: $(in_ns a ipsecctl link show v4)"
}

test_ip_and_ipsecctl_agree() {
	local from_ip from_ctl

	netns_add a
	in_ns a ip link add ipsec0 type ipsecif
	in_ns a ipsecctl link add ipsec1 mode p2mp
	in_ns a ip link add dummy0 type dummy
	in_ns a ip link set ipsec1 up mtu 1300
	from_ip=$(in_ns a ip -j link show type ipsecif |
		jq -c '[.[] | {ifname, ifindex, mtu, operstate}] | sort_by(.ifname)')
	from_ctl=$(in_ns a ipsecctl -j link show |
		jq -c '[.[] | {ifname, ifindex, mtu, operstate}] | sort_by(.ifname)')
	expect_eq "ip vs ipsecctl" "$from_ip" "$from_ctl"
	expect_eq "count" 2 "$(jq length <<<"$from_ctl")"
}

test_change_options() {
	netns_add a
	in_ns a ipsecctl link add ipsec0 local 192.0.2.1 remote 192.0.2.2
	in_ns a ipsecctl link set ipsec0 table 200 fwmark 7
	in_ns a ipsecctl link set ipsec0 local 2001:db8::1 remote 2001:db8::2
	expect_eq "changed" "2001:db8::1 2001:db8::2 200 7" \
		"$(ctl_json '.[0] | "\(.local) \(.remote) \(.table) \(.fwmark)"')"
	expect_fail "mode cannot be changed" \
		in_ns a ifla-send -c ipsec0 $IFLA_IPSECIF_MODE:u32:1
	expect_eq "mode kept" p2p "$(ctl_json '.[0].mode')"
	# A refused change leaves every option as it was.
	expect_fail "local and remote must differ" \
		in_ns a ipsecctl link set ipsec0 table 300 local 192.0.2.9 remote 192.0.2.9
	expect_eq "unchanged" "2001:db8::1 2001:db8::2 200 7" \
		"$(ctl_json '.[0] | "\(.local) \(.remote) \(.table) \(.fwmark)"')"
}

# refused MESSAGE ATTR...: creating "bad0" with these raw attributes fails
# with MESSAGE and creates nothing.
refused() {
	local msg=$1
	shift
	expect_fail "$msg" in_ns a ifla-send bad0 "$@"
	! link_exists a bad0 || fail "bad0 was created by: $*"
}

test_invalid_attributes() {
	netns_add a
	refused "unknown mode" $IFLA_IPSECIF_MODE:u32:2
	refused "Attribute failed policy validation" $IFLA_IPSECIF_MODE:u8:1
	refused "local and remote must be given together" \
		$IFLA_IPSECIF_LOCAL:ip4:192.0.2.1
	refused "local and remote must be given together" \
		$IFLA_IPSECIF_REMOTE6:ip6:2001:db8::2
	refused "one address family" \
		$IFLA_IPSECIF_LOCAL:ip4:192.0.2.1 $IFLA_IPSECIF_REMOTE6:ip6:2001:db8::2
	refused "binary attribute size out of range" \
		$IFLA_IPSECIF_LOCAL:hex:c00002 $IFLA_IPSECIF_REMOTE:ip4:192.0.2.2
	refused "binary attribute size out of range" \
		$IFLA_IPSECIF_LOCAL6:ip4:192.0.2.1 $IFLA_IPSECIF_REMOTE6:ip6:2001:db8::2
	refused "local must be a unicast address" \
		$IFLA_IPSECIF_LOCAL:ip4:224.0.0.1 $IFLA_IPSECIF_REMOTE:ip4:192.0.2.2
	refused "remote must be a unicast address" \
		$IFLA_IPSECIF_LOCAL:ip4:192.0.2.1 $IFLA_IPSECIF_REMOTE:ip4:0.0.0.0
	refused "remote must be a unicast address" \
		$IFLA_IPSECIF_LOCAL6:ip6:2001:db8::1 $IFLA_IPSECIF_REMOTE6:ip6:ff02::1
	refused "local and remote must differ" \
		$IFLA_IPSECIF_LOCAL6:ip6:2001:db8::1 $IFLA_IPSECIF_REMOTE6:ip6:2001:db8::1
	refused "for p2p interfaces only" $IFLA_IPSECIF_MODE:u32:1 \
		$IFLA_IPSECIF_LOCAL:ip4:192.0.2.1 $IFLA_IPSECIF_REMOTE:ip4:192.0.2.2
	refused "Attribute failed policy validation" $IFLA_IPSECIF_TABLE:u8:1
	# ipsecctl prints the kernel's message.
	expect_fail "Error: link bad0: ipsecif: local and remote are for p2p interfaces only" \
		in_ns a ipsecctl link add bad0 mode p2mp local 192.0.2.1 remote 192.0.2.2
	! link_exists a bad0 || fail "ipsecctl created bad0"
	# The valid form of the same request works.
	in_ns a ifla-send good0 $IFLA_IPSECIF_TABLE:u32:5
	link_exists a good0
}

test_mtu_limits() {
	netns_add a
	in_ns a ip link add ipsec0 type ipsecif
	in_ns a ip link set ipsec0 mtu 68
	in_ns a ip link set ipsec0 mtu 9000
	expect_fail "mtu less than device minimum" in_ns a ip link set ipsec0 mtu 67
	expect_fail "mtu greater than device maximum" in_ns a ip link set ipsec0 mtu 65535
	expect_eq mtu 9000 "$(in_ns a ip -j link show dev ipsec0 | jq '.[0].mtu')"
}

test_xmit_drops_counted() {
	local dropped ctl after

	netns_add a
	in_ns a ipsecctl link add mp0 mode p2mp
	in_ns a ip addr add 10.9.0.1/24 dev mp0
	in_ns a ip link set mp0 up
	! in_ns a ping -c 3 -i 0.2 -W 1 10.9.0.2 >/dev/null 2>&1 ||
		fail "ping through an interface without SAs got an answer"
	dropped=$(in_ns a ip -s -j link show dev mp0 | jq '.[0].stats64.tx.dropped')
	[ "$dropped" -ge 3 ] || fail "tx dropped is $dropped, expected >= 3"
	# IPv6 control packets may be dropped meanwhile: read ip, ipsecctl, ip.
	ctl=$(in_ns a ipsecctl -j -s link show mp0 | jq '.[0].stats64.tx.dropped')
	after=$(in_ns a ip -s -j link show dev mp0 | jq '.[0].stats64.tx.dropped')
	[ "$dropped" -le "$ctl" ] && [ "$ctl" -le "$after" ] ||
		fail "ipsecctl -s says $ctl dropped, ip $dropped then $after"
}

test_ipsecctl_del_refuses_other_kinds() {
	netns_add a
	in_ns a ip link add dummy0 type dummy
	expect_fail "not an ipsecif interface" in_ns a ipsecctl link del dummy0
	link_exists a dummy0
	expect_fail "Error:" in_ns a ipsecctl link del nosuch0
}

test_genl_family() {
	local out

	out=$(genl ctrl get name ipsecif)
	grep -q "Name: ipsecif" <<<"$out" || fail "family not registered: $out"
	grep -q "name: monitor" <<<"$out" || fail "no monitor group: $out"
}

ktap_run \
	"autoload: ip link add loads the module" test_autoload \
	"ip link add creates a p2p interface without carrier" test_ip_creates_p2p \
	"ipsecctl creates and deletes a p2mp interface" test_ipsecctl_creates_p2mp \
	"local/remote/table/fwmark are reported back" test_options_reported \
	"ip and ipsecctl agree on the interfaces" test_ip_and_ipsecctl_agree \
	"options change; mode does not; a refused change changes nothing" test_change_options \
	"invalid attributes refused with a message, nothing created" test_invalid_attributes \
	"MTU limits" test_mtu_limits \
	"transmit without a protection drops and counts" test_xmit_drops_counted \
	"ipsecctl link del refuses other kinds and unknown names" test_ipsecctl_del_refuses_other_kinds \
	"generic netlink family with the monitor group" test_genl_family
