#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Configuration files (ipsecif.conf(5)): "ipsecctl apply" creates the state
# of a file in two namespaces that then talk, re-applying it changes
# nothing (SAs keep counting), a rekey written as three edits of both files
# is applied under echoes both ways every 5 ms without losing one, a wrong
# file (its syntax, its references, or what only the kernel refuses) is
# reported with its file and line and changes nothing, "dump" redacts keys
# that "apply" then refuses, a file with every kind of object and option
# reads back from the kernel as the same (no change planned), and objects
# that leave the file leave the kernel while interfaces of other kinds stay.
source "$(dirname "$0")/faultlib.sh"

SA_DROPS='.replay + .integrity + .trailer + .nexthdr + .runt + .no_protect + .crypto + .expired'

# sa_lines G...: the SAs of generations G, the same at both ends: 10 + 2G
# carries a -> b, 11 + 2G b -> a.
sa_lines() {
	local g
	for g; do
		echo "sa $((10 + 2 * g)) spi $((0x1000 + 2 * g)) mode tunnel src 192.0.2.1 dst 192.0.2.2 \\"
		echo "	aead '$GCM' $(test_key 20 $((2 * g + 1))) 128 replay-window 1024"
		echo "sa $((11 + 2 * g)) spi $((0x2000 + 2 * g)) mode tunnel src 192.0.2.2 dst 192.0.2.1 \\"
		echo "	aead '$GCM' $(test_key 20 $((2 * g + 2))) 128 replay-window 1024"
	done
}

# write_conf SIDE "PROTECTION" G...: $SCRATCH/SIDE.conf, ipsec0 with the SAs
# of generations G and "protect dev ipsec0 PROTECTION".
write_conf() {
	local side=$1 protect=$2
	shift 2
	{
		echo "# end $side of the tunnel"
		echo "link ipsec0"
		echo
		sa_lines "$@"
		echo "protect dev ipsec0 $protect	# the SAs of ipsec0"
	} >"$SCRATCH/$side.conf"
}

# Both ends from their files, generation 0; 10.0.0.1 (a) and .2 (b).
pair_apply() {
	local side
	underlay_pair
	write_conf a "tx 10 rx 11" 0
	write_conf b "tx 11 rx 10" 0
	for side in a b; do
		in_ns $side ipsecctl apply "$SCRATCH/$side.conf"
		in_ns $side sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
		in_ns $side ip link set ipsec0 up
	done
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns b ip addr add 10.0.0.2/24 dev ipsec0
}

# no_change SIDE FILE: applying FILE in SIDE would change nothing.
no_change() {
	local plan
	plan=$(in_ns "$1" ipsecctl apply --dry-run "$2" 2>&1) ||
		fail "apply --dry-run $2 in $1 failed: $plan"
	[ -z "$plan" ] || fail "apply --dry-run $2 in $1 would change: $plan"
}

# What the kernel has in netns a, without what moves by itself (counters,
# lifetimes counting): for "nothing changed".
snapshot() {
	in_ns a ipsecctl dump --keys
	in_ns a ipsecctl -j sa show | jq -c 'map(del(.lifetime.current))'
	in_ns a ipsecctl -j link show | jq -c 'map(del(.stats64))'
	in_ns a ip -o link show | sed 's/^[0-9]*: //'
}

seq_out() {
	in_ns "$1" ipsecctl -j sa show "$2" | jq '.[0].seq_out'
}

test_apply() {
	local side got
	scratch_init
	pair_apply
	got=$(ping_received a -c 3 -W 3 10.0.0.2)
	expect_eq "echoes answered" 3 "$got"
	expect_eq "protection of a" '{"tx":10,"rx":[11]}' \
		"$(in_ns a ipsecctl -j protect show dev ipsec0 | jq -c '.[0] | {tx, rx}')"
	for side in a b; do
		no_change $side "$SCRATCH/$side.conf"
		in_ns $side ipsecctl dump --keys >"$SCRATCH/$side.dump"
		grep -qx "protect dev ipsec0 tx 1[01] rx 1[01]" "$SCRATCH/$side.dump" ||
			fail "dump of $side: $(cat "$SCRATCH/$side.dump")"
		grep -qx "link ipsec0" "$SCRATCH/$side.dump" ||
			fail "dump of $side: $(cat "$SCRATCH/$side.dump")"
		no_change $side "$SCRATCH/$side.dump"
		# The dump from standard input, as it was written.
		got=$(in_ns $side ipsecctl dump --keys |
		      in_ns $side ipsecctl apply --dry-run -)
		expect_eq "dump | apply --dry-run - in $side" "" "$got"
	done
}

