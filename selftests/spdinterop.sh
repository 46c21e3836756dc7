#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Interoperability of the policy (SPD) mode with the kernel's own
# policy-based IPsec ("ip xfrm state" + "ip xfrm policy", no xfrm interface):
#
#   transport  netns "a": an SPD on a0 with transport-mode SAs, protecting
#              everything between A and B; netns "b": xfrm transport-mode
#              states and policies for the same. Ping and TCP, each side
#              initiating.
#   tunnel     two LANs joined by two routers: h1 -- r1 ==WAN== r2 -- h2.
#              r1 has an SPD on its WAN veth with tunnel-mode SAs between
#              the routers for LAN A <-> LAN B; r2 has xfrm tunnel-mode
#              policies (out, fwd and in) for the same. Ping and TCP between
#              the hosts, each side initiating.
#
# Each test also proves that the traffic was ESP on the wire (tcpdump on the
# xfrm side's veth: ESP both ways, no plaintext between the protected
# addresses), that the xfrm side counted no input error (a plaintext packet
# where its policy wants ESP is one), that our SA and policy counters moved,
# and that the SPD dropped nothing as plaintext or outside its selectors.
# TCP segments larger than the path MTU minus ESP are fragmented after ESP
# is added (no PMTU handling yet): the transfers must still complete.
source "$(dirname "$0")/lib.sh"

# Bytes each TCP transfer carries (iperf3 -R -n: the server sends them, the
# client must receive them all).
TCP_KB=$(scaled 512 256)
IPERF_PORT=5201

# ---------------------------------------------------------------------------
# Helpers: background processes, captures, traffic, counters.

# What a test started in the background (tcpdump, iperf3 servers) and its
# scratch directory; tests run in subshells, so each has its own.
BG_PIDS=()
declare -A CAPTURE_PID
SCRATCH=

bg_cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	[ -z "$SCRATCH" ] || rm -rf "$SCRATCH"
}

# Every test calls this first.
test_init() {
	SCRATCH=$(mktemp -d)
	trap bg_cleanup EXIT
}

# capture_start NS DEV NAME: tcpdump on DEV of NS into $SCRATCH/NAME.pcap,
# every packet written as it comes, until capture_stop NAME.
capture_start() {
	local file=$SCRATCH/$3.pcap i

	# Not in_ns: a function in the background is a subshell, whose PID is
	# not tcpdump's. nsenter execs tcpdump, keeping its own PID.
	nsenter --net="/run/netns/$(ns "$1")" tcpdump -n -i "$2" -Z root \
		--immediate-mode -U -w "$file" 2>"$file.log" &
	CAPTURE_PID[$3]=$!
	BG_PIDS+=("$!")
	for i in $(seq 100); do
		grep -qs "listening on" "$file.log" && return 0
		sleep 0.1
	done
	cat "$file.log"
	fail "tcpdump on $2 in $1 did not start"
}

capture_stop() {
	kill -INT "${CAPTURE_PID[$1]}" 2>/dev/null || true
	wait "${CAPTURE_PID[$1]}" || true
}

# capture_count NAME FILTER: packets of capture NAME that FILTER matches.
capture_count() {
	tcpdump -n -r "$SCRATCH/$1.pcap" "$2" 2>/dev/null | wc -l
}

# Runs a command, saying what it is; its failure is no failure (diagnostics).
show() {
	echo "\$ $*"
	"$@" 2>&1 || true
}

# spd_state OURS THEIRS: what both ends counted, to explain a failure; OURS
# is the netns with the SPD, THEIRS the one with xfrm.
spd_state() {
	show in_ns "$1" ipsecctl -s sa show
	show in_ns "$1" ipsecctl -s spd show
	show in_ns "$1" ipsecctl -s policy show spd 1
	show in_ns "$1" ip -s link show
	show in_ns "$2" ip -s xfrm state
	show in_ns "$2" ip xfrm policy
	show in_ns "$2" grep -v ' 0$' /proc/net/xfrm_stat
	show in_ns "$2" ip -s link show
}

