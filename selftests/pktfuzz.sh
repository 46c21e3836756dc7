#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Packet fuzzing. espfuzz (selftests/tools/espfuzz.c) in netns "b" sends
# FUZZ_COUNT mutated ESP packets per lane (IPv4 and IPv6 underlay) at the
# ipsecif interfaces of netns "a": valid packets and old, replayed, flipped,
# truncated, extended, badly padded ones, bad next and inner headers (those
# with a valid ICV), tiny and huge ones (33-64 KiB, sent in fragments), SPI 0,
# unknown SPIs, ESP in UDP. Nothing may splat, and every packet must be
# accounted for, class by class:
#
#   packets for one of a's RX SAs    that SA's counters ("ipsecctl -j -s sa
#                                    show"): delivered (packets) or one drop
#                                    reason each, exactly as many as sent to
#                                    it; the split as espfuzz's model of the
#                                    receiver predicts it, within 2% (crypto
#                                    completing through cryptd reorders)
#   plain ESP for no SA, SPI 0,      xfrm's XfrmInNoStates (ipsecif hands
#   a TX SA's SPI, the UDP SA's       what is not its own to esp4/esp6)
#   SPI without UDP (and the
#   reverse)
#   plain ESP under 8 bytes          xfrm's XfrmInHdrError
#   ESP in UDP                       all of it Udp InDatagrams (the
#                                    encapsulation socket counts what it
#                                    consumes); keepalives, the non-ESP
#                                    marker and payloads of 8 bytes or less
#                                    end there uncounted, the rest goes on
#                                    to an SA or to XfrmInNoStates as above
#   datagrams over the path MTU      b's FragOKs/FragCreates, a's ReasmOKs/
#                                    ReasmReqds (and no ReasmFails)
#   fragments espfuzz made itself    a's ReasmOKs/ReasmReqds too
#   (IP_HDRINCL, any order)
#   inner IPv4 packets whose total   nexthdr, as any malformed inner header
#   length is below their header's   (a's Ip InHdrErrors stays 0)
#
# so that sent = sum over the SAs of (packets + every drop reason)
#              + XfrmInNoStates + XfrmInHdrError + what the UDP socket ate,
# nothing else in xfrm_stat moves, and the interfaces received exactly what
# the SAs delivered. The prediction is exact because espfuzz pins itself to
# one CPU and keeps little in flight, so a's single backlog queue sees each
# SA's packets in the order sent (see espfuzz.c).
#
# Then the transmit side with the shape of CVE-2022-27666 (ESP output of
# packets over 32 KiB): 64 KiB MTUs and echoes of 32 to 64 KiB through
# ipsec0 to a native xfrm peer (ipsecif cuts GSO packets to its MTU
# before ESP: a 64 KiB GSO packet reaches ESP as one of these), and a
# 65000-byte inner packet without DF that ipsecif
# itself fragments for a 1500-byte underlay; every packet is counted as
# sent, nothing dropped.
source "$(dirname "$0")/lib.sh"

# Packets per fuzzing lane; FUZZ_SEED makes a run repeatable.
FUZZ_COUNT=${FUZZ_COUNT:-$(scaled 100000 15000)}
FUZZ_SEED=${FUZZ_SEED:-}
# Fragments made by espfuzz carry at least this many bytes of ESP in the
# first one: 8, only the ESP header, so that the IV and the rest are in the
# next fragments (ipsecif pulls header and IV into the linear area before
# it strips them; a packet refragmented this way once reached __skb_pull()
# without them).
FUZZ_FRAG_MIN=${FUZZ_FRAG_MIN:-8}
# Bound on the wait for the receive path to finish the last packets.
SETTLE_S=60

