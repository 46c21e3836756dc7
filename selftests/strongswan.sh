#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# strongSwan drives ipsecif (Documentation/strongswan.rst): a charon in each
# of two namespaces negotiates a route-based CHILD_SA (IKEv2, PSK, ESP
# AES-GCM-128, if_id 42) and "ipsecctl xfrm-sync" mirrors it into ipsecif.
# With a native xfrm interface at the other end: the CHILD_SA's SPIs become
# ipsecif's SAs and protection, traffic flows with none of it through xfrm
# on the ipsecif end, and rekeys started by either side under echoes both
# ways every 5 ms lose none. With ipsecif and xfrm-sync at both ends: the
# same rekeys lose none, a restarted xfrm-sync adopts its SAs (their
# sequence numbers go on), and "swanctl --terminate" removes the SAs and
# the protections.
source "$(dirname "$0")/faultlib.sh"

command -v charon-systemd >/dev/null && command -v swanctl >/dev/null ||
	SWAN_MISSING=1

SWAN_PLUGINS="random nonce aes sha1 sha2 hmac kdf gmp kernel-netlink socket-default vici"
IF_ID=42

addr_of() { [ "$1" = a ] && echo 192.0.2.1 || echo 192.0.2.2; }
other() { [ "$1" = a ] && echo b || echo a; }

# swan SIDE ARGS...: swanctl of SIDE's charon (it reads strongswan.conf
# too, and gives up without one).
swan() {
	local side=$1
	shift
	in_ns "$side" env STRONGSWAN_CONF="$SCRATCH/$side/strongswan.conf" \
		swanctl "$@" --uri "unix://$SCRATCH/$side/vici"
}

# swan_conf SIDE START_ACTION: SIDE's strongswan.conf and swanctl.conf.
swan_conf() {
	local side=$1 dir=$SCRATCH/$1 me peer
	me=$(addr_of "$side")
	peer=$(addr_of "$(other "$side")")
	mkdir -p "$dir"
	cat >"$dir/strongswan.conf" <<-EOF
	charon-systemd {
		load = $SWAN_PLUGINS
		install_routes = no
		plugins {
			vici {
				socket = unix://$dir/vici
			}
		}
		journal {
			default = -1
		}
		filelog {
			charon {
				path = $dir/charon.log
				time_format = %T
				time_add_ms = yes
				default = 1
				knl = 2
				chd = 2
			}
		}
	}
	EOF
	cat >"$dir/swanctl.conf" <<-EOF
	connections {
		t {
			version = 2
			local_addrs = $me
			remote_addrs = $peer
			proposals = aes128-sha256-modp2048
			local {
				auth = psk
				id = $me
			}
			remote {
				auth = psk
				id = $peer
			}
			children {
				net {
					local_ts = 0.0.0.0/0
					remote_ts = 0.0.0.0/0
					mode = tunnel
					esp_proposals = aes128gcm16
					replay_window = 1024
					if_id_in = $IF_ID
					if_id_out = $IF_ID
					start_action = $2
				}
			}
		}
	}
	secrets {
		ike-1 {
			secret = "ipsecif selftest pre-shared key, not a secret"
		}
	}
	EOF
}

# swan_start SIDE START_ACTION: SIDE's charon, in a mount namespace of its
# own with a private /run, its connection loaded.
swan_start() {
	local side=$1 dir=$SCRATCH/$1
	swan_conf "$side" "$2"
	bg_start "$side" "charon-$side" env STRONGSWAN_CONF="$dir/strongswan.conf" \
		unshare -m sh -c 'mount -t tmpfs tmpfs /run && exec charon-systemd'
	for _ in $(seq 100); do
		[ -S "$dir/vici" ] && break
		sleep 0.1
	done
	[ -S "$dir/vici" ] || { swan_state; fail "charon of $side did not start"; }
	# (swanctl says what it finds missing: plugins, credential folders)
	swan "$side" --load-all --file "$dir/swanctl.conf" >"$dir/load.out" 2>&1 ||
		{ cat "$dir/load.out"; fail "swanctl --load-all in $side failed"; }
}

# sync_start SIDE: ipsec0 in SIDE (10.0.0.1 in a, .2 in b) and xfrm-sync
# for it.
sync_start() {
	local side=$1
	in_ns "$side" ipsecctl link add ipsec0
	in_ns "$side" sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
	in_ns "$side" ip addr add "10.0.0.$([ "$side" = a ] && echo 1 || echo 2)/24" dev ipsec0
	in_ns "$side" ip link set ipsec0 up
	bg_start "$side" "sync-$side" ipsecctl xfrm-sync dev ipsec0 if-id $IF_ID -v
}

