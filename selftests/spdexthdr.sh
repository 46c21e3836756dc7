#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# IPv6 extension headers before ESP, transport mode, in the policy (SPD)
# mode. Netns "a" has an SPD on a0: SA 1 (SPI 0x1001) protects ICMP and
# ICMPv6 from A to B, SA 2 (SPI 0x2001) from B to A, both transport mode;
# neighbour discovery is bypassed. Netns "b" has the kernel's own xfrm.
#
#   inbound   b sends ESP echo requests crafted by espcraft (--transport),
#             after a Hop-by-Hop and/or a Destination Options header: a
#             decrypts and answers them, its replies leave as ESP on SA 1
#             and b's xfrm decrypts them. The same SA from an address
#             outside the policy's selectors is dropped (in_selector).
#   outbound  a sends ICMPv6 echo requests with those headers (espcraft
#             --plain): ESP goes after the Hop-by-Hop header, and the
#             Destination Options header, which follows the fragmentation
#             point, inside ESP (RFC 4303 3.1.1, RFC 8200 4.5); b's xfrm,
#             which wants ESP for them, decrypts and answers through SA 2.
#
# First, the kernel's xfrm proves that espcraft's transport-mode packets
# with these headers are valid.
source "$(dirname "$0")/lib.sh"

A4=192.0.2.1 B4=192.0.2.2
A6=2001:db8::1 B6=2001:db8::2 C6=2001:db8::3
# Echo requests per kind of packet.
N=3
# The extension headers before ESP (or, with --plain, before ICMPv6).
EXT_CASES=("" "--hbh" "--dstopts" "--hbh --dstopts")

# ---------------------------------------------------------------------------
# Helpers.

BG_PIDS=()
SCRATCH=

bg_cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	[ -z "$SCRATCH" ] || rm -rf "$SCRATCH"
}

test_init() {
	SCRATCH=$(mktemp -d)
	trap bg_cleanup EXIT
}

# capture_start NS DEV: tcpdump on DEV of NS into $SCRATCH/wire.pcap, every
# packet written as it comes, until capture_stop. (nsenter, not in_ns: it
# execs tcpdump, so $! is tcpdump's PID.)
capture_start() {
	local i

	nsenter --net="/run/netns/$(ns "$1")" tcpdump -n -i "$2" -Z root \
		--immediate-mode -U -w "$SCRATCH/wire.pcap" 2>"$SCRATCH/wire.log" &
	CAPTURE_PID=$!
	BG_PIDS+=("$!")
	for i in $(seq 100); do
		grep -qs "listening on" "$SCRATCH/wire.log" && return 0
		sleep 0.1
	done
	cat "$SCRATCH/wire.log"
	fail "tcpdump on $2 in $1 did not start"
}

capture_stop() {
	kill -INT "$CAPTURE_PID" 2>/dev/null || true
	wait "$CAPTURE_PID" || true
}

# capture_count FILTER: packets of the capture that FILTER matches.
capture_count() {
	tcpdump -n -r "$SCRATCH/wire.pcap" "$1" 2>/dev/null | wc -l
}

# Runs a command, saying what it is; its failure is no failure (diagnostics).
show() {
	echo "\$ $*"
	"$@" 2>&1 || true
}

# What both ends counted, to explain a failure.
spd_state() {
	show in_ns a ipsecctl -s sa show
	show in_ns a ipsecctl -s spd show
	show in_ns a ipsecctl -s policy show spd 1
	show in_ns a ip -s link show dev a0
	show in_ns a grep -v ' 0$' /proc/net/xfrm_stat
	show in_ns b ip -s xfrm state
	show in_ns b ip xfrm policy
	show in_ns b grep -v ' 0$' /proc/net/xfrm_stat
	show in_ns b ip -s link show dev b0
}

# icmp_stat NS FAMILY NAME: an ICMP counter of netns NS (InEchos,
# InEchoReplies, ...): Icmp6NAME of /proc/net/snmp6, or NAME of the Icmp
# lines of /proc/net/snmp.
# shellcheck disable=SC2016 # awk's own fields
icmp_stat() {
	local name=$3

	if [ "$2" = 6 ]; then
		in_ns "$1" awk -v name="Icmp6$3" '$1 == name { print $2 }' /proc/net/snmp6
	else
		# /proc/net/snmp abbreviates what snmp6 spells out.
		[ "$name" = InEchoReplies ] && name=InEchoReps
		in_ns "$1" awk -v name="$name" '$1 == "Icmp:" {
			if (col) { print $col; exit }
			for (i = 2; i <= NF; i++) if ($i == name) col = i
		}' /proc/net/snmp
	fi
}

