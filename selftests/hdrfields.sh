#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Outer header fields: netns "a" runs ipsec0 (ipsecif), netns "b" a native
# xfrm interface (xfrm_pair in lib.sh). a pings b with chosen inner header
# fields; tcpdump on b's underlay veth reads the outer header of each ESP
# packet that carried them and every one must have the fields that the SA's
# options ask for: DSCP copied or fixed, ECN after RFC 6040 or off, DF
# copied, set or cleared, TTL / hop limit of the route or fixed, the IPv6
# flow label zero or copied. On receive, nftables in a rewrites the outer
# header of b's ESP before ipsecif sees it (DSCP, ECN CE), and a capture on
# ipsec0 reads the inner header delivered. "sa update" changes the options
# of the live SA, which keeps its sequence numbers.
source "$(dirname "$0")/lib.sh"

# ESP from a, carrying the 400-byte echoes of "sent" (nothing else a sends
# is that large), as b receives it.
esp_from_a() {
	if [ "$1" = 4 ]; then
		ESP_FROM_A="src host $A and ip proto 50 and ip[2:2] > 400"
	else
		ESP_FROM_A="src host $A and ip6 and ip6[6] = 50 and ip6[4:2] > 400"
	fi
}

# setup OUTER_FAMILY INNER(4|46): xfrm_pair, SA1_OPTS for a's TX SA.
setup() {
	scratch_init
	xfrm_pair "$1" "$2"
	esp_from_a "$1"
	in_ns a ping -c 1 -W 3 10.0.0.2 >/dev/null || { xfrm_pair_state; fail "no tunnel"; }
}

# sent WHAT CONDITION PING_ARGS...: a pings b (three echoes of 400 bytes,
# all answered); every ESP packet of a that carried them has CONDITION, a
# tcpdump filter on the outer header.
sent() {
	local what=$1 cond=$2 got
	shift 2
	pcap_start b b0 wire
	got=$(ping_received a -c 3 -i 0.2 -W 2 -s 400 "$@")
	pcap_stop wire
	if [ "$got" != 3 ]; then
		xfrm_pair_state
		fail "$what: $got of 3 echoes answered (ping $*)"
	fi
	pcap_all wire "$what" "$ESP_FROM_A" "$cond"
}

# received WHAT EXPECTED_REPLIES CONDITION PING_ARGS...: b pings a (three
# echoes of 400 bytes, EXPECTED_REPLIES answered); every echo request that
# ipsec0 delivered has CONDITION (a filter on the inner header), and there
# are EXPECTED_REPLIES of them.
received() {
	local what=$1 want=$2 cond=$3 got filter
	shift 3
	filter="src host 10.0.0.2 and icmp[0] = 8 and ip[2:2] > 400"
	pcap_start a ipsec0 inner
	got=$(ping_received b -c 3 -i 0.2 -W 2 -s 400 "$@" 10.0.0.1)
	pcap_stop inner
	if [ "$got" != "$want" ]; then
		xfrm_pair_state
		fail "$what: $got of 3 echoes answered, expected $want (ping $*)"
	fi
	if [ "$want" = 0 ]; then
		expect_eq "$what: echo requests delivered" 0 "$(pcap_count inner "$filter")"
	else
		pcap_all inner "$what" "$filter" "$cond" "$want"
	fi
}

# outer JQ_FIELD: the SA 1 option as "sa show" reports it.
outer() {
	sa_json a 1 ".$1"
}

t_defaults() {
	setup 4 46
	expect_eq "dscp" copy "$(outer dscp)"
	expect_eq "ecn" true "$(outer ecn)"
	expect_eq "decap_dscp" false "$(outer decap_dscp)"
	expect_eq "df" copy "$(outer df)"
	expect_eq "ttl" 0 "$(outer ttl)"
	expect_eq "flowlabel" zero "$(outer flowlabel)"
	sent "inner DSCP, ECT(0) and DF copied out, TTL of the route" \
		"ip[1] = 0xa2 and ip[6] & 0x40 != 0 and ip[8] = 64" -Q 0xa2 -M "do" 10.0.0.2
	sent "inner DSCP EF, ECT(1), no DF copied out" \
		"ip[1] = 0xb9 and ip[6] & 0x40 = 0" -Q 0xb9 -M dont 10.0.0.2
	sent "inner IPv6: outer DF set, traffic class copied" \
		"ip[6] & 0x40 != 0 and ip[1] = 0xa2" -6 -Q 0xa2 fd00::2
}