test_reapply() {
	local before after got
	scratch_init
	pair_apply
	ping_received a -c 5 -i 0.05 -W 3 10.0.0.2 >/dev/null
	before=$(seq_out a 10)
	[ "$before" -ge 5 ] || fail "SA 10 sent $before packets"
	got=$(in_ns a ipsecctl apply -v "$SCRATCH/a.conf")
	expect_eq "apply -v again" "0 changes" "$got"
	got=$(ping_received a -c 5 -i 0.05 -W 3 10.0.0.2)
	expect_eq "echoes answered after" 5 "$got"
	after=$(seq_out a 10)
	[ "$after" -ge $((before + 5)) ] ||
		fail "SA 10's sequence number went from $before to $after"
	# What sa update can change is changed in place: the SA counts on.
	sed -i 's/replay-window 1024$/& ttl 33/' "$SCRATCH/a.conf"
	got=$(in_ns a ipsecctl apply -v "$SCRATCH/a.conf")
	grep -q '^~ sa 10 .* ttl 33$' <<<"$got" || fail "apply -v said: $got"
	grep -q '^~ sa 11 .* ttl 33$' <<<"$got" || fail "apply -v said: $got"
	expect_eq "changes" "2 changes" "$(tail -n 1 <<<"$got")"
	expect_eq "ttl" 33 "$(in_ns a ipsecctl -j sa show 10 | jq '.[0].ttl')"
	before=$after
	got=$(ping_received a -c 5 -i 0.05 -W 3 10.0.0.2)
	expect_eq "echoes answered after the update" 5 "$got"
	after=$(seq_out a 10)
	[ "$after" -ge $((before + 5)) ] ||
		fail "SA 10's sequence number went from $before to $after"
}

# step "PROTECTION OF A" "PROTECTION OF B" G...: both files edited, applied
# on a, then on b.
step() {
	local pa=$1 pb=$2
	shift 2
	local side out
	write_conf a "$pa" "$@"
	write_conf b "$pb" "$@"
	for side in a b; do
		out=$(in_ns $side ipsecctl apply -v "$SCRATCH/$side.conf")
		echo "$out" | sed "s/^/# $side: /"
	done
}

test_rekey() {
	local id drops
	scratch_init
	pair_apply
	in_ns a ping -c 1 -W 3 10.0.0.2 >/dev/null
	traffic_start
	# Both ends receive with the new SAs, then send with them, then the
	# old ones go, once what they carried has arrived.
	step "tx 10 rx 11 13" "tx 11 rx 10 12" 0 1
	sleep 0.5
	step "tx 12 rx 11 13" "tx 13 rx 10 12" 0 1
	sleep 0.5
	step "tx 12 rx 13" "tx 13 rx 12" 1
	sleep 0.5
	traffic_stop
	expect_eq "echoes of a lost" 0 "${LOST[a]}"
	expect_eq "echoes of b lost" 0 "${LOST[b]}"
	for id in 10 11; do
		expect_fail "no SA with this id" in_ns a ipsecctl sa show $id
		expect_fail "no SA with this id" in_ns b ipsecctl sa show $id
	done
	[ "$(in_ns a ipsecctl -j -s sa show 12 | jq '.[0].stats.packets')" -gt 10 ] ||
		fail "SA 12 is not in use: $(in_ns a ipsecctl -s sa show 12)"
	[ "$(in_ns b ipsecctl -j -s sa show 13 | jq '.[0].stats.packets')" -gt 10 ] ||
		fail "SA 13 is not in use: $(in_ns b ipsecctl -s sa show 13)"
	for id in 12 13; do
		drops=$(in_ns a ipsecctl -j -s sa show $id | jq ".[0].stats | $SA_DROPS")
		expect_eq "drops of SA $id in a" 0 "$drops"
		drops=$(in_ns b ipsecctl -j -s sa show $id | jq ".[0].stats | $SA_DROPS")
		expect_eq "drops of SA $id in b" 0 "$drops"
	done
	no_change a "$SCRATCH/a.conf"
	no_change b "$SCRATCH/b.conf"
	restored
}

# refused FILE RC MESSAGE: apply FILE in a exits with RC, saying MESSAGE.
refused() {
	local out rc=0
	out=$(in_ns a ipsecctl apply "$1" 2>&1) || rc=$?
	echo "$out" | sed 's/^/# /'
	expect_eq "exit status of apply $1" "$2" "$rc"
	grep -qF -- "$3" <<<"$out" || fail "apply $1 said '$out', expected '$3'"
}

