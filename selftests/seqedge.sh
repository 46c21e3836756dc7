#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Sequence-number edges against the kernel's own ESP, reached by presetting
# both ends: ipsecif's "seq-out" (last sent) and "seq-in" (highest received,
# the top of the replay window), xfrm's replay-oseq/-seq(-hi).
source "$(dirname "$0")/lib.sh"

START=$((0x100000000 - 6))	# 2^32 - 6: five numbers left below 2^32

tunnel_state() {
	in_ns a ipsecctl -s sa show
	in_ns b ip -s xfrm state
	in_ns b grep -v ' 0$' /proc/net/xfrm_stat
}

# ESN: 20 echoes each way cross 2^32 in both directions; xfrm infers the
# high half of what we send, we infer the high half of what it sends.
test_esn_wrap() {
	local got
	SA1_OPTS=(esn replay-window 128 seq-out $START)
	SA2_OPTS=(esn replay-window 128 seq-in $START)
	XFRM1_OPTS=(flag esn replay-window 128 replay-seq $START replay-seq-hi 0)
	XFRM2_OPTS=(flag esn replay-window 128 replay-oseq $START replay-oseq-hi 0)
	xfrm_pair 4 4
	got=$(ping_received a -c 20 -i 0.05 -W 2 10.0.0.2)
	[ "$got" = 20 ] || { tunnel_state; fail "$got of 20 echoes answered"; }
	[ "$(sa_json a 1 .seq_out)" -ge $((0x100000000 + 14)) ] ||
		fail "seq-out $(sa_json a 1 .seq_out) did not pass 2^32"
	[ "$(sa_json a 2 .seq_in)" -ge $((0x100000000 + 14)) ] ||
		fail "seq-in $(sa_json a 2 .seq_in) did not pass 2^32"
	expect_eq "RX drops" "0 0" "$(sa_json a 2 '.stats | "\(.replay) \(.integrity)"')"
	# The peer agrees: its counters of both SAs are in the next subspace.
	in_ns b ip xfrm state | grep -q "seq-hi 0x1, seq 0x" ||
		{ tunnel_state; fail "xfrm did not infer seq-hi 1"; }
	in_ns b ip xfrm state | grep -q "oseq-hi 0x1, oseq 0x" ||
		{ tunnel_state; fail "xfrm did not send with seq-hi 1"; }
}

# Without ESN both ends stop after 2^32 - 1 (RFC 4303 3.3.3): exactly five
# echoes get through, and a preset top refuses what is not above it.
test_exhausted() {
	local got
	SA1_OPTS=(replay-window 64 seq-out $START)
	SA2_OPTS=(replay-window 64 seq-in $START)
	XFRM1_OPTS=(replay-window 64 replay-seq $START)
	XFRM2_OPTS=(replay-window 64 replay-oseq $START)
	xfrm_pair 4 4
	got=$(ping_received a -c 8 -i 0.1 -W 1 10.0.0.2)
	[ "$got" = 5 ] || { tunnel_state; fail "$got echoes answered, not 5"; }
	expect_eq "last sent" $((0xffffffff)) "$(sa_json a 1 .seq_out)"
	expect_eq "last received" $((0xffffffff)) "$(sa_json a 2 .seq_in)"
	expect_eq "exhausted drops" 3 "$(sa_json a 1 .stats.seq_exhausted)"
	# The other way, xfrm has nothing left either: it sent five replies.
	got=$(ping_received b -c 4 -i 0.1 -W 1 10.0.0.1)
	expect_eq "echoes from b answered" 0 "$got"
	[ "$(in_ns b awk '$1 == "XfrmOutStateSeqError" { print $2 }' \
	     /proc/net/xfrm_stat)" -ge 4 ] ||
		{ tunnel_state; fail "xfrm sent past 2^32-1"; }
	expect_eq "last received" $((0xffffffff)) "$(sa_json a 2 .seq_in)"
}

test_refused() {
	underlay_pair
	crypto_args gcm128 1
	expect_fail "without ESN the sequence number is 32 bits" \
		in_ns a ipsecctl sa add 1 spi 0x1 mode tunnel src 192.0.2.1 \
		dst 192.0.2.2 "${CRYPTO[@]}" seq-in $((0x100000000))
	in_ns a ipsecctl sa add 1 spi 0x1 mode tunnel src 192.0.2.1 \
		dst 192.0.2.2 "${CRYPTO[@]}" esn seq-in $((0x100000000))
	expect_eq "seq-in" $((0x100000000)) "$(sa_json a 1 .seq_in)"
	expect_fail "cannot change on a live SA" \
		in_ns a ipsecctl sa update 1 seq-in 5
}

ktap_run \
	"ESN: sequence numbers cross 2^32 both ways, xfrm agrees" test_esn_wrap \
	"without ESN: both ends stop after 2^32-1, exactly 5 echoes" test_exhausted \
	"seq-in: 32 bits without ESN; set only when the SA is added" test_refused