t_dscp_fixed() {
	SA1_OPTS=(dscp 10)
	setup 4 4
	expect_eq "dscp" 10 "$(outer dscp)"
	sent "dscp 10, inner EF ECT(0): DSCP 10, ECN copied" "ip[1] = 0x2a" -Q 0xba 10.0.0.2
	in_ns a ipsecctl sa update 1 dscp 0
	expect_eq "dscp after update" 0 "$(outer dscp)"
	sent "dscp 0 (updated), inner ECT(0)" "ip[1] = 0x02" -Q 0xa2 10.0.0.2
	in_ns a ipsecctl sa update 1 dscp copy
	expect_eq "dscp after update" copy "$(outer dscp)"
	sent "dscp copy (updated)" "ip[1] = 0xb8" -Q 0xb8 10.0.0.2
}

t_no_ecn() {
	SA1_OPTS=(no-ecn)
	setup 4 4
	expect_eq "ecn" false "$(outer ecn)"
	sent "no-ecn, inner ECT(0): outer Not-ECT, DSCP copied" "ip[1] = 0xa0" -Q 0xa2 10.0.0.2
	in_ns a ipsecctl sa update 1 ecn
	expect_eq "ecn after update" true "$(outer ecn)"
	sent "ecn (updated), inner ECT(0)" "ip[1] = 0xa2" -Q 0xa2 10.0.0.2
}

t_df() {
	SA1_OPTS=(df set)
	setup 4 46
	expect_eq "df" set "$(outer df)"
	sent "df set, inner DF clear" "ip[6] & 0x40 != 0" -M dont 10.0.0.2
	in_ns a ipsecctl sa update 1 df clear
	expect_eq "df after update" clear "$(outer df)"
	sent "df clear, inner DF set" "ip[6] & 0x40 = 0" -M "do" 10.0.0.2
	sent "df clear, inner IPv6" "ip[6] & 0x40 = 0" -6 fd00::2
	in_ns a ipsecctl sa update 1 df copy
	expect_eq "df after update" copy "$(outer df)"
	sent "df copy, inner DF clear" "ip[6] & 0x40 = 0" -M dont 10.0.0.2
}

# TTL, and that "sa update" keeps the SA: its sequence numbers go on (b's
# xfrm, whose replay window saw them, accepts what follows), and what may
# not change on a live SA is refused.
t_ttl_update_keeps_sa() {
	local seq

	SA1_OPTS=(ttl 7)
	setup 4 4
	expect_eq "ttl" 7 "$(outer ttl)"
	sent "ttl 7" "ip[8] = 7" 10.0.0.2
	seq=$(sa_json a 1 .seq_out)
	in_ns a ipsecctl sa update 1 ttl inherit
	expect_eq "ttl after update" 0 "$(outer ttl)"
	sent "ttl inherit (updated): the route's" "ip[8] = 64" 10.0.0.2
	expect_eq "sequence number after update and 3 packets" $((seq + 3)) \
		"$(sa_json a 1 .seq_out)"
	expect_fail "cannot change on a live SA" in_ns a ipsecctl sa update 1 spi 0x1234
	expect_fail "cannot change on a live SA" in_ns a ipsecctl sa update 1 esn
	expect_eq "SPI after refused update" $((0x1001)) "$(sa_json a 1 .spi)"
}

