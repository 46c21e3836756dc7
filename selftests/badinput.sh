#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Bad input: ESP packets crafted by espcraft (selftests/tools/espcraft.c) in
# netns "b" and sent to an ipsecif interface in netns "a". Each must be
# dropped and counted under its reason, and nothing else may move: the SA's
# counters and the interface's received packets are compared whole, before
# and after. First, the kernel's own xfrm proves that espcraft's packets are
# valid, so that what ipsecif rejects is rejected for the reason intended.
source "$(dirname "$0")/lib.sh"

A4=192.0.2.1 B4=192.0.2.2 C4=192.0.2.3
A6=2001:db8::1 B6=2001:db8::2

# One counter of the kernel's xfrm in netns $1 (/proc/net/xfrm_stat).
# (The VM has no /dev/fd for "< <(...)".)
xfrm_stat() {
	local stats name value

	stats=$(in_ns "$1" cat /proc/net/xfrm_stat)
	while read -r name value; do
		[ "$name" != "$2" ] || { echo "$value"; return; }
	done <<<"$stats"
	fail "no $2 in /proc/net/xfrm_stat"
}

# Received packets of interface $2 in netns $1, from /proc/net/dev.
rx_packets() {
	local dev line fields

	dev=$(in_ns "$1" cat /proc/net/dev)
	while read -r line; do
		if [[ $line == "$2:"* ]]; then
			read -r -a fields <<<"${line#*:}"
			echo "${fields[1]}"
			return
		fi
	done <<<"$dev"
	fail "no interface $2 in netns $1"
}

# ---------------------------------------------------------------------------
# espcraft against the kernel's xfrm: netns "a" holds an xfrm interface and
# one inbound state, no ipsecif SA (ipsecif passes the packets on).

# xfrm_receiver OUTER_FAMILY ALG [xfrm state options...]: the state has SPI
# 0x3001 and the key of seed 5.
xfrm_receiver() {
	local family=$1 alg=$2 src dst sel
	shift 2

	if [ "$family" = 4 ]; then src=$B4 dst=$A4; else src=$B6 dst=$A6; fi
	crypto_args "$alg" 5
	in_ns a ip xfrm state flush
	in_ns a ip xfrm policy flush
	in_ns a ip xfrm state add src "$src" dst "$dst" proto esp spi 0x3001 \
		mode tunnel if_id 42 "${CRYPTO[@]}" flag af-unspec "$@"
	for sel in 0.0.0.0/0 ::/0; do
		in_ns a ip xfrm policy add src $sel dst $sel dir in \
			tmpl src "$src" dst "$dst" proto esp mode tunnel if_id 42
	done
	XFRM_SRC=$src XFRM_DST=$dst
}

xfrm_setup() {
	underlay_pair
	in_ns a ip link add xfrm0 type xfrm dev a0 if_id 42
	in_ns a ip addr add 10.0.0.1/24 dev xfrm0
	in_ns a ip addr add fd00::1/64 dev xfrm0 nodad
	in_ns a ip link set xfrm0 up
}

# xfrm_accepts COUNT ESPCRAFT_ARGS...: xfrm0 receives exactly COUNT more
# packets, and xfrm counts no input error.
xfrm_accepts() {
	local want=$1 before errors
	shift
	before=$(rx_packets a xfrm0)
	in_ns b espcraft -s "$XFRM_SRC" -d "$XFRM_DST" -i 0x3001 "$@" "${CRYPTO[@]}"
	if ! wait_for rx_is a xfrm0 $((before + want)); then
		in_ns a ip -s xfrm state
		in_ns a grep -v ' 0$' /proc/net/xfrm_stat || true
		fail "xfrm0 received $(($(rx_packets a xfrm0) - before)) of $want: espcraft $*"
	fi
	errors=$(in_ns a awk '$1 ~ /^XfrmIn/ { n += $2 } END { print n }' /proc/net/xfrm_stat)
	expect_eq "xfrm input errors after espcraft $*" 0 "$errors"
}

rx_is() {
	[ "$(rx_packets "$1" "$2")" = "$3" ]
}

inner4=(-S 10.0.0.2 -D 10.0.0.1)
inner6=(-S fd00::2 -D fd00::1)