# ping_ok NS ADDR: three echoes, all answered.
ping_ok() {
	local out
	out=$(in_ns "$1" ping -c 3 -i 0.2 -W 3 "$2" 2>&1) && grep -q " 0% packet loss" <<<"$out" && return 0
	spd_state "$OURS" "$THEIRS"
	fail "ping $2 from $1: $out"
}

iperf_listening() {
	in_ns "$1" ss -Hltn "sport = :$IPERF_PORT" | grep -q .
}

# tcp_ok CLIENT SERVER ADDR: CLIENT connects to an iperf3 server at ADDR in
# netns SERVER, which sends TCP_KB KiB (-R); the client must get them all.
tcp_ok() {
	local client=$1 server=$2 addr=$3 pidfile=$SCRATCH/iperf3-$2.pid json got

	in_ns "$server" iperf3 -s -1 -D -B "$addr" -p $IPERF_PORT -I "$pidfile" >/dev/null
	wait_for iperf_listening "$server" || fail "iperf3 server in $server did not start"
	json=$(in_ns "$client" timeout 60 iperf3 -c "$addr" -p $IPERF_PORT -R \
		-n "${TCP_KB}K" -J 2>&1) || true
	if [ -e "$pidfile" ]; then
		kill "$(cat "$pidfile")" 2>/dev/null || true
	fi
	got=$(jq -r '.end.sum_received.bytes // 0' <<<"$json" 2>/dev/null) || got=0
	if [ "${got:-0}" -lt $((TCP_KB * 1024)) ]; then
		spd_state "$OURS" "$THEIRS"
		jq -r '.error // empty' <<<"$json" 2>/dev/null || head -n 5 <<<"$json"
		fail "TCP $server -> $client ($addr): received ${got:-0} of $((TCP_KB * 1024)) bytes"
	fi
}

# sa_stat NS ID FIELD: a counter of one of our SAs.
sa_stat() {
	in_ns "$1" ipsecctl -j -s sa show "$2" | jq -r ".[0].stats.$3"
}

# spd_stat NS FIELD: a drop counter of SPD 1.
spd_stat() {
	in_ns "$1" ipsecctl -j -s spd show 1 | jq -r ".[0].stats.$2"
}

# policy_packets NS DIR ACTION: packets the first such policy of SPD 1 matched.
policy_packets() {
	in_ns "$1" ipsecctl -j -s policy show spd 1 |
		jq -r "[.[] | select(.dir == \"$2\" and .action == \"$3\")][0].stats.packets"
}

# Errors the kernel's xfrm counted on input in netns $1: integrity, replay,
# no state, and plaintext where a policy wants ESP (XfrmInTmplMismatch).
xfrm_in_errors() {
	# shellcheck disable=SC2016 # awk's own $1 and $2
	in_ns "$1" awk '$1 ~ /^XfrmIn/ { n += $2 } END { print n + 0 }' /proc/net/xfrm_stat
}

# at_least WHAT MIN VALUE
at_least() {
	[[ $3 =~ ^[0-9]+$ ]] && [ "$3" -ge "$2" ] && return 0
	spd_state "$OURS" "$THEIRS"
	fail "$1: expected at least $2, got '$3'"
}

