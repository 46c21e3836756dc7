#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Privilege and isolation. Changing anything, and reading keys, needs
# CAP_NET_ADMIN in the user namespace that owns the netns: a process without
# it (its capability dropped, or root of a child user namespace in a netns
# it does not own) can read configuration but never keys, and can change
# nothing. A child user namespace that owns its own netns is admin there,
# and only there. SAs of one netns are invisible to and unusable by
# another, and ESP for one netns's SA is not decrypted in another.
source "$(dirname "$0")/lib.sh"

GCM='rfc4106(gcm(aes))'
KEY=$(test_key 20 1)

setup_a() {
	underlay_pair
	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		aead "$GCM" "$KEY" 128
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src 192.0.2.2 dst 192.0.2.1 \
		aead "$GCM" "$(test_key 20 2)" 128
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip link add d0 type dummy
	in_ns a ipsecctl spd add 1
	in_ns a ipsecctl spd attach 1 dev d0
	in_ns a ipsecctl policy add spd 1 priority 1 dir out action bypass
}

state_of() {
	in_ns "$1" ipsecctl -j sa show | jq -c 'del(.[].lifetime.current)'
	in_ns "$1" ipsecctl -j protect show
	in_ns "$1" ipsecctl -j spd show
	in_ns "$1" ipsecctl -j policy show spd 1 2>&1
}

# unprivileged WRAPPER...: every change refused with EPERM, state intact,
# configuration readable but no key material anywhere in any dump.
unprivileged() {
	local before cmd out
	before=$(state_of a)
	while read -r cmd; do
		expect_fail "Operation not permitted" eval "in_ns a $* ipsecctl $cmd"
	done <<-EOF
	sa add 3 spi 0x3001 mode tunnel src 192.0.2.1 dst 192.0.2.2 aead '$GCM' $KEY 128
	sa update 1 dscp 10
	sa del 1
	sa flush
	protect set dev ipsec0 tx 1 rx 2
	protect del dev ipsec0
	spd add 2
	spd attach 1 dev ipsec0
	spd detach dev d0
	spd del 1
	policy add spd 1 priority 2 dir out action discard
	policy del spd 1 priority 1 dir out action bypass
	link set ipsec0 fwmark 5
	EOF
	expect_eq "state" "$before" "$(state_of a)"
	# Readable, without keys: not in JSON, not in text, not in hex.
	expect_eq "algorithm" "$GCM" \
		"$(in_ns a "$@" ipsecctl -j sa show | jq -r '.[0].aead.name')"
	expect_eq "key" null "$(in_ns a "$@" ipsecctl -j sa show | jq -r '.[0].aead.key')"
	for cmd in "-j sa show" "sa show" "-s sa show 1" "-j protect show" \
		   "-j spd show" "-j policy show spd 1"; do
		out=$(in_ns a "$@" ipsecctl $cmd)
		! grep -qi "${KEY#0x}" <<<"$out" || fail "'$cmd' shows the key: $out"
	done
	# Only admins hear the configuration events, which never carry keys.
	expect_eq "admin key" "$KEY" \
		"$(in_ns a ipsecctl -j sa show 1 | jq -r '.[0].aead.key')"
}

test_dropped_capability() {
	setup_a
	unprivileged dropcaps
}

# Root of a new user namespace, still in netns a (owned by the initial
# user namespace): no CAP_NET_ADMIN over a.
test_foreign_user_namespace() {
	setup_a
	unprivileged unshare --user --map-root-user
}