# Every algorithm espcraft knows, outer and inner IPv4 and IPv6.
t_xfrm_accepts() {
	local alg family=4

	xfrm_setup
	for alg in gcm128 gcm256 chacha cbc-sha1 cbc-sha256 null-sha256; do
		xfrm_receiver $family $alg replay-window 32
		xfrm_accepts 2 "${inner4[@]}" -q 1 -c 2
		xfrm_accepts 1 "${inner6[@]}" -q 3 -p 1000
		family=$((10 - family))
	done
}

# ESN: the state's window starts in subspace 1 (seq_hi 1), so the packets
# are accepted only if their ICV covers seq_hi = 1; then a flipped bit is
# refused, so the check is not vacuous.
t_xfrm_accepts_esn() {
	local alg

	xfrm_setup
	for alg in gcm128 chacha cbc-sha256 null-sha256; do
		xfrm_receiver 4 $alg flag esn replay-window 64 \
			replay-seq 0x10 replay-seq-hi 1
		xfrm_accepts 2 "${inner4[@]}" -e -q 0x100000011 -c 2
		xfrm_accepts 1 "${inner6[@]}" -e -q 0x100000020
	done
	xfrm_receiver 6 cbc-sha256 flag esn replay-window 64 \
		replay-seq 0xfffffff0 replay-seq-hi 2
	xfrm_accepts 1 "${inner4[@]}" -e -q 0x2fffffff8
	xfrm_accepts 1 "${inner4[@]}" -e -q 0x300000002
	in_ns b espcraft -s "$XFRM_SRC" -d "$XFRM_DST" -i 0x3001 "${inner4[@]}" \
		-e -q 0x300000003 --flip-icv 5 "${CRYPTO[@]}"
	wait_for stat_is a XfrmInStateProtoError 1 ||
		fail "xfrm accepted a flipped ICV bit"
}

stat_is() {
	[ "$(xfrm_stat "$1" "$2")" = "$3" ]
}

# ---------------------------------------------------------------------------
# ipsecif receiving: ipsec0 in netns "a" with TX SA 1 and RX SA 2 (SPI
# 0x2001, from B to A, key of seed 2); espcraft sends as B.

# setup ALG OUTER_FAMILY [SA 2 options...]
setup() {
	local alg=$1 tx

	underlay_pair
	if [ "$2" = 4 ]; then A=$A4 B=$B4; else A=$A6 B=$B6; fi
	shift 2
	crypto_args "$alg" 1
	tx=("${CRYPTO[@]}")
	crypto_args "$alg" 2
	RX=("${CRYPTO[@]}")
	ESN=()
	[[ " $* " == *" esn "* ]] && ESN=(-e)

	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src "$A" dst "$B" "${tx[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src "$B" dst "$A" "${RX[@]}" "$@"
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	in_ns a ip link set ipsec0 up
}

# esp ESPCRAFT_ARGS...: an echo request from 10.0.0.2 to 10.0.0.1 for SA 2.
esp() {
	in_ns b espcraft -s "$B" -d "$A" -i 0x2001 "${inner4[@]}" "${ESN[@]}" \
		"$@" "${RX[@]}"
}