# The counters after the traffic: SA 1 sends, SA 2 receives, in netns $1;
# the xfrm side, netns $2, counted no error.
check_counters() {
	local ours=$1 theirs=$2 field

	at_least "packets sent on SA 1" 6 "$(sa_stat "$ours" 1 packets)"
	at_least "packets received on SA 2" 6 "$(sa_stat "$ours" 2 packets)"
	for field in integrity replay trailer nexthdr runt; do
		expect_eq "SA 2 $field drops" 0 "$(sa_stat "$ours" 2 $field)"
	done
	at_least "packets of the outbound protect policy" 6 \
		"$(policy_packets "$ours" out protect)"
	at_least "packets of the inbound protect policy" 6 \
		"$(policy_packets "$ours" in protect)"
	expect_eq "SPD in_plaintext" 0 "$(spd_stat "$ours" in_plaintext)"
	expect_eq "SPD in_selector" 0 "$(spd_stat "$ours" in_selector)"
	expect_eq "SPD out_error" 0 "$(spd_stat "$ours" out_error)"
	if [ "$(xfrm_in_errors "$theirs")" != 0 ]; then
		spd_state "$ours" "$theirs"
		fail "xfrm in $theirs counted input errors"
	fi
}

# Neighbour discovery (ICMPv6 135 and 136) passes both ways in plaintext,
# before the policies that protect everything else between the hosts.
spd_nd_bypass() {
	local dir
	for dir in in out; do
		in_ns "$1" ipsecctl policy add spd 1 priority 1000 dir $dir \
			action bypass proto ipv6-icmp lport 135-136
	done
}

# The same for xfrm, whose lower priority numbers come first.
xfrm_nd_bypass() {
	local type dir
	for type in 135 136; do
		for dir in in out; do
			in_ns "$1" ip xfrm policy add src ::/0 dst ::/0 \
				proto ipv6-icmp type $type dir $dir priority 10
		done
	done
}

# SA keys: seed 1 for the direction ours -> theirs (SA 1, SPI 0x1001), seed
# 2 for theirs -> ours (SA 2, SPI 0x2001). Sets OUT and IN.
sa_keys() {
	crypto_args "$1" 1
	OUT=("${CRYPTO[@]}")
	crypto_args "$1" 2
	IN=("${CRYPTO[@]}")
}

# ---------------------------------------------------------------------------
# Host to host, transport mode: a (SPD on a0) <-> b (xfrm).

# transport ALG FAMILY
transport() {
	local alg=$1 family=$2 A B leak

	test_init
	OURS=a THEIRS=b
	underlay_pair
	if [ "$family" = 4 ]; then
		A=192.0.2.1 B=192.0.2.2
		leak="host $A and host $B and (tcp or icmp)"
	else
		A=2001:db8::1 B=2001:db8::2
		leak="host $A and host $B and (tcp or
			(icmp6 and (ip6[40] == 128 or ip6[40] == 129)))"
	fi
	sa_keys "$alg"

	in_ns a ipsecctl sa add 1 spi 0x1001 mode transport "${OUT[@]}"
	# Two vCPUs under TCG reorder ESP by more than 64 packets at times
	# (crypto deferred to a per-CPU cryptd queue when the FPU is busy), in
	# both directions: large replay windows at both ends.
	in_ns a ipsecctl sa add 2 spi 0x2001 mode transport "${IN[@]}" replay-window 1024
	in_ns a ipsecctl spd add 1
	in_ns a ipsecctl policy add spd 1 priority 100 dir out action protect \
		sa 1 local $A remote $B
	in_ns a ipsecctl policy add spd 1 priority 100 dir in action protect \
		sa 2 local $A remote $B
	[ "$family" = 4 ] || spd_nd_bypass a
	in_ns a ipsecctl spd attach 1 dev a0

	in_ns b ip xfrm state add src $A dst $B proto esp spi 0x1001 \
		mode transport "${OUT[@]}" replay-window 1024
	in_ns b ip xfrm state add src $B dst $A proto esp spi 0x2001 \
		mode transport "${IN[@]}" replay-window 64
	in_ns b ip xfrm policy add src $B dst $A dir out priority 100 \
		tmpl src $B dst $A proto esp mode transport
	in_ns b ip xfrm policy add src $A dst $B dir in priority 100 \
		tmpl src $A dst $B proto esp mode transport
	[ "$family" = 4 ] || xfrm_nd_bypass b

	capture_start b b0 wire
	ping_ok a $B
	ping_ok b $A
	tcp_ok a b $B
	tcp_ok b a $A
	sleep 0.5
	capture_stop wire

	check_counters a b
	at_least "ESP packets A -> B on the wire" 20 \
		"$(capture_count wire "esp and src host $A and dst host $B")"
	at_least "ESP packets B -> A on the wire" 20 \
		"$(capture_count wire "esp and src host $B and dst host $A")"
	expect_eq "plaintext TCP or echo between A and B on the wire" 0 \
		"$(capture_count wire "$leak")"
}