# xfrm_state_packets NS SRC DST SPI: packets an xfrm state processed.
xfrm_state_packets() {
	in_ns "$1" ip -s xfrm state get src "$2" dst "$3" proto esp spi "$4" |
		grep -oE '[0-9]+\(packets\)' | tr -dc '0-9'
}

# Errors the kernel's xfrm counted on input in netns $1: integrity, no
# state, plaintext where a policy wants ESP (XfrmInTmplMismatch), ...
xfrm_in_errors() {
	# shellcheck disable=SC2016 # awk's own fields
	in_ns "$1" awk '$1 ~ /^XfrmIn/ { n += $2 } END { print n + 0 }' /proc/net/xfrm_stat
}

# sa_stats ID: the counters of our SA ID but bytes, as one line of JSON.
sa_stats() {
	in_ns a ipsecctl -j -s sa show "$1" | jq -c '.[0].stats | del(.bytes)'
}

sa_packets() {
	in_ns a ipsecctl -j -s sa show "$1" | jq -r '.[0].stats.packets'
}

# The SPD's drops that none of these tests may cause (in_no_match and
# out_no_match also count the namespaces' own multicast listener reports).
spd_drops() {
	in_ns a ipsecctl -j -s spd show 1 |
		jq -c '.[0].stats | {in_plaintext, in_selector, out_error}'
}

spd_stat() {
	in_ns a ipsecctl -j -s spd show 1 | jq -r ".[0].stats.$1"
}

output_is() {
	local want=$1
	shift
	[ "$("$@")" = "$want" ]
}

# expect_value WHAT EXPECTED CMD...: CMD prints EXPECTED, within wait_for's
# time (decryption and the replies are asynchronous).
expect_value() {
	local what=$1 want=$2
	shift 2
	wait_for output_is "$want" "$@" && return 0
	spd_state
	fail "$what: expected '$want', got '$("$@")'"
}

# Keys: seed 1 for A -> B (SA 1, SPI 0x1001), seed 2 for B -> A (SA 2,
# SPI 0x2001). Sets AB and BA.
sa_keys() {
	crypto_args "$1" 1
	AB=("${CRYPTO[@]}")
	crypto_args "$1" 2
	BA=("${CRYPTO[@]}")
}

# spd_setup ALG: the underlay and netns a's SPD.
spd_setup() {
	local dir sa

	test_init
	underlay_pair
	sa_keys "$1"
	in_ns a ipsecctl sa add 1 spi 0x1001 mode transport "${AB[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode transport "${BA[@]}" replay-window 64
	in_ns a ipsecctl spd add 1
	for dir in out in; do
		sa=1
		[ $dir = out ] || sa=2
		in_ns a ipsecctl policy add spd 1 priority 100 dir $dir \
			action protect sa $sa proto icmp local $A4 remote $B4
		in_ns a ipsecctl policy add spd 1 priority 100 dir $dir \
			action protect sa $sa proto ipv6-icmp local $A6 remote $B6
		# Neighbour discovery (ICMPv6 135, 136), before the above.
		in_ns a ipsecctl policy add spd 1 priority 1000 dir $dir \
			action bypass proto ipv6-icmp lport 135-136
	done
	in_ns a ipsecctl spd attach 1 dev a0
}

# ---------------------------------------------------------------------------
# espcraft's transport-mode packets against the kernel's xfrm: netns "a"
# has only an inbound xfrm state (SA 2's SPI and key), no policy and no SPD.

# xfrm_accepts FAMILY [ESPCRAFT_ARGS...]: N echo requests, each decrypted by
# the state, delivered to ICMP and answered (in plaintext).
xfrm_accepts() {
	local family=$1 src=$B6 dst=$A6 echos packets
	shift

	[ "$family" = 6 ] || { src=$B4 dst=$A4; }
	echos=$(icmp_stat a "$family" InEchos)
	packets=$(xfrm_state_packets a $src $dst 0x2001)
	in_ns b espcraft -t -s $src -d $dst -i 0x2001 -q "$SEQ" -c $N "$@" "${BA[@]}"
	SEQ=$((SEQ + N))
	wait_for output_is $((echos + N)) icmp_stat a "$family" InEchos ||
		fail "xfrm delivered $(($(icmp_stat a "$family" InEchos) - echos)) of $N echo requests: espcraft -t $*"
	expect_eq "packets of the xfrm state after espcraft -t $*" \
		$((packets + N)) "$(xfrm_state_packets a $src $dst 0x2001)"
	expect_eq "xfrm input errors after espcraft -t $*" 0 "$(xfrm_in_errors a)"
}