test_bad_files() {
	local before
	scratch_init
	pair_apply
	before=$(snapshot)
	# Syntax, line 4 of 4 (the first object over two lines is line 1).
	{
		echo "sa 20 spi 0x3000 mode tunnel src 192.0.2.1 dst 192.0.2.2 \\"
		echo "	aead '$GCM' $(test_key 20 7) 128"
		echo "link ipsec0"
		echo "sa 21 spi zzz aead '$GCM' $(test_key 20 8) 128"
	} >"$SCRATCH/syntax.conf"
	refused "$SCRATCH/syntax.conf" 1 "$SCRATCH/syntax.conf:4: invalid spi \"zzz\": not a number"
	# A protection with an SA that the file does not have, on line 8.
	cp "$SCRATCH/a.conf" "$SCRATCH/ref.conf"
	sed -i 's/^protect dev ipsec0 .*/protect dev ipsec0 tx 10 rx 11 99/' "$SCRATCH/ref.conf"
	expect_eq "line of the protection" 8 \
		"$(grep -n '^protect' "$SCRATCH/ref.conf" | cut -d: -f1)"
	refused "$SCRATCH/ref.conf" 1 "$SCRATCH/ref.conf:8: protect dev ipsec0: no sa 99 in the file"
	# What the kernel alone refuses (an algorithm it does not know), the
	# first change of the plan: reported with its line, nothing changed.
	cp "$SCRATCH/a.conf" "$SCRATCH/alg.conf"
	echo "sa 30 spi 0x3030 mode tunnel src 192.0.2.1 dst 192.0.2.2 aead 'nosuch(alg)' 0x0102 128" \
		>>"$SCRATCH/alg.conf"
	refused "$SCRATCH/alg.conf" 2 "$SCRATCH/alg.conf:9: + sa 30: failed after 0 of 1 changes"
	grep -q "^Error: " <<<"$(in_ns a ipsecctl apply "$SCRATCH/alg.conf" 2>&1)" ||
		fail "no kernel message"
	expect_eq "state after the wrong files" "$before" "$(snapshot)"
	no_change a "$SCRATCH/a.conf"
}

test_redacted() {
	local before
	scratch_init
	pair_apply
	before=$(snapshot)
	in_ns a ipsecctl dump >"$SCRATCH/redacted.conf"
	grep -q '0x<redacted>' "$SCRATCH/redacted.conf" ||
		fail "dump: $(cat "$SCRATCH/redacted.conf")"
	! grep -q "${KEY_10#0x}" "$SCRATCH/redacted.conf" ||
		fail "dump without --keys has a key: $(cat "$SCRATCH/redacted.conf")"
	refused "$SCRATCH/redacted.conf" 1 "redacted.conf:2: sa 10: key redacted; dump with --keys"
	expect_eq "state" "$before" "$(snapshot)"
	in_ns a ipsecctl dump --keys | grep -q "${KEY_10#0x}" ||
		fail "dump --keys has no key"
}
KEY_10=$(test_key 20 1)

# Every kind of object, with options whose defaults, names and ranges the
# kernel writes back its own way.
write_rich() {
	cat >"$SCRATCH/rich.conf" <<EOF
link ipsec0
link ipip0 local 192.0.2.1 remote 192.0.2.2 table 100 fwmark 0x10
link hub0 mode p2mp
sa 1 spi 0x101 src 192.0.2.1 dst 192.0.2.2 aead '$GCM' $(test_key 20 1) 128 esn
sa 2 spi 0x102 src 192.0.2.2 dst 192.0.2.1 aead '$GCM' $(test_key 20 2) 128 \\
	encap espinudp sport 4500 dport 4501 lifetime soft packets 100000 hard seconds 3600
sa 3 spi 0x103 mode transport enc 'cbc(aes)' $(test_key 16 3) \\
	auth 'hmac(sha256)' $(test_key 32 3) dscp 10 no-ecn df set ttl 64
sa 4 spi 0x104 mode transport enc 'cbc(aes)' $(test_key 16 4) \\
	auth-trunc 'hmac(sha512)' $(test_key 64 4) 256 replay-window 0
sa 5 spi 0x105 src 2001:db8::1 dst 2001:db8::2 aead 'rfc7539esp(chacha20,poly1305)' $(test_key 36 5) 128 flowlabel copy decap-dscp
sa 6 spi 0x106 src 2001:db8::2 dst 2001:db8::1 aead '$GCM' $(test_key 36 6) 128
sa 7 spi 0x107 mode transport aead '$GCM' $(test_key 20 7) 128
sa 8 spi 0x108 mode transport aead '$GCM' $(test_key 20 8) 128
protect dev ipsec0 tx 1 rx 2
protect dev ipip0 tx 3 rx 4
protect dev hub0 peer fd00::2 tx 5 rx 6
spd 1 dev dummy0
policy spd 1 priority 100 dir out action protect sa 7 proto 17 rport 53-53
policy spd 1 priority 100 dir in action protect sa 8 proto udp lport 53
policy spd 1 priority 50 dir out action discard proto icmp type 8 local 10.9.0.0-10.9.0.255
policy spd 1 priority 50 dir out action bypass proto ipv6-icmp type 133-137 remote fe80::/10
policy spd 1 priority 0 dir out action bypass local 10.0.0.0/8 remote 0.0.0.0/0
policy spd 1 priority 0 dir in action bypass
EOF
}