A4=192.0.2.1 B4=192.0.2.2
A6=2001:db8::1 B6=2001:db8::2
NAT_PORT=4500
# What the VM runner calls a splat (vm/boot.sh), checked here test by test.
SPLAT_RE='BUG:|WARNING:|Oops|kernel BUG|general protection fault|KASAN:|UBSAN:'
SPLAT_RE+='|refcount_t:|possible recursive locking|circular locking dependency'
SPLAT_RE+='|inconsistent lock state|suspicious RCU usage|detected stall'
SPLAT_RE+='|INFO: task .* blocked|Kernel panic|list_(add|del) corruption'
SPLAT_RE+='|ODEBUG:|unreferenced object|Call Trace:|ref_tracker:'

SA_STATS=(packets replay integrity trailer nexthdr runt no_protect
	  seq_exhausted crypto expired)

# ---------------------------------------------------------------------------
# Fuzzing.

# fuzz_setup FAMILY: a's ipsec0 (TX SA 1, RX SAs 2-5) and ipsec1 (TX SA 11,
# RX SA 12, ESP in UDP), outer FAMILY. Sets A, B and SPECS, espfuzz's -i
# arguments for the RX SAs (same keys, windows and ESN).
fuzz_setup() {
	local mac tx

	underlay_pair
	if [ "$1" = 4 ]; then A=$A4 B=$B4; else A=$A6 B=$B6; fi
	# What ipsecif passes on must reach xfrm's counters (esp4/esp6 are
	# modules on Debian's kernel, built in on the debug one).
	modprobe -q esp4 2>/dev/null || true
	modprobe -q esp6 2>/dev/null || true
	SPECS=()
	crypto_args gcm128 1
	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src "$A" dst "$B" "${CRYPTO[@]}"
	crypto_args gcm128 11
	in_ns a ipsecctl sa add 11 spi 0x1011 mode tunnel src "$A" dst "$B" "${CRYPTO[@]}"
	rx_sa 2 0x2001 gcm128 "window 64" replay-window 64
	rx_sa 3 0x2002 chacha "window 128" replay-window 128
	rx_sa 4 0x2003 cbc-sha256 "window 32" replay-window 32
	# ESN, starting 2048 numbers before 2^32 so that the run crosses it.
	rx_sa 5 0x2004 cbc-sha1 "esn window 1024 seq 0xfffff800" esn replay-window 1024
	rx_sa 12 0x2012 gcm256 "udp window 64" replay-window 64 \
		encap espinudp sport $NAT_PORT dport $NAT_PORT
	for tx in 0 1; do
		in_ns a ipsecctl link add ipsec$tx
	done
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2 3 4 5
	in_ns a ipsecctl protect set dev ipsec1 tx 11 rx 12
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	in_ns a ip addr add 10.0.1.1/24 dev ipsec1
	in_ns a ip addr add fd00:1::1/64 dev ipsec1 nodad
	in_ns a ip link set ipsec0 up
	in_ns a ip link set ipsec1 up
	# The inner echo requests need no answer.
	in_ns a sysctl -qw net.ipv4.icmp_echo_ignore_all=1
	in_ns a sysctl -qw net.ipv6.icmp.echo_ignore_all=1
	# A neighbour being resolved queues packets and may drop some:
	# b knows a's address from the start.
	mac=$(in_ns a ip -j link show dev a0 | jq -r '.[0].address')
	in_ns b ip neigh replace "$A" lladdr "$mac" dev b0 nud permanent
}

# rx_sa ID SPI ALG ESPFUZZ_OPTIONS [ipsecctl options...]: an RX SA from B to
# A keyed by seed ID, and its espfuzz spec.
rx_sa() {
	local id=$1 spi=$2 alg=$3 fuzz=$4
	shift 4
	crypto_args "$alg" "$id"
	in_ns a ipsecctl sa add "$id" spi "$spi" mode tunnel src "$B" dst "$A" \
		"${CRYPTO[@]}" "$@"
	SPECS+=(-i "$spi $fuzz ${CRYPTO[*]}")
	FUZZ_SPIS+=("$spi")
}