t_xfrm_accepts() {
	local alg ext

	underlay_pair
	for alg in gcm128 cbc-sha256; do
		sa_keys $alg
		in_ns a ip xfrm state flush
		in_ns a ip xfrm state add src $B4 dst $A4 proto esp spi 0x2001 \
			mode transport "${BA[@]}" replay-window 64
		in_ns a ip xfrm state add src $B6 dst $A6 proto esp spi 0x2001 \
			mode transport "${BA[@]}" replay-window 64
		SEQ=1
		xfrm_accepts 4
		for ext in "${EXT_CASES[@]}"; do
			# shellcheck disable=SC2086 # none, one or two options
			xfrm_accepts 6 $ext -p 100
		done
	done
}

# ---------------------------------------------------------------------------
# Inbound: espcraft in b sends as B to A on SA 2.

# receive FAMILY [ESPCRAFT_ARGS...]: N echo requests; SA 2 counts exactly N
# packets and nothing else, a answers each, its replies go out on SA 1 and
# b's xfrm decrypts them.
receive() {
	local family=$1 src=$B6 dst=$A6 sa2 sa1 echos replies decrypted drops
	shift

	[ "$family" = 6 ] || { src=$B4 dst=$A4; }
	sa2=$(sa_stats 2)
	sa1=$(sa_packets 1)
	echos=$(icmp_stat a "$family" InEchos)
	replies=$(icmp_stat b "$family" InEchoReplies)
	decrypted=$(xfrm_state_packets b $dst $src 0x1001)
	drops=$(spd_drops)

	in_ns b espcraft -t -s $src -d $dst -i 0x2001 -q "$SEQ" -c $N "$@" "${BA[@]}"
	SEQ=$((SEQ + N))

	expect_value "SA 2 after espcraft -t $*" \
		"$(jq -c --argjson n $N '.packets += $n' <<<"$sa2")" sa_stats 2
	expect_value "echo requests a received (espcraft -t $*)" \
		$((echos + N)) icmp_stat a "$family" InEchos
	expect_value "packets SA 1 sent (espcraft -t $*)" $((sa1 + N)) sa_packets 1
	expect_value "echo replies b received (espcraft -t $*)" \
		$((replies + N)) icmp_stat b "$family" InEchoReplies
	expect_value "replies b's xfrm decrypted (espcraft -t $*)" \
		$((decrypted + N)) xfrm_state_packets b $dst $src 0x1001
	expect_eq "SPD drops after espcraft -t $*" "$drops" "$(spd_drops)"
}

t_inbound() {
	local ext sa2 echos selector

	spd_setup "$1"
	# b decrypts a's replies: states, no policy.
	in_ns b ip xfrm state add src $A4 dst $B4 proto esp spi 0x1001 \
		mode transport "${AB[@]}"
	in_ns b ip xfrm state add src $A6 dst $B6 proto esp spi 0x1001 \
		mode transport "${AB[@]}"
	SEQ=1
	for ext in "${EXT_CASES[@]}"; do
		# shellcheck disable=SC2086 # none, one or two options
		receive 6 $ext
	done
	receive 4
	receive 6 --hbh --dstopts -p 1000
	expect_eq "xfrm input errors in b" 0 "$(xfrm_in_errors b)"

	# SA 2 from C, another address of b's: decrypted, then outside the
	# selectors of SA 2's inbound policy (remote B), so dropped; nothing
	# is delivered, and SA 2 counts no error.
	in_ns b ip addr add $C6/64 dev b0 nodad
	sa2=$(sa_stats 2)
	echos=$(icmp_stat a 6 InEchos)
	selector=$(spd_stat in_selector)
	in_ns b espcraft -t --hbh -s $C6 -d $A6 -i 0x2001 -q "$SEQ" "${BA[@]}"
	expect_value "in_selector after SA 2 from C" $((selector + 1)) spd_stat in_selector
	expect_eq "echo requests a received from C" "$echos" "$(icmp_stat a 6 InEchos)"
	expect_eq "SA 2's errors after SA 2 from C" \
		"$(jq -c 'del(.packets)' <<<"$sa2")" "$(sa_stats 2 | jq -c 'del(.packets)')"
}