test_round_trip() {
	local got
	scratch_init
	netns_add a
	in_ns a ip link add dummy0 type dummy
	write_rich
	got=$(in_ns a ipsecctl apply -v "$SCRATCH/rich.conf")
	echo "$got" | sed 's/^/# /'
	expect_eq "changes" "22 changes" "$(tail -n 1 <<<"$got")"
	no_change a "$SCRATCH/rich.conf"
	in_ns a ipsecctl dump --keys >"$SCRATCH/rich.dump"
	no_change a "$SCRATCH/rich.dump"
	expect_eq "policies" 6 "$(in_ns a ipsecctl -j policy show spd 1 | jq length)"
	expect_eq "SPD of dummy0" '["dummy0"]' \
		"$(in_ns a ipsecctl -j spd show 1 | jq -c '.[0].devices')"
	# Applied again from its dump, in a fresh namespace: the same state.
	netns_add c
	in_ns c ip link add dummy0 type dummy
	in_ns c ipsecctl apply "$SCRATCH/rich.dump"
	expect_eq "dump of a copy" "$(cat "$SCRATCH/rich.dump")" \
		"$(in_ns c ipsecctl dump --keys)"
}

test_removal() {
	local got
	scratch_init
	netns_add a
	in_ns a ip link add dummy0 type dummy
	in_ns a ip link add dummy1 type dummy
	in_ns a ip link add xfrm9 type xfrm dev dummy0 if_id 9
	write_rich
	in_ns a ipsecctl apply "$SCRATCH/rich.conf"
	in_ns a ipsecctl link add extra0
	in_ns a ipsecctl spd add 9
	in_ns a ipsecctl spd attach 9 dev dummy1
	# Less: ipip0, hub0, their SAs, the SPD's policies and interface go;
	# so do the objects that no file had.
	{
		echo "link ipsec0"
		sed -n '/^sa 1 /p; /^sa 2 /,/lifetime/p' "$SCRATCH/rich.conf"
		echo "protect dev ipsec0 tx 1 rx 2"
		echo "spd 1"
		echo "policy spd 1 priority 0 dir in action bypass"
	} >"$SCRATCH/less.conf"
	got=$(in_ns a ipsecctl apply -v "$SCRATCH/less.conf")
	echo "$got" | sed 's/^/# /'
	grep -qx -- "- link extra0" <<<"$got" || fail "extra0 stays"
	grep -qx -- "- spd 9 dev dummy1" <<<"$got" || fail "SPD 9 stays on dummy1"
	for dev in ipip0 hub0 extra0; do
		! link_exists a $dev || fail "$dev is still there"
	done
	for dev in ipsec0 dummy0 dummy1 xfrm9 lo; do
		link_exists a $dev || fail "$dev is gone"
	done
	expect_eq "SAs" "[1,2]" "$(in_ns a ipsecctl -j sa show | jq -c 'map(.id) | sort')"
	expect_eq "SPDs" '[{"id":1,"devices":[],"policies":1}]' \
		"$(in_ns a ipsecctl -j spd show | jq -c 'map({id, devices, policies})')"
	no_change a "$SCRATCH/less.conf"
	# --remove: what the file names goes, and nothing else.
	in_ns a ipsecctl link add other0
	in_ns a ipsecctl apply --remove "$SCRATCH/less.conf"
	! link_exists a ipsec0 || fail "ipsec0 is still there"
	link_exists a other0 || fail "other0 is gone"
	expect_eq "SAs after --remove" "[]" "$(in_ns a ipsecctl -j sa show | jq -c .)"
	expect_eq "SPDs after --remove" "[]" "$(in_ns a ipsecctl -j spd show | jq -c .)"
	# An empty file: no ipsecif state at all, other interfaces stay.
	: >"$SCRATCH/empty.conf"
	in_ns a ipsecctl apply "$SCRATCH/empty.conf"
	! link_exists a other0 || fail "other0 is still there"
	for dev in dummy0 dummy1 xfrm9; do
		link_exists a $dev || fail "$dev is gone"
	done
	expect_eq "dump of nothing" "" "$(in_ns a ipsecctl dump)"
}

ktap_run \
	"apply creates both ends, which talk; the dump is the file" test_apply \
	"apply again: no change, SAs count on; what sa update can change is updated" test_reapply \
	"a rekey in three edits of both files, under traffic: no echo lost" test_rekey \
	"wrong files: file and line reported, nothing changed" test_bad_files \
	"dump without --keys redacts keys, which apply refuses" test_redacted \
	"every object and option reads back from the kernel as written" test_round_trip \
	"objects that leave the file leave the kernel, other links stay" test_removal