# counters SA DEV: "name=value ..." of every counter of the SA but bytes
# (from "ipsecctl -j -s sa show SA", its "stats" object of plain numbers),
# and rx=the interface's received packets.
counters() {
	local json pair out=""

	json=$(in_ns a ipsecctl -j -s sa show "$1")
	json=${json//[[:space:]]/}
	[[ $json =~ \"stats\":\{([^}]*)\} ]] || fail "SA $1 without stats: $json"
	for pair in ${BASH_REMATCH[1]//,/ }; do
		pair=${pair//\"/}
		[[ $pair == bytes:* ]] || out+="${pair/:/=} "
	done
	echo "${out}rx=$(rx_packets a "$2")"
}

# apply COUNTERS CHANGES: COUNTERS with each "name+N" or "name=N" of
# CHANGES applied.
apply() {
	local -A value
	local pair name out=()

	for pair in $1; do
		value[${pair%%=*}]=${pair#*=}
		out+=("${pair%%=*}")
	done
	for pair in $2; do
		if [[ $pair == *+* ]]; then
			name=${pair%%+*}
			[ -n "${value[$name]+set}" ] || fail "no counter '$name'"
			value[$name]=$((value[$name] + ${pair#*+}))
		else
			name=${pair%%=*}
			[ -n "${value[$name]+set}" ] || fail "no counter '$name'"
			value[$name]=${pair#*=}
		fi
	done
	for name in "${out[@]}"; do
		printf '%s=%s ' "$name" "${value[$name]}"
	done
}

counters_are() {
	[ "$(counters "$1" "$2")" = "$3" ]
}

# expect_on SA DEV CHANGES CMD...: runs CMD; then the counters of SA and DEV
# must become exactly what they were plus CHANGES (within wait_for's time:
# decryption may be asynchronous).
expect_on() {
	local sa=$1 dev=$2 changes=$3 before want
	shift 3

	before=$(counters "$sa" "$dev")
	want=$(apply "$before" "$changes")
	want=${want% }
	"$@"
	if ! wait_for counters_are "$sa" "$dev" "$want"; then
		fail "after '$*' (expected $changes):
	before:   $before
	expected: $want
	got:      $(counters "$sa" "$dev")"
	fi
}

# expect CHANGES ESPCRAFT_ARGS...: SA 2 and ipsec0, one crafted packet.
expect() {
	local changes=$1
	shift
	expect_on 2 ipsec0 "$changes" esp "$@"
}

# expect_passed_on XFRM_COUNTER CMD...: the packet is not ours: xfrm counts
# it under XFRM_COUNTER, and neither SA 2 nor ipsec0 moves.
expect_passed_on() {
	local counter=$1 before_xfrm before
	shift

	before=$(counters 2 ipsec0)
	before_xfrm=$(xfrm_stat a "$counter")
	"$@"
	wait_for stat_is a "$counter" $((before_xfrm + 1)) ||
		fail "$counter: $before_xfrm -> $(xfrm_stat a "$counter") after '$*'"
	expect_eq "SA 2 and ipsec0 after '$*'" "$before" "$(counters 2 ipsec0)"
}

# The positive control: valid packets, inner IPv4 and IPv6, are delivered
# and answered (through TX SA 1).
t_valid() {
	local replies

	setup gcm128 4 replay-window 64
	replies=$(sa_packets 1)
	expect "packets+1 rx+1" -q 1
	expect "packets+1 rx+1" "${inner6[@]}" -q 2 -p 500
	expect "packets+3 rx+3" -q 3 -c 3
	wait_for sa_packets_reach 1 $((replies + 5)) ||
		fail "$(($(sa_packets 1) - replies)) echo replies sent, not 5"
}

sa_packets() {
	local pair

	for pair in $(counters "$1" ipsec0); do
		[[ $pair != packets=* ]] || echo "${pair#*=}"
	done
}

sa_packets_reach() {
	[ "$(sa_packets "$1")" -ge "$2" ]
}

t_replayed() {
	setup gcm128 4 replay-window 64
	expect "packets+1 rx+1" -q 1
	expect "replay+1" -q 1
	expect "packets+1 rx+1 replay+2" -q 2 -r 3
	expect "replay+2" -q 1 -c 2
}

# The sliding window of RFC 4303 3.4.3 / appendix A, checked one packet at a
# time against a model: TOP is the highest number accepted, ACCEPTED all of
# them, and "lost" counts the numbers that left the window never seen.
model_lost() {
	local edge=$((TOP - W)) seq n=0

	[ $edge -gt 0 ] || { echo 0; return; }
	for seq in "${ACCEPTED[@]}"; do
		[ "$seq" -le $edge ] && n=$((n + 1))
	done
	echo $((edge - n))
}

# accepted SEQ [ESPCRAFT_ARGS...]: the packet is delivered.
accepted() {
	local seq=$(($1))
	shift
	ACCEPTED+=("$seq")
	[ "$seq" -gt "$TOP" ] && TOP=$seq
	expect "packets+1 rx+1 lost=$(model_lost)" -q "$seq" "$@"
}

# dropped REASON SEQ [ESPCRAFT_ARGS...]: only REASON moves, by one.
dropped() {
	local why=$1 seq=$(($2))
	shift 2
	expect "$why+1" -q "$seq" "$@"
}

# 32-bit sequence numbers, window W.
window() {
	W=$2 TOP=0 ACCEPTED=()
	setup "$1" 4 replay-window "$W"
	dropped replay 0			# 0 is never valid
	accepted 1
	dropped replay 1			# in the window, seen
	accepted 100				# right of the window: it moves
	accepted $((TOP - W / 2))		# in the window, not seen
	dropped replay $((TOP - W / 2))		# ... and now seen
	accepted $((TOP - W + 1))		# the window's left edge
	dropped replay $((TOP - W))		# just left of the window
	dropped replay 2			# far left of it
	dropped replay "$TOP"			# top itself
	accepted $((TOP + 1))			# right by one
	dropped replay $((TOP - W))		# the old left edge, now out
	accepted $((TOP + 3))			# right, leaving two holes
	accepted $((TOP - 1))			# a hole in the window, filled
	accepted 0xffffffff			# the last 32-bit number
	dropped replay 1			# no wrap without ESN
	accepted $((TOP - 1))
	dropped replay "$TOP"
}

t_window64() { window gcm128 64; }

# ESN (RFC 4303 appendix A2): the receiver infers the high half of each
# number from the window's top; espcraft sends what the sender meant, so a
# wrong guess fails the ICV and counts as integrity.
window_esn() {
	W=$2 TOP=0 ACCEPTED=()
	setup "$1" 4 esn replay-window "$W"
	# Top 0, the window reaching back into the subspace before 0, which
	# does not exist: a low half there is refused without crypto.
	dropped replay 0xfffffff0
	dropped replay 0			# number 0 itself
	accepted 1
	accepted 0x1000
	# Window within one subspace (case A): Bl = Tl - W + 1.
	dropped replay 0x1000			# seen
	accepted $((TOP - W + 1))		# left edge
	dropped replay $((TOP - W + 1))
	# Left of the window: seq_low < Bl means subspace Th + 1 to the
	# receiver, which checks the ICV with seq_hi 1 and fails.
	dropped integrity $((TOP - W))
	accepted $((TOP + 1))
	# Up to the end of subspace 0 and across it.
	accepted 0xfffffff0
	accepted $((0x100000000 - 1))		# seq_low 0xffffffff, just below
	accepted 0x100000000			# seq_low 0, just above
	# Window spanning subspaces 0 and 1 (case B, Tl < W - 1).
	dropped replay 0xffffffff		# seq_hi 0 inferred, seen
	dropped replay 0xfffffff0
	accepted $((TOP - W + 1))		# left edge, in subspace 0
	accepted $((TOP - 2))			# in subspace 0, not seen
	dropped integrity $((TOP - W))		# left of it: guessed seq_hi 1
	accepted $((TOP + 5))			# right, in subspace 1
	dropped replay 0x100000000		# seen, subspace 1
	accepted $((TOP - 2))			# a hole in subspace 1
	accepted $((TOP - 8))			# a hole in subspace 0
	# Back to case A in subspace 1.
	accepted 0x100001000
	accepted $((TOP - W + 1))
	dropped replay $((TOP - W + 1))
	dropped integrity $((TOP - W))
	# Into subspace 2 with a jump of almost 2^32: all left behind is lost.
	accepted 0x200000010
	accepted $((TOP - W + 1))		# left edge, in subspace 1
	dropped integrity $((TOP - W))		# left of it: guessed seq_hi 2
	accepted $((TOP - 3))
}

t_window_esn64() { window_esn gcm128 64; }
t_window_esn32() { window_esn cbc-sha256 32; }

# A flipped bit anywhere under the ICV, or in it, fails integrity and does
# not move the window: the valid packet with that number still gets in.
integrity() {
	local ct_bits

	setup "$1" "$2" replay-window 64
	ct_bits=$(($(esp -x -q 1 | tr -d '\n' | wc -c) * 4 - $3 * 8))
	dropped integrity 1 --flip-ct 0
	dropped integrity 1 --flip-ct $((ct_bits - 1))
	dropped integrity 1 --flip-icv 0
	dropped integrity 1 --flip-icv 127
	expect "packets+1 rx+1" -q 1
	# The ESP header and IV are covered too: another SPI's key.
	crypto_args "$1" 9
	RX=("${CRYPTO[@]}")
	dropped integrity 2
}

# $3: bytes before the ciphertext and after it (ESP header, IV, ICV).
t_integrity_gcm() { integrity gcm128 4 32; }
t_integrity_cbc() { integrity cbc-sha256 4 40; }
t_integrity_gcm_v6() { integrity gcm128 6 32; }

# truncated ALG BLOCK IV_LEN: an encrypted part that is not whole cipher
# blocks (or 4-byte words) is a runt before any crypto; whole blocks short of
# the ICV fail integrity.
truncated() {
	local alg=$1 block=$2 len seq=1

	setup "$alg" 4 replay-window 64
	len=$(($(esp -x -q 1 | tr -d '\n' | wc -c) / 2))
	dropped runt $((seq++)) --truncate 1
	dropped runt $((seq++)) --truncate $((block - 1))
	dropped integrity $((seq++)) --truncate "$block"
	# Nothing left but the ESP header (and IV).
	dropped runt $((seq++)) --truncate $((len - 8 - $3))
	dropped runt $((seq++)) --truncate $((len - 8))
	# Shorter than an ESP header: not ours to judge; xfrm drops it.
	expect_passed_on XfrmInHdrError esp -q $((seq++)) --truncate $((len - 6))
	expect "packets+1 rx+1" -q $seq
}

t_truncated_gcm() { truncated gcm128 4 8; }
t_truncated_cbc() { truncated cbc-sha256 16 16; }

# The ICV is valid, the trailer is not: the window has moved (the number is
# used up), the packet is dropped.
trailer() {
	setup "$1" 4 replay-window 64
	dropped trailer 1 --pad-len 255
	dropped replay 1
	dropped trailer 2 --bad-padding
	dropped trailer 3 --bad-padding "${inner6[@]}"
	# A pad length reaching into the inner packet: its bytes are no padding.
	dropped trailer 4 --pad-len 20
	expect "packets+1 rx+1" -q 5
}

t_trailer_gcm() { trailer gcm128; }
t_trailer_cbc() { trailer cbc-sha256; }

# Next headers other than IPv4 (4) and IPv6 (41), or not matching the inner
# packet, or with no inner packet at all.
t_next_header() {
	setup gcm128 4 replay-window 64
	dropped nexthdr 1 --next-header 17
	dropped nexthdr 2 --next-header 41		# inner IPv4
	dropped nexthdr 3 --next-header 4 "${inner6[@]}"
	dropped nexthdr 4 --no-inner
	dropped nexthdr 5 --no-inner --next-header 59	# a dummy packet
	expect "packets+1 rx+1" -q 6
}

# An SPI nobody has: passed on to xfrm, which has no state for it either.
t_unknown_spi() {
	setup gcm128 4 replay-window 64
	expect_passed_on XfrmInNoStates \
		in_ns b espcraft -s $B -d $A -i 0x9999 "${inner4[@]}" "${RX[@]}"
	expect "packets+1 rx+1" -q 1
}

# SA 3 is ours (SPI 0x2003, from B to A) but in no protection; SA 2's
# interface is down.
t_no_protect() {
	setup gcm128 4 replay-window 64
	crypto_args gcm128 3
	in_ns a ipsecctl sa add 3 spi 0x2003 mode tunnel src $B dst $A \
		"${CRYPTO[@]}" replay-window 64
	expect_on 3 ipsec0 "no_protect+1" in_ns b espcraft -s $B -d $A -i 0x2003 \
		"${inner4[@]}" "${CRYPTO[@]}"
	in_ns a ip link set ipsec0 down
	dropped no_protect 1
	in_ns a ip link set ipsec0 up
	# Dropped before the replay check: number 1 is still unused.
	expect "packets+1 rx+1" -q 1
}

# ipsec1 receives on SA 12 (SPI 0x2012) from C (192.0.2.3, also B's) only.
t_other_interface() {
	local ipsec1=()

	setup gcm128 4 replay-window 64
	in_ns b ip addr add $C4/24 dev b0
	crypto_args gcm128 11
	in_ns a ipsecctl sa add 11 spi 0x1011 mode tunnel src $A dst $C4 "${CRYPTO[@]}"
	crypto_args gcm128 12
	ipsec1=("${CRYPTO[@]}")
	in_ns a ipsecctl sa add 12 spi 0x2012 mode tunnel src $C4 dst $A \
		"${ipsec1[@]}" replay-window 64
	in_ns a ipsecctl link add ipsec1
	in_ns a ipsecctl protect set dev ipsec1 tx 11 rx 12
	in_ns a ip addr add 10.0.1.1/24 dev ipsec1
	in_ns a ip link set ipsec1 up

	# SA 12's SPI and key, from B: its outer addresses are not SA 12's,
	# so it is not ours; xfrm has no state for it. Neither interface
	# receives it, and SA 12 counts nothing.
	expect_on 12 ipsec1 "" expect_passed_on XfrmInNoStates \
		in_ns b espcraft -s $B -d $A -i 0x2012 -S 10.0.1.2 -D 10.0.1.1 \
		"${ipsec1[@]}"
	# SA 2's SPI with SA 12's key: integrity on SA 2, nothing on SA 12.
	expect_on 12 ipsec1 "" expect_on 2 ipsec0 "integrity+1" \
		in_ns b espcraft -s $B -d $A -i 0x2001 "${inner4[@]}" -q 1 \
		"${ipsec1[@]}"
	# From C: ipsec1's, delivered there and only there.
	expect_on 2 ipsec0 "" expect_on 12 ipsec1 "packets+1 rx+1" \
		in_ns b espcraft -s $C4 -d $A -i 0x2012 -S 10.0.1.2 -D 10.0.1.1 \
		"${ipsec1[@]}"
	# SA 2's SPI over IPv6: the outer family is not SA 2's either.
	expect_on 12 ipsec1 "" expect_passed_on XfrmInNoStates \
		in_ns b espcraft -s $B6 -d $A6 -i 0x2001 "${inner4[@]}" -q 2 \
		"${RX[@]}"
}

# The receive path over an IPv6 underlay.
t_outer_v6() {
	setup cbc-sha256 6 esn replay-window 64
	expect "packets+1 rx+1" -q 1
	expect "packets+1 rx+1" -q 2 "${inner6[@]}"
	dropped replay 2
	dropped integrity 3 --flip-ct 9
	dropped runt 3 --truncate 3
	dropped trailer 3 --pad-len 255
	dropped nexthdr 4 --next-header 17
	expect_passed_on XfrmInNoStates \
		in_ns b espcraft -s $B -d $A -i 0x9999 "${inner4[@]}" "${RX[@]}"
}

ktap_run \
	"espcraft: native xfrm accepts its packets, every algorithm" t_xfrm_accepts \
	"espcraft: native xfrm accepts its ESN packets (seq_hi in the ICV)" t_xfrm_accepts_esn \
	"valid packets, inner IPv4 and IPv6: delivered and answered" t_valid \
	"replayed packets: replay" t_replayed \
	"window positions, W=64 (RFC 4303 3.4.3): replay, lost" t_window64 \
	"ESN window positions across subspaces, W=64 (appendix A)" t_window_esn64 \
	"ESN window positions across subspaces, W=32, AES-CBC/HMAC" t_window_esn32 \
	"flipped ciphertext, ICV bit or wrong key, AES-GCM: integrity" t_integrity_gcm \
	"flipped ciphertext, ICV bit or wrong key, AES-CBC/HMAC: integrity" t_integrity_cbc \
	"flipped bits, AES-GCM, outer IPv6: integrity" t_integrity_gcm_v6 \
	"truncated ESP, AES-GCM: runt, integrity, or xfrm's" t_truncated_gcm \
	"truncated ESP, AES-CBC/HMAC: runt, integrity, or xfrm's" t_truncated_cbc \
	"pad length 0xFF or bad padding with a valid ICV, AES-GCM: trailer" t_trailer_gcm \
	"pad length 0xFF or bad padding with a valid ICV, AES-CBC: trailer" t_trailer_cbc \
	"next header 17, family mismatch, no inner packet: nexthdr" t_next_header \
	"unknown SPI: passed on to xfrm (XfrmInNoStates)" t_unknown_spi \
	"SA in no protection, interface down: no_protect" t_no_protect \
	"SA of another interface: not delivered on either" t_other_interface \
	"outer IPv6, ESN, AES-CBC/HMAC: each drop reason" t_outer_v6