# ---------------------------------------------------------------------------
# Net to net, tunnel mode: h1 -- r1 (SPD on wan0) ==== r2 (xfrm) -- h2.

# lan_wan FAMILY: the four namespaces, their links, addresses and routes.
# h1 eth0 -- lan0 r1 wan0 -- wan0 r2 lan0 -- eth0 h2.
lan_wan() {
	local n plen nodad=()

	for n in h1 r1 r2 h2; do
		netns_add $n
	done
	ip link add eth0 netns "$(ns h1)" type veth peer name lan0 netns "$(ns r1)"
	ip link add wan0 netns "$(ns r1)" type veth peer name wan0 netns "$(ns r2)"
	ip link add lan0 netns "$(ns r2)" type veth peer name eth0 netns "$(ns h2)"
	if [ "$1" = 4 ]; then
		LAN_A=10.1.0.0/24 H1=10.1.0.2 R1_LAN=10.1.0.1
		LAN_B=10.2.0.0/24 H2=10.2.0.2 R2_LAN=10.2.0.1
		R1_WAN=192.0.2.1 R2_WAN=192.0.2.2
		plen=24
	else
		LAN_A=fd00:a::/64 H1=fd00:a::2 R1_LAN=fd00:a::1
		LAN_B=fd00:b::/64 H2=fd00:b::2 R2_LAN=fd00:b::1
		R1_WAN=2001:db8::1 R2_WAN=2001:db8::2
		plen=64
		nodad=(nodad)
	fi
	in_ns h1 ip addr add $H1/$plen dev eth0 "${nodad[@]}"
	in_ns r1 ip addr add $R1_LAN/$plen dev lan0 "${nodad[@]}"
	in_ns r1 ip addr add $R1_WAN/$plen dev wan0 "${nodad[@]}"
	in_ns r2 ip addr add $R2_WAN/$plen dev wan0 "${nodad[@]}"
	in_ns r2 ip addr add $R2_LAN/$plen dev lan0 "${nodad[@]}"
	in_ns h2 ip addr add $H2/$plen dev eth0 "${nodad[@]}"
	in_ns h1 ip link set eth0 up
	in_ns r1 ip link set lan0 up
	in_ns r1 ip link set wan0 up
	in_ns r2 ip link set wan0 up
	in_ns r2 ip link set lan0 up
	in_ns h2 ip link set eth0 up
	in_ns h1 ip route add default via $R1_LAN
	in_ns h2 ip route add default via $R2_LAN
	in_ns r1 ip route add $LAN_B via $R2_WAN
	in_ns r2 ip route add $LAN_A via $R1_WAN
	for n in r1 r2; do
		in_ns $n sysctl -qw net.ipv4.ip_forward=1
		in_ns $n sysctl -qw net.ipv6.conf.all.forwarding=1
	done
}