# ---------------------------------------------------------------------------
# Outbound: a sends ICMPv6 with extension headers; b wants ESP for echo
# requests from A and protects its echo replies with SPI 0x2001.

t_outbound() {
	local ext sa1 sa2 echos replies total=$((N * ${#EXT_CASES[@]}))

	spd_setup "$1"
	in_ns b ip xfrm state add src $A6 dst $B6 proto esp spi 0x1001 \
		mode transport "${AB[@]}" replay-window 64
	in_ns b ip xfrm state add src $B6 dst $A6 proto esp spi 0x2001 \
		mode transport "${BA[@]}" replay-window 64
	in_ns b ip xfrm policy add src $A6 dst $B6 proto ipv6-icmp type 128 \
		dir in tmpl src $A6 dst $B6 proto esp mode transport
	in_ns b ip xfrm policy add src $B6 dst $A6 proto ipv6-icmp type 129 \
		dir out tmpl src $B6 dst $A6 proto esp mode transport

	sa1=$(sa_packets 1)
	sa2=$(sa_stats 2)
	echos=$(icmp_stat b 6 InEchos)
	replies=$(icmp_stat a 6 InEchoReplies)
	capture_start b b0
	SEQ=1
	for ext in "${EXT_CASES[@]}"; do
		# shellcheck disable=SC2086 # none, one or two options
		in_ns a espcraft --plain -s $A6 -d $B6 -q "$SEQ" -c $N $ext
		SEQ=$((SEQ + N))
	done
	expect_value "echo requests b's xfrm accepted" $((echos + total)) \
		icmp_stat b 6 InEchos
	expect_value "echo replies a received" $((replies + total)) \
		icmp_stat a 6 InEchoReplies
	sleep 0.5
	capture_stop

	expect_eq "packets SA 1 sent" $((sa1 + total)) "$(sa_packets 1)"
	expect_eq "SA 2" "$(jq -c --argjson n $total '.packets += $n' <<<"$sa2")" \
		"$(sa_stats 2)"
	expect_eq "xfrm input errors in b" 0 "$(xfrm_in_errors b)"
	# ESP goes where Linux xfrm puts it (ip6_find_1stfragopt): behind the
	# Hop-by-Hop header and behind Destination Options that no routing
	# header follows; RFC 4303 3.1.1 allows them either side of ESP.
	expect_eq "ESP from A right after the IPv6 header" $N \
		"$(capture_count "src host $A6 and ip6[6] == 50")"
	expect_eq "ESP from A after a Hop-by-Hop header" $N \
		"$(capture_count "src host $A6 and ip6[6] == 0 and ip6[40] == 50")"
	expect_eq "ESP from A after Destination Options" $N \
		"$(capture_count "src host $A6 and ip6[6] == 60 and ip6[40] == 50")"
	expect_eq "ESP from A after Hop-by-Hop and Destination Options" $N \
		"$(capture_count "src host $A6 and ip6[6] == 0 and ip6[40] == 60 and ip6[48] == 50")"
}

ALGORITHMS=(gcm128 cbc-sha256)
[ "$SLOW_KERNEL" = 1 ] && ALGORITHMS=(gcm128)
declare -A ALG_NAME=([gcm128]="AES-GCM-128" [cbc-sha256]="AES-CBC + HMAC-SHA256-128")

TESTS=("espcraft transport mode, IPv6 Hop-by-Hop/Destination Options: native xfrm accepts it"
	t_xfrm_accepts)
for alg in "${ALGORITHMS[@]}"; do
	TESTS+=("inbound transport ESP after HBH/DestOpts, ${ALG_NAME[$alg]}: decrypted, answered as ESP; foreign source: in_selector"
		"t_inbound $alg")
done
TESTS+=("outbound ICMPv6 with HBH/DestOpts, AES-GCM-128: ESP behind them as Linux puts it; xfrm decrypts, answers"
	"t_outbound gcm128")

ktap_run "${TESTS[@]}"