# swan_pair KIND_OF_B: a with ipsecif and xfrm-sync, b with the same
# (ipsecif) or a native xfrm interface (xfrm); charon in both, a initiates.
# Returns once the CHILD_SA carries echoes.
swan_pair() {
	[ -z "$SWAN_MISSING" ] || ktap_skip "strongSwan (charon-systemd, swanctl) is not in the image"
	scratch_init
	underlay_pair
	sync_start a
	if [ "$1" = ipsecif ]; then
		sync_start b
	else
		in_ns b ip link add xfrm0 type xfrm dev b0 if_id $IF_ID
		in_ns b sysctl -qw net.ipv6.conf.xfrm0.disable_ipv6=1
		in_ns b ip addr add 10.0.0.2/24 dev xfrm0
		in_ns b ip link set xfrm0 up
	fi
	swan_start b none
	swan_start a start
	wait_long 60 protected a || { swan_state; fail "no protection in a"; }
	[ "$1" != ipsecif ] || wait_long 30 protected b ||
		{ swan_state; fail "no protection in b"; }
	ping_received a -c 1 -W 5 10.0.0.2 >/dev/null
	[ "$(ping_received a -c 3 -i 0.2 -W 3 10.0.0.2)" = 3 ] ||
		{ swan_state; fail "no echoes through the CHILD_SA"; }
}

# wait_long SECONDS CMD...: waits up to SECONDS for CMD to succeed (IKE
# under TCG takes seconds).
wait_long() {
	for _ in $(seq $(($1 * 5))); do
		"${@:2}" && return 0
		sleep 0.2
	done
	"${@:2}"
}

no_sas() { [ -z "$(sa_ids "$1")" ]; }

# protected SIDE: ipsec0 of SIDE has a protection (a TX SA and an RX SA).
protected() {
	in_ns "$1" ipsecctl -j protect show dev ipsec0 2>/dev/null |
		jq -e '.[0].tx != null and (.[0].rx | length) > 0' >/dev/null
}

# prot SIDE: ipsec0's protection in SIDE, as {"tx":ID,"rx":[IDS]}.
prot() {
	in_ns "$1" ipsecctl -j protect show dev ipsec0 | jq -c '.[0] | {tx, rx}'
}

# xfrm_spis SIDE SRC DST: the SPIs of SIDE's xfrm states from SRC to DST,
# as numbers, one a line, sorted.
xfrm_spis() {
	in_ns "$1" ip xfrm state list src "$2" dst "$3" proto esp |
		sed -n 's/.* spi \(0x[0-9a-f]*\) .*/\1/p' |
		while read -r spi; do echo $((spi)); done | sort -n
}

# sa_ids SIDE: the ids of SIDE's ipsecif SAs, one a line, sorted.
sa_ids() {
	in_ns "$1" ipsecctl -j sa show | jq '.[].id' | sort -n
}

# swan_state: what both ends have, for a failure.
swan_state() {
	local side
	for side in a b; do
		echo "== $side"
		swan "$side" --list-sas 2>&1 || true
		in_ns "$side" ip xfrm state 2>&1 | grep -v -e '^	*auth\|aead\|enc ' || true
		in_ns "$side" ipsecctl -s sa show 2>&1 || true
		in_ns "$side" ipsecctl protect show 2>&1 || true
		in_ns "$side" ipsecctl -s -s link show 2>&1 || true
		in_ns "$side" nstat -az 2>/dev/null | awk '$2 != 0 && /Drop|Err|Fail|Overflow|Prune/' || true
		in_ns "$side" cat /proc/net/softnet_stat || true
		in_ns "$side" grep -v ' 0$' /proc/net/xfrm_stat || true
		echo "-- xfrm-sync of $side"
		cat "$SCRATCH/sync-$side.out" "$SCRATCH/sync-$side.err" 2>/dev/null || true
		echo "-- charon of $side"
		tail -n 40 "$SCRATCH/$side/charon.log" 2>/dev/null || true
		cat "$SCRATCH/charon-$side.err" 2>/dev/null || true
	done
}