# tunnel ALG FAMILY (of the LANs and of the WAN alike)
tunnel() {
	local alg=$1 family=$2

	test_init
	OURS=r1 THEIRS=r2
	lan_wan "$family"
	sa_keys "$alg"

	in_ns r1 ipsecctl sa add 1 spi 0x1001 mode tunnel src $R1_WAN dst $R2_WAN "${OUT[@]}"
	in_ns r1 ipsecctl sa add 2 spi 0x2001 mode tunnel src $R2_WAN dst $R1_WAN \
		"${IN[@]}" replay-window 1024
	in_ns r1 ipsecctl spd add 1
	in_ns r1 ipsecctl policy add spd 1 priority 100 dir out action protect \
		sa 1 local $LAN_A remote $LAN_B
	in_ns r1 ipsecctl policy add spd 1 priority 100 dir in action protect \
		sa 2 local $LAN_A remote $LAN_B
	# The routers' own neighbour discovery on the WAN; nothing else of
	# theirs crosses it.
	[ "$family" = 4 ] || spd_nd_bypass r1
	in_ns r1 ipsecctl spd attach 1 dev wan0

	in_ns r2 ip xfrm state add src $R1_WAN dst $R2_WAN proto esp spi 0x1001 \
		mode tunnel "${OUT[@]}" replay-window 1024
	in_ns r2 ip xfrm state add src $R2_WAN dst $R1_WAN proto esp spi 0x2001 \
		mode tunnel "${IN[@]}" replay-window 64
	in_ns r2 ip xfrm policy add src $LAN_B dst $LAN_A dir out \
		tmpl src $R2_WAN dst $R1_WAN proto esp mode tunnel
	# Forwarded traffic meets "fwd" policies, not "in" ones; "in" is for
	# r2's own LAN address.
	in_ns r2 ip xfrm policy add src $LAN_A dst $LAN_B dir fwd \
		tmpl src $R1_WAN dst $R2_WAN proto esp mode tunnel
	in_ns r2 ip xfrm policy add src $LAN_A dst $LAN_B dir in \
		tmpl src $R1_WAN dst $R2_WAN proto esp mode tunnel

	# On r1's side of the WAN: Linux xfrm hands what it decrypted back to
	# its ingress interface, so a capture on r2's wan0 would see the LAN
	# packets too, after decryption.
	capture_start r1 wan0 wan
	capture_start h1 eth0 lan
	ping_ok h1 $H2
	ping_ok h2 $H1
	tcp_ok h1 h2 $H2
	tcp_ok h2 h1 $H1
	ping_ok h1 $R2_LAN
	sleep 0.5
	capture_stop wan
	capture_stop lan

	check_counters r1 r2
	at_least "ESP packets r1 -> r2 on the WAN" 20 \
		"$(capture_count wan "esp and src host $R1_WAN and dst host $R2_WAN")"
	at_least "ESP packets r2 -> r1 on the WAN" 20 \
		"$(capture_count wan "esp and src host $R2_WAN and dst host $R1_WAN")"
	expect_eq "packets with LAN addresses on the WAN" 0 \
		"$(capture_count wan "net $LAN_A or net $LAN_B")"
	# h1 gets what h2 sent in plaintext, from h2's own address, and no ESP.
	at_least "plaintext packets from h2 at h1" 20 \
		"$(capture_count lan "src host $H2 and dst host $H1 and not esp")"
	expect_eq "ESP on LAN A" 0 "$(capture_count lan esp)"
}

ALGORITHMS=(gcm128 cbc-sha256)
# On the debug kernel, AES-GCM only.
[ "$SLOW_KERNEL" = 1 ] && ALGORITHMS=(gcm128)
declare -A ALG_NAME=([gcm128]="AES-GCM-128" [cbc-sha256]="AES-CBC + HMAC-SHA256-128")

TESTS=()
for alg in "${ALGORITHMS[@]}"; do
	for family in 4 6; do
		TESTS+=("transport, host to host, IPv$family, ${ALG_NAME[$alg]}: ping and TCP both ways, ESP on the wire"
			"transport $alg $family")
	done
done
for alg in "${ALGORITHMS[@]}"; do
	for family in 4 6; do
		TESTS+=("tunnel, LAN to LAN via routers, IPv$family, ${ALG_NAME[$alg]}: ping and TCP both ways, ESP on the WAN"
			"tunnel $alg $family")
	done
done

ktap_run "${TESTS[@]}"