# snapshot: every counter the accounting reads, "KEY VALUE" a line:
#   sa.SPI.STAT          a's SAs, SPI in decimal ("ipsecctl -j -s sa show")
#   xfrm.NAME            a's /proc/net/xfrm_stat
#   NS.Ip.NAME, NS.Udp.NAME   /proc/net/snmp of netns NS (a or b)
#   NS.6.NAME            /proc/net/snmp6 of netns NS
#   dev.NS.DEV.DIR.NAME  link statistics (DIR rx or tx)
# shellcheck disable=SC2016 # jq's and awk's own $
snapshot() {
	local dev

	in_ns a ipsecctl -j -s sa show |
		jq -r '.[] | .spi as $s | .stats | to_entries[] |
		       "sa.\($s).\(.key) \(.value)"'
	in_ns a awk '{ print "xfrm." $1, $2 }' /proc/net/xfrm_stat
	snmp_lines a
	snmp_lines b
	for dev in "a ipsec0" "a ipsec1" "a a0" "b b0"; do
		# shellcheck disable=SC2086 # "NS DEV"
		dev_lines $dev
	done
}

# shellcheck disable=SC2016 # awk's and jq's own $
snmp_lines() {
	in_ns "$1" awk -v ns="$1" '
		$1 == "Ip:" || $1 == "Udp:" {
			t = substr($1, 1, length($1) - 1)
			if (!(t in seen)) {
				seen[t] = 1
				for (i = 2; i <= NF; i++)
					name[t, i] = $i
				next
			}
			for (i = 2; i <= NF; i++)
				print ns "." t "." name[t, i], $i
		}' /proc/net/snmp
	in_ns "$1" awk -v ns="$1" '{ print ns ".6." $1, $2 }' /proc/net/snmp6
}

# shellcheck disable=SC2016 # jq's own $
dev_lines() {
	in_ns "$1" ip -s -s -j link show dev "$2" |
		jq -r --arg p "dev.$1.$2" '.[0].stats64 | to_entries[] |
			.key as $d | .value | to_entries[] |
			"\($p).\($d).\(.key) \(.value)"'
}

# load ARRAY FILE: "KEY VALUE" lines into an associative array.
load() {
	local -n into=$1
	local key value

	while read -r key value; do
		# shellcheck disable=SC2034,SC2004 # a nameref; keys are strings
		into[$key]=$value
	done <"$2"
}

# observed: what a has counted of the fuzzer's packets so far: the SAs'
# packets and drops, and xfrm's no-state and header errors.
# shellcheck disable=SC2016 # jq's and awk's own $
observed() {
	local sas xfrm

	sas=$(in_ns a ipsecctl -j -s sa show |
		jq --argjson spis "[$(IFS=,; echo "${FUZZ_SPIS_DEC[*]}")]" \
			'[.[] | select(.spi as $s | $spis | any(.[]; . == $s)) |
			  .stats | to_entries[] |
			  select(.key != "bytes" and .key != "lost") | .value] | add')
	xfrm=$(in_ns a awk '$1 == "XfrmInNoStates" || $1 == "XfrmInHdrError" {
			n += $2 } END { print n + 0 }' /proc/net/xfrm_stat)
	echo $((sas + xfrm))
}

# settle WANT: waits until observed reaches WANT, or stops moving for 3 s
# (the mismatch is reported by the checks), at most SETTLE_S.
settle() {
	local want=$1 now last=-1 still=0 start=$SECONDS

	while [ $((SECONDS - start)) -lt $SETTLE_S ]; do
		now=$(observed)
		[ "$now" = "$want" ] && return 0
		if [ "$now" = "$last" ]; then
			still=$((still + 1))
			[ $still -lt 15 ] || break
		else
			still=0
		fi
		last=$now
		sleep 0.2
	done
	echo "counters settled at $now of $want after $((SECONDS - start)) s"
}