# rekey SIDE: SIDE rekeys the CHILD_SA; returns once a's (and b's, if it
# is ipsecif) protection has only the new SAs and the old ones are gone.
rekey() {
	local side=$1 s old=() new
	for s in a b; do
		[ "$s" = a ] || [ -e "$SCRATCH/sync-b.out" ] || continue
		old+=("$s:$(sa_ids "$s" | paste -sd,)")
	done
	swan "$side" --rekey --child net >/dev/null
	for s in "${old[@]}"; do
		wait_long 30 rekeyed "${s%%:*}" "${s#*:}" ||
			{ swan_state; fail "no rekey in ${s%%:*}"; }
		new=$(prot "${s%%:*}")
		echo "# $side rekeyed: ${s%%:*} had SAs ${s#*:}, now $new"
	done
}

# rekeyed SIDE OLD_IDS: SIDE has two SAs, none of OLD_IDS (comma-separated),
# and protects with them.
rekeyed() {
	local ids
	ids=$(sa_ids "$1")
	[ "$(wc -l <<<"$ids")" = 2 ] || return 1
	! grep -qxF -f <(tr , '\n' <<<"$2") <<<"$ids" || return 1
	[ "$(prot "$1" | jq -c '[.tx] + .rx | sort')" = "$(jq -sc sort <<<"$ids")" ]
}

test_mirrored() {
	local a_out a_in
	swan_pair xfrm
	a_out=$(xfrm_spis b 192.0.2.1 192.0.2.2)
	a_in=$(xfrm_spis b 192.0.2.2 192.0.2.1)
	if [ -z "$a_out" ] || [ -z "$a_in" ]; then
		swan_state
		fail "no CHILD_SA in b's xfrm"
	fi
	expect_eq "a's SAs (ids)" "$(sort -n <<<"$a_out"$'\n'"$a_in" | paste -sd,)" \
		"$(sa_ids a | paste -sd,)"
	expect_eq "a's protection" "{\"tx\":$a_out,\"rx\":[$a_in]}" "$(prot a)"
	expect_eq "SPI of SA $a_out" "$a_out" \
		"$(in_ns a ipsecctl -j sa show "$a_out" | jq '.[0].spi')"
	expect_eq "SPIs of a's own xfrm states" "$(sort -n <<<"$a_out"$'\n'"$a_in" | paste -sd,)" \
		"$( (xfrm_spis a 192.0.2.1 192.0.2.2; xfrm_spis a 192.0.2.2 192.0.2.1) |
		   sort -n | paste -sd,)"
	expect_eq "a's xfrm-sync errors" "" "$(cat "$SCRATCH/sync-a.err")"
	in_ns a ipsecctl -j sa show "$a_out" | jq -e '.[0].aead.name == "rfc4106(gcm(aes))" and
		.[0].mode == "tunnel"' >/dev/null ||
		fail "SA $a_out: $(in_ns a ipsecctl sa show "$a_out")"
	# charon's replay_window, on the inbound SA (outbound SAs have none)
	expect_eq "replay window of SA $a_in" 1024 "$(sa_json a "$a_in" .replay_window)"
}

test_traffic() {
	local id got counts
	swan_pair xfrm
	got=$(ping_received a -c 20 -i 0.02 -W 2 10.0.0.2)
	expect_eq "echoes a -> b answered" 20 "$got"
	got=$(ping_received b -c 20 -i 0.02 -W 2 10.0.0.1)
	expect_eq "echoes b -> a answered" 20 "$got"
	for id in $(sa_ids a); do
		[ "$(sa_json a "$id" .stats.packets)" -ge 20 ] ||
			{ swan_state; fail "ipsecif SA $id carried too little"; }
	done
	# charon's states in a never see a packet; b's (native) carry it all
	counts=$(in_ns a ip -s xfrm state | grep -oE '[0-9]+\(packets\)' | sort -u)
	expect_eq "packets of a's xfrm states" "0(packets)" "$counts"
	counts=$(in_ns b ip -s xfrm state | grep -oE '[0-9]+\(packets\)' | grep -cvx '0(packets)')
	expect_eq "b's xfrm states that counted packets" 2 "$counts"
}

test_rekey_xfrm() {
	local side got
	swan_pair xfrm
	traffic_start
	for side in a b; do
		rekey $side
		sleep 0.5
	done
	traffic_stop
	[ "${LOST[a]}${LOST[b]}" = 00 ] || swan_state
	expect_eq "echoes of a lost" 0 "${LOST[a]}"
	expect_eq "echoes of b lost" 0 "${LOST[b]}"
	got=$(ping_received b -c 20 -i 0.02 -W 2 10.0.0.1)
	expect_eq "echoes b -> a answered after the rekeys" 20 "$got"
	expect_eq "SAs in b's xfrm" "$(sa_ids a | paste -sd,)" \
		"$( (xfrm_spis b 192.0.2.1 192.0.2.2; xfrm_spis b 192.0.2.2 192.0.2.1) |
		   sort -n | paste -sd,)"
}