# A new user namespace with its own netns: admin there, and only there.
test_owner_of_own_netns() {
	local out
	setup_a
	out=$(unshare --user --map-root-user --net bash -c "
		ip link set lo up
		ipsecctl sa add 1 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
			aead '$GCM' $KEY 128 &&
		ipsecctl link add ipsec0 &&
		ipsecctl protect set dev ipsec0 tx 1 &&
		ipsecctl -j sa show" 2>&1) || fail "own netns: $out"
	expect_eq "own key" "$KEY" "$(jq -r '.[0].aead.key' <<<"$out")"
	# Nothing of it reached a, whose SA 1 is still the one set up above.
	expect_eq "a's SAs" 2 "$(in_ns a ipsecctl -j sa show | jq length)"
}

# Netns b sees none of a's objects and cannot use them by id.
test_netns_isolation() {
	setup_a
	expect_eq "SAs in b" 0 "$(in_ns b ipsecctl -j sa show | jq length)"
	expect_eq "SPDs in b" 0 "$(in_ns b ipsecctl -j spd show | jq length)"
	expect_eq "protections in b" 0 "$(in_ns b ipsecctl -j protect show | jq length)"
	expect_fail "no SA with this id" in_ns b ipsecctl sa show 1
	expect_fail "no SA with this id" in_ns b ipsecctl sa del 1
	expect_fail "no SA with this id" in_ns b ipsecctl sa update 1 dscp 5
	in_ns b ipsecctl link add ipsec0
	expect_fail "no SA" in_ns b ipsecctl protect set dev ipsec0 tx 1 rx 2
	expect_fail "no SPD" in_ns b ipsecctl spd attach 1 dev ipsec0
	# a's interface is not b's to configure (b has its own ipsec0).
	in_ns b ip link del ipsec0
	expect_fail "No such device" in_ns b ipsecctl protect show dev ipsec0
	expect_eq "a unchanged" 2 "$(in_ns a ipsecctl -j sa show | jq length)"
}

no_states() {
	in_ns "$1" awk '$1 == "XfrmInNoStates" { print $2 }' /proc/net/xfrm_stat
}

# ESP for a's RX SA, sent to b's address: b has no SA with that SPI, so it
# is not decrypted there (xfrm counts it as no state), and a's SA never
# sees it. Sent to a, the same packets are decrypted.
test_esp_stays_in_its_netns() {
	local before
	setup_a
	# Nothing of a's own (IPv6 autoconfiguration) may reach b meanwhile.
	in_ns a sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip link set ipsec0 up
	netns_add c
	ip link add c0 netns "$(ns c)" type veth peer name b1 netns "$(ns b)"
	in_ns c ip addr add 198.51.100.1/24 dev c0
	in_ns b ip addr add 198.51.100.2/24 dev b1
	in_ns c ip link set c0 up
	in_ns b ip link set b1 up
	in_ns b sysctl -qw net.ipv4.ip_forward=0
	before=$(no_states b)
	in_ns c espcraft -s 198.51.100.1 -d 198.51.100.2 -i 0x2001 -c 5 \
		-S 10.0.0.2 -D 10.0.0.1 aead "$GCM" "$(test_key 20 2)" 128
	sleep 0.5
	expect_eq "no state in b" $((before + 5)) "$(no_states b)"
	expect_eq "a's RX SA" 0 "$(in_ns a ipsecctl -j -s sa show 2 | jq '.[0].stats.packets')"
	# The same packets from b's address to a are a's.
	in_ns b espcraft -s 192.0.2.2 -d 192.0.2.1 -i 0x2001 -c 5 \
		-S 10.0.0.2 -D 10.0.0.1 aead "$GCM" "$(test_key 20 2)" 128
	wait_for [ "$(in_ns a ipsecctl -j -s sa show 2 | jq '.[0].stats.packets')" = 5 ] ||
		fail "a decrypted $(in_ns a ipsecctl -j -s sa show 2 | jq '.[0].stats.packets') of 5"
}

ktap_run \
	"without CAP_NET_ADMIN: no change, no key in any dump" test_dropped_capability \
	"root of a child user namespace in another's netns: no change, no key" test_foreign_user_namespace \
	"a child user namespace owning its netns is admin there only" test_owner_of_own_netns \
	"one netns's SAs, SPDs and protections are invisible to another" test_netns_isolation \
	"ESP for one netns's SA is not decrypted in another" test_esp_stays_in_its_netns