# delta KEY: how far counter KEY moved between S0 and S1.
delta() {
	echo $((${S1[$1]:-0} - ${S0[$1]:-0}))
}

# check WHAT KEY WANT: counter KEY exists and moved by exactly WANT.
check() {
	local got

	if [ -z "${S1[$2]+set}" ]; then
		ERRORS+=("$1: no counter $2")
		return
	fi
	got=$(delta "$2")
	[ "$got" = "$3" ] || ERRORS+=("$1 ($2): expected $3, got $got")
}

# near WHAT GOT WANT: GOT within 2% (at least 20) of WANT; exact for 0.
near() {
	local slack=$(($3 / 50))
	[ $slack -ge 20 ] || slack=20
	[ "$3" != 0 ] || slack=0
	[ $(($2 > $3 ? $2 - $3 : $3 - $2)) -le $slack ] ||
		ERRORS+=("$1: expected $3 (+-$slack), got $2")
	[ "$2" = "$3" ] || echo "# $1: $2, $3 predicted"
}

# rv KEY: espfuzz's value of KEY in its report (0 if it did not say).
rv() {
	echo "${R[$1]:-0}"
}

# t_fuzz FAMILY
t_fuzz() {
	local family=$1 seed spi dec stat want before sum total mib
	local -A S0 S1 R
	local ERRORS=() FUZZ_SPIS=() FUZZ_SPIS_DEC=()

	scratch_init
	fuzz_setup "$family"
	for spi in "${FUZZ_SPIS[@]}"; do
		FUZZ_SPIS_DEC+=($((spi)))
	done
	seed=${FUZZ_SEED:-$((RANDOM * 32768 + RANDOM))}
	echo "espfuzz: $FUZZ_COUNT packets, outer IPv$family, seed $seed"

	before=$(observed)
	snapshot >"$SCRATCH/s0"
	kmsg_mark
	in_ns b timeout 1200 espfuzz -s "$B" -d "$A" "${SPECS[@]}" \
		-o 0x1001 -o 0x1011 -I 10.0.0.2,10.0.0.1 -I fd00::2,fd00::1 \
		-u $NAT_PORT:$NAT_PORT -b -F $FUZZ_FRAG_MIN -c "$FUZZ_COUNT" -S "$seed" \
		-r "$SCRATCH/report" || fail "espfuzz failed"
	load R "$SCRATCH/report"
	settle $((before + $(rv expect.ours) + $(rv expect.xfrm.no_states) +
		  $(rv expect.xfrm.hdr_error)))
	snapshot >"$SCRATCH/s1"
	load S0 "$SCRATCH/s0"
	load S1 "$SCRATCH/s1"

	# What was sent. A send that failed sent nothing the receiver can
	# count (or, at worst, fragments that never reassemble): espfuzz
	# leaves it out of every count but "failed".
	expect_eq "packets sent or failed" "$FUZZ_COUNT" \
		$(($(rv sent) + $(rv failed)))
	[ "$(rv failed)" -le $((FUZZ_COUNT / 100)) ] ||
		ERRORS+=("$(rv failed) of $FUZZ_COUNT sends failed")

	# Each SA: exactly the packets predicted for it, split among the
	# counters as predicted, give or take what reordering moves: when the
	# accelerated AEAD finds the FPU busy it completes through cryptd, a
	# little later, and the replay window sees that SA's packets in
	# another order (a packet accepted becomes a replay, or one predicted
	# to fail its ICV or replay check meets another window). Those no
	# packet can reach (no_protect, seq_exhausted, crypto, expired) stay
	# still.
	sum=0
	for spi in "${FUZZ_SPIS[@]}"; do
		local sa_got=0 sa_want=0 d
		dec=$((spi))
		for stat in "${SA_STATS[@]}"; do
			want=$(rv "expect.$spi.$stat")
			d=$(delta "sa.$dec.$stat")
			sa_got=$((sa_got + d)) sa_want=$((sa_want + want))
			near "SA $spi $stat" "$d" "$want"
		done
		[ "$sa_got" = "$sa_want" ] ||
			ERRORS+=("SA $spi counted $sa_got packets, $sa_want expected")
		sum=$((sum + sa_got))
	done
	[ "$sum" = "$(rv expect.ours)" ] ||
		ERRORS+=("the SAs counted $sum packets, $(rv expect.ours) expected")
	check "not for an SA: xfrm no state" xfrm.XfrmInNoStates \
		"$(rv expect.xfrm.no_states)"
	check "shorter than an ESP header: xfrm header error" \
		xfrm.XfrmInHdrError "$(rv expect.xfrm.hdr_error)"
	for stat in "${!S1[@]}"; do
		[[ $stat == xfrm.XfrmIn* ]] || continue
		[[ $stat == xfrm.XfrmInNoStates || $stat == xfrm.XfrmInHdrError ]] ||
			check "xfrm" "$stat" 0
	done

	# The whole: SA counters + xfrm's + what the UDP socket consumed.
	total=$((sum + $(delta xfrm.XfrmInNoStates) + $(delta xfrm.XfrmInHdrError) +
		 $(rv expect.udp.dropped)))
	echo "sent $(rv sent) = SAs $sum + xfrm no state $(delta xfrm.XfrmInNoStates)" \
	     "+ xfrm header error $(delta xfrm.XfrmInHdrError)" \
	     "+ UDP socket $(rv expect.udp.dropped) = $total" \
	     "($(rv datagrams.udp) in UDP, $(rv datagrams.fragmented) fragmented" \
	     "by the kernel, $(rv datagrams.hand_fragmented) by espfuzz," \
	     "$(rv size.big) of 33 KiB or more)"
	[ "$total" = "$(rv sent)" ] ||
		ERRORS+=("accounted for $total of $(rv sent) packets")

	# ESP in UDP: every datagram reached the encapsulation socket, none
	# was refused.
	if [ "$family" = 4 ]; then
		check "UDP datagrams" a.Udp.InDatagrams "$(rv datagrams.udp)"
		for stat in InErrors NoPorts RcvbufErrors InCsumErrors; do
			check "UDP" "a.Udp.$stat" 0
		done
	else
		check "UDP datagrams" a.6.Udp6InDatagrams "$(rv datagrams.udp)"
		for stat in InErrors NoPorts RcvbufErrors InCsumErrors; do
			check "UDP" "a.6.Udp6$stat" 0
		done
	fi

	# IP: what b's kernel and espfuzz itself sent in fragments, a
	# reassembled, all of it (a failed send may have left fragments
	# behind: then not counted exactly).
	if [ "$(rv failed)" = 0 ]; then
		if [ "$family" = 4 ]; then mib=Ip.; else mib=6.Ip6; fi
		check "b fragmented" "b.${mib}FragOKs" "$(rv datagrams.fragmented)"
		check "b fragmentation failures" "b.${mib}FragFails" 0
		check "a reassembled" "a.${mib}ReasmOKs" \
			$(($(rv datagrams.fragmented) + $(rv datagrams.hand_fragmented)))
		check "a reassembly failures" "a.${mib}ReasmFails" 0
		check "fragments" "a.${mib}ReasmReqds" \
			$(($(delta "b.${mib}FragCreates") + $(rv fragments.hand)))
	fi
	# Outer headers are the kernel's own and valid; the only bad IPv4
	# headers a sees are the inner ones ipsecif delivered.
	check "inner IPv4 total length < 20, delivered" a.Ip.InHdrErrors \
		"$(rv expect.inner.ipv4_hdr_errors)"
	check "IPv6 header errors" a.6.Ip6InHdrErrors 0

	# The interfaces received what their SAs delivered, and lost none of
	# it on the way in; the veth pair dropped nothing.
	check "ipsec0 received" dev.a.ipsec0.rx.packets \
		$(($(delta sa.$((0x2001)).packets) + $(delta sa.$((0x2002)).packets) +
		   $(delta sa.$((0x2003)).packets) + $(delta sa.$((0x2004)).packets)))
	check "ipsec1 received" dev.a.ipsec1.rx.packets "$(delta sa.$((0x2012)).packets)"
	for stat in dropped errors frame_errors; do
		check "ipsec0" "dev.a.ipsec0.rx.$stat" 0
		check "ipsec1" "dev.a.ipsec1.rx.$stat" 0
		check "a0" "dev.a.a0.rx.$stat" 0
	done
	check "b0" dev.b.b0.tx.dropped 0

	# The ESN SA went past 2^32.
	[ "$(rv model.0x2004.top)" -gt 4294967295 ] ||
		ERRORS+=("the ESN SA stayed below 2^32 (top $(rv model.0x2004.top))")

	no_splat

	if [ ${#ERRORS[@]} -gt 0 ]; then
		sed 's/^/espfuzz: /' "$SCRATCH/report"
		in_ns a ipsecctl -s sa show || true
		in_ns a grep -v ' 0$' /proc/net/xfrm_stat || true
		printf 'FAIL: %s\n' "${ERRORS[@]}" >&2
		fail "${#ERRORS[@]} counters off (espfuzz seed $seed)"
	fi
}

# No kernel splat since kmsg_mark (the runner also scans the console).
no_splat() {
	local splat

	splat=$(kmsg_since_mark | grep -E "$SPLAT_RE" || true)
	[ -z "$splat" ] || { echo "$splat" | head -n 20; fail "kernel splat"; }
}

# ---------------------------------------------------------------------------
# Transmit: big packets and GSO through ipsec0 to a native xfrm peer.

# tx_state: a's SA 1 (TX) and SA 2 (RX) packets and drops, ipsec0's sent
# packets and errors, b's xfrm input errors: "name=value ...".
# shellcheck disable=SC2016 # jq's and awk's own $
tx_state() {
	local sas dev bx

	sas=$(in_ns a ipsecctl -j -s sa show | jq -r '.[] | select(.id == 1 or .id == 2) |
		"s\(.id)p=\(.stats.packets) s\(.id)d=\(.stats | to_entries |
		 map(select(.key != "packets" and .key != "bytes" and .key != "lost") |
		     .value) | add)"')
	dev=$(in_ns a ip -s -s -j link show dev ipsec0 | jq -r '.[0].stats64 |
		"txp=\(.tx.packets) txd=\(.tx.dropped + .tx.errors + .tx.carrier_errors)" +
		" rxd=\(.rx.dropped + .rx.errors + .rx.frame_errors)"')
	bx=$(in_ns b awk '$1 ~ /^XfrmIn/ { n += $2 } END { print n + 0 }' /proc/net/xfrm_stat)
	echo "$sas" "$dev" "bx=$bx" | tr '\n' ' '
}

# tx_get STATE NAME: NAME's value in a tx_state line.
tx_get() {
	local pair

	for pair in $1; do
		[ "${pair%%=*}" != "$2" ] || { echo "${pair#*=}"; return; }
	done
	echo "no-$2"
}

# tx_delta BEFORE AFTER NAME: how far NAME moved.
tx_delta() {
	echo $(($(tx_get "$2" "$3") - $(tx_get "$1" "$3")))
}

# tx_clean WHAT BEFORE AFTER: nothing dropped anywhere, and every packet
# SA 1 encrypted was sent on.
tx_clean() {
	local what=$1 name

	for name in s1d s2d txd rxd bx; do
		expect_eq "$what: $name (drops and errors)" 0 "$(tx_delta "$2" "$3" $name)" ||
			{ xfrm_pair_state; return 1; }
	done
	expect_eq "$what: encrypted by SA 1 = sent by ipsec0" \
		"$(tx_delta "$2" "$3" s1p)" "$(tx_delta "$2" "$3" txp)"
}

# big_ping WHAT COUNT PING_ARGS...: COUNT echoes of 65000 bytes, all
# answered.
big_ping() {
	local what=$1 count=$2 got
	shift 2
	got=$(ping_received a -c "$count" -i 0.5 -W 10 -s 65000 "$@" 10.0.0.2)
	# (a later -s overrides the default 65000)
	[ "$got" = "$count" ] || { xfrm_pair_state; fail "$what: $got of $count answered"; }
}

# t_tx_big FAMILY
t_tx_big() {
	local s0 s1 max_mtu size

	xfrm_pair "$1" 4
	kmsg_mark
	# IP_MAX_MTU less ipsecif's worst-case overhead (device.c).
	max_mtu=$(in_ns a ip -d -j link show dev ipsec0 | jq '.[0].max_mtu')
	[ "$max_mtu" -gt 65028 ] || fail "ipsec0's largest MTU is $max_mtu"

	# 64 KiB everywhere: an echo of 65000 bytes is one inner packet, one
	# ESP packet of 65 KiB each way.
	in_ns a ip link set a0 mtu 65535
	in_ns b ip link set b0 mtu 65535
	in_ns a ip link set ipsec0 mtu "$max_mtu"
	in_ns b ip link set xfrm0 mtu 65535
	s0=$(tx_state)
	big_ping "ping -s 65000, 64 KiB MTUs" 3
	s1=$(tx_state)
	tx_clean "ping -s 65000" "$s0" "$s1"
	expect_eq "ping -s 65000: packets encrypted" 3 "$(tx_delta "$s0" "$s1" s1p)"
	expect_eq "ping -s 65000: replies decrypted" 3 "$(tx_delta "$s0" "$s1" s2p)"

	# Each size from just over 32 KiB (where ESP output needs more than
	# one page fragment for its trailer) to the largest: one ESP packet
	# each way per echo. (ipsecif segments GSO packets to its MTU before
	# ESP, so a 64 KiB GSO packet reaches ESP in this shape.)
	s0=$(tx_state)
	for size in 32768 33000 40000 49152 57344 60000 64000; do
		big_ping "ping -s $size, 64 KiB MTUs" 1 -s "$size"
	done
	s1=$(tx_state)
	tx_clean "ping -s 32768..64000" "$s0" "$s1"
	expect_eq "ping -s 32768..64000: packets encrypted" 7 "$(tx_delta "$s0" "$s1" s1p)"

	# A 1500-byte underlay under a 64 KiB tunnel: ipsecif fragments the
	# 65028-byte inner packet (DF clear) before encrypting it; b's
	# replies are fragmented before xfrm.
	in_ns a ip link set ipsec0 mtu "$max_mtu"
	in_ns a ip link set a0 mtu 1500
	in_ns b ip link set b0 mtu 1500
	in_ns b ip link set xfrm0 mtu 1400
	s0=$(tx_state)
	big_ping "ping -M dont -s 65000, 1500-byte underlay" 2 -M dont
	s1=$(tx_state)
	tx_clean "ping -M dont -s 65000" "$s0" "$s1"
	[ "$(tx_delta "$s0" "$s1" s1p)" -gt 2 ] ||
		fail "ping -M dont -s 65000: $(tx_delta "$s0" "$s1" s1p) packets encrypted, fragments expected"

	no_splat
}

ktap_run \
	"espfuzz, outer IPv4: $FUZZ_COUNT mutated ESP packets, each accounted for" "t_fuzz 4" \
	"espfuzz, outer IPv6: $FUZZ_COUNT mutated ESP packets, each accounted for" "t_fuzz 6" \
	"32-64 KiB packets out through ipsec0 (CVE-2022-27666 shape), outer IPv4" "t_tx_big 4" \
	"32-64 KiB packets out through ipsec0 (CVE-2022-27666 shape), outer IPv6" "t_tx_big 6"