test_rekey() {
	local side id drops
	swan_pair ipsecif
	pcap_start a a0 wire
	traffic_start
	for side in a b a; do
		rekey $side
		sleep 0.5
	done
	traffic_stop
	if [ "${LOST[a]}${LOST[b]}" != 00 ]; then
		swan_state
		pcap_stop wire
		tcpdump -n -tt -r "$SCRATCH/wire.pcap" 2>/dev/null |
			awk '/ESP\(spi=/ { match($0, /spi=0x[0-9a-f]+/); s = substr($0, RSTART, RLENGTH);
				if (!(s in seen)) { seen[s] = 1; print } next } /UDP|isakmp|4500/ { print }'
		for side in a b; do
			echo "-- charon log of $side"
			grep -E 'KNL|IKE|CHD|NET' "$SCRATCH/$side/charon.log" | grep -v -e 'HW offload' -e 'refcount'
		done
	fi
	expect_eq "echoes of a lost" 0 "${LOST[a]}"
	expect_eq "echoes of b lost" 0 "${LOST[b]}"
	for side in a b; do
		for id in $(sa_ids $side); do
			drops=$(in_ns $side ipsecctl -j -s sa show "$id" | jq ".[0].stats | $DROPS")
			expect_eq "drops of SA $id in $side" 0 "$drops"
			[ "$(sa_json $side "$id" .stats.packets)" -gt 10 ] ||
				fail "SA $id in $side is not in use"
		done
		expect_eq "$side's xfrm-sync errors" "" "$(cat "$SCRATCH/sync-$side.err")"
	done
	restored
}

test_restart() {
	local before after tx got
	swan_pair ipsecif
	tx=$(prot a | jq .tx)
	before=$(sa_json a "$tx" .seq_out)
	bg_stop sync-a TERM
	bg_start a sync-a ipsecctl xfrm-sync dev ipsec0 if-id $IF_ID -v
	wait_long 30 grep -q adopted "$SCRATCH/sync-a.out" ||
		{ swan_state; fail "the restarted xfrm-sync adopted nothing"; }
	sleep 1
	expect_eq "adopted" 2 "$(grep -c '^sa 0x[0-9a-f]* adopted' "$SCRATCH/sync-a.out")"
	grep -v -e adopted -e '^xfrm: ' -e '^protect set' "$SCRATCH/sync-a.out" &&
		fail "xfrm-sync changed more than the protection"
	expect_eq "a's protection tx" "$tx" "$(prot a | jq .tx)"
	# it read xfrm's policies: the outbound one names the TX SA
	grep -q "^xfrm: outbound policy [0-9]* names SA $(printf 0x%08x "$tx")\$" \
		"$SCRATCH/sync-a.out" || fail "xfrm-sync said: $(cat "$SCRATCH/sync-a.out")"
	got=$(ping_received a -c 10 -i 0.05 -W 2 10.0.0.2)
	expect_eq "echoes answered" 10 "$got"
	after=$(sa_json a "$tx" .seq_out)
	[ "$after" -ge $((before + 10)) ] ||
		fail "SA $tx's sequence number went from $before to $after"
}

test_terminate() {
	local side
	swan_pair ipsecif
	swan a --terminate --ike t >/dev/null
	for side in a b; do
		wait_long 30 no_sas $side || fail "SAs left in $side: $(sa_ids $side)"
		expect_eq "protections of $side" 0 \
			"$(in_ns $side ipsecctl -j protect show dev ipsec0 | jq length)"
		expect_eq "carrier of ipsec0 in $side" 0 \
			"$(in_ns $side cat /sys/class/net/ipsec0/carrier 2>/dev/null || echo 0)"
		expect_eq "$side's xfrm-sync errors" "" "$(cat "$SCRATCH/sync-$side.err")"
	done
	[ "$(ping_received a -c 2 -i 0.1 -W 1 10.0.0.2)" = 0 ] ||
		fail "echoes answered without SAs"
}

ktap_run \
	"a CHILD_SA with an xfrm interface peer is mirrored with its SPIs" test_mirrored \
	"traffic flows and none of it through xfrm on the ipsecif end" test_traffic \
	"rekeys from either end with an xfrm interface peer lose nothing" test_rekey_xfrm \
	"rekeys from either ipsecif end under echoes every 5 ms lose nothing" test_rekey \
	"a restarted xfrm-sync adopts its SAs, sequence numbers go on" test_restart \
	"swanctl --terminate removes the SAs and the protections" test_terminate