t_ipv6_outer() {
	SA1_OPTS=(ttl 9)
	setup 6 46
	sent "ttl 9: hop limit 9; traffic class copied; flow label 0" \
		"ip6[7] = 9 and ip6[0:2] & 0x0ff0 = 0x0a20 and ip6[0:4] & 0xfffff = 0" \
		-6 -Q 0xa2 -F 0x12345 fd00::2
	sent "inner IPv4: its DSCP and ECN in the traffic class" \
		"ip6[0:2] & 0x0ff0 = 0x0b80" -Q 0xb8 10.0.0.2
	in_ns a ipsecctl sa update 1 flowlabel copy
	expect_eq "flowlabel after update" copy "$(outer flowlabel)"
	# A flow label stays leased for a while after its socket closes
	# (ip6_flowlabel.c): each ping takes a label of its own.
	sent "flowlabel copy: the inner IPv6 flow label" \
		"ip6[0:4] & 0xfffff = 0x23456 and ip6[7] = 9" -6 -F 0x23456 fd00::2
	sent "flowlabel copy, inner IPv4: flow label 0" "ip6[0:4] & 0xfffff = 0" 10.0.0.2
	in_ns a ipsecctl sa update 1 flowlabel zero ttl inherit
	sent "flowlabel zero, ttl inherit (updated)" \
		"ip6[0:4] & 0xfffff = 0 and ip6[7] = 64" -6 -F 0x34567 fd00::2
}

# nft_outer_rx RULE: in a, RULE applies to ESP as it arrives, before
# ipsecif decapsulates it.
nft_outer_rx() {
	in_ns a nft -f - <<EOF
table ip outer {
	chain pre {
		type filter hook prerouting priority -150; policy accept;
		ip protocol esp $1
	}
}
EOF
}

# The outer DSCP (AF11, set on the way in) goes into the inner header with
# decap-dscp, and not without.
t_decap_dscp() {
	setup 4 4
	nft_outer_rx "ip dscp set 10"
	received "no decap-dscp: inner DSCP kept" 3 "ip[1] = 0xb8" -Q 0xb8
	in_ns a ipsecctl sa update 2 decap-dscp
	expect_eq "decap_dscp after update" true "$(sa_json a 2 .decap_dscp)"
	received "decap-dscp: outer DSCP copied in, ECN kept" 3 "ip[1] = 0x2a" -Q 0xba
	in_ns a ipsecctl sa update 2 no-decap-dscp
	received "no-decap-dscp (updated)" 3 "ip[1] = 0xb8" -Q 0xb8
}

# RFC 6040 decapsulation: outer CE (set on the way in) becomes inner CE on
# an ECN-capable inner packet, and drops a Not-ECT one; with no-ecn the
# outer ECN field is ignored.
t_ecn_decap() {
	setup 4 4
	nft_outer_rx "ip ecn set ce"
	received "outer CE, inner ECT(0): inner CE" 3 "ip[1] & 3 = 3" -Q 0x02
	received "outer CE, inner ECT(1): inner CE" 3 "ip[1] = 0xa3" -Q 0xa1
	received "outer CE, inner Not-ECT: dropped" 0 "" -Q 0x00
	in_ns a ipsecctl sa update 2 no-ecn
	received "no-ecn, outer CE, inner Not-ECT: delivered unchanged" 3 "ip[1] = 0" -Q 0x00
	received "no-ecn, outer CE, inner ECT(0): unchanged" 3 "ip[1] = 0x02" -Q 0x02
}

ktap_run \
	"default: DSCP and ECN copied out, DF copied (set for inner IPv6), route TTL" t_defaults \
	"dscp N fixes the outer DSCP, ECN still copied; sa update to 0 and back to copy" t_dscp_fixed \
	"no-ecn: outer Not-ECT; sa update back to ecn" t_no_ecn \
	"df set / clear / copy whatever the inner DF, changed by sa update" t_df \
	"ttl N and inherit; sa update keeps sequence numbers, refuses spi and esn" t_ttl_update_keeps_sa \
	"IPv6 outer: hop limit, traffic class, flow label zero or copied" t_ipv6_outer \
	"decap-dscp copies the outer DSCP in, only when set" t_decap_dscp \
	"RFC 6040 decapsulation: CE copied in, Not-ECT+CE dropped, no-ecn ignores it" t_ecn_decap
