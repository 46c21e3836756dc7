# SPDX-License-Identifier: GPL-2.0
#
# Shared by faults.sh and rekey.sh: two ipsecif ends under traffic, SA
# generations, accounting of ESP end to end, and long-running ipsecctl
# batch processes fed line by line.
source "$(dirname "$0")/lib.sh"

# ESP that arrives for an SA the receiver does not have yet goes on to
# xfrm, which counts it as XfrmInNoStates; without esp4/esp6 loaded it
# would be dropped uncounted (conserved, CONSERVE_NO_STATE=1).
modprobe -q esp4
modprobe -q esp6

LOOPS=$(scaled 30 4)
GCM='rfc4106(gcm(aes))'
DROPS='.replay + .integrity + .trailer + .nexthdr + .runt + .no_protect +
	.seq_exhausted + .crypto + .expired'

# SA ids and SPIs of generation G: 2G carries a -> b, 2G + 1 b -> a.
ab_id() { echo $((2 * $1)); }
ba_id() { echo $((2 * $1 + 1)); }
tx_of() { [ "$1" = a ] && ab_id "$2" || ba_id "$2"; }
rx_of() { [ "$1" = a ] && ba_id "$2" || ab_id "$2"; }

# sa_add_lines G: the "sa add" commands of generation G (the same on both
# ends), for ipsecctl -batch.
sa_add_lines() {
	local g=$1
	echo "sa add $(ab_id "$g") spi $((0x10000 + 2 * g)) mode tunnel" \
		"src 192.0.2.1 dst 192.0.2.2 aead '$GCM' $(test_key 20 $((2 * g)))" \
		"128 replay-window 1024"
	echo "sa add $(ba_id "$g") spi $((0x10000 + 2 * g + 1)) mode tunnel" \
		"src 192.0.2.2 dst 192.0.2.1 aead '$GCM' $(test_key 20 $((2 * g + 1)))" \
		"128 replay-window 1024"
}

# Both ends with generation 0, 10.0.0.1 (a) and 10.0.0.2 (b) on ipsec0.
pair_setup() {
	local side
	underlay_pair
	for side in a b; do
		sa_add_lines 0 | in_ns $side ipsecctl -batch -
		in_ns $side ipsecctl link add ipsec0
		in_ns $side sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
		in_ns $side ipsecctl protect set dev ipsec0 tx "$(tx_of $side 0)" \
			rx "$(rx_of $side 0)"
	done
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns b ip addr add 10.0.0.2/24 dev ipsec0
	in_ns a ip link set ipsec0 up
	in_ns b ip link set ipsec0 up
	in_ns a ping -c 1 -W 3 10.0.0.2 >/dev/null
}

# Echoes both ways every 5 ms until traffic_stop.
traffic_start() {
	ICMP0[a]=$(icmp_echo_ctrs a)
	ICMP0[b]=$(icmp_echo_ctrs b)
	bg_start a ping_a ping -i 0.005 -q 10.0.0.2
	bg_start b ping_b ping -i 0.005 -q 10.0.0.1
	sleep 0.5
}

# Stops both pings and, once what was in flight has arrived, counts the
# echoes of each side's ping lost on the way there or back (LOST[a],
# LOST[b]) from both namespaces' ICMP counters. (ping's own summary counts
# the requests still in flight when it is interrupted as lost.)
traffic_stop() {
	local side other sent got
	bg_stop ping_a
	bg_stop ping_b
	sleep 1
	for side in a b; do
		other=$([ $side = a ] && echo b || echo a)
		# shellcheck disable=SC2046 # four numbers each
		set -- $(icmp_echo_ctrs $side) ${ICMP0[$side]} \
			$(icmp_echo_ctrs $other) ${ICMP0[$other]}
		# $1..$4: side's OutEchos InEchos OutEchoReps InEchoReps now,
		# $5..$8 at the start, $9..$16 the same for the other side.
		sent=$(($1 - $5))
		got=$(($4 - $8))
		LOST[$side]=$((sent - got))
		echo "# ping from $side: $sent echoes, $got answered;" \
			"$((sent - ${10} + ${14})) lost on the way there"
	done
}

# icmp_echo_ctrs NS: OutEchos InEchos OutEchoReps InEchoReps of NS.
# shellcheck disable=SC2016 # awk's own fields
icmp_echo_ctrs() {
	in_ns "$1" awk '$1 == "Icmp:" {
		if (!h) { for (i = 2; i <= NF; i++) c[$i] = i; h = 1; next }
		print $c["OutEchos"], $c["InEchos"], $c["OutEchoReps"], $c["InEchoReps"]
		exit }' /proc/net/snmp
}
declare -A ICMP0 LOST

# Traffic works again: 20 echoes each way, every one answered.
restored() {
	local got
	got=$(ping_received a -c 20 -i 0.02 -W 2 10.0.0.2)
	[ "$got" = 20 ] || { state; fail "a -> b: $got of 20 echoes answered"; }
	got=$(ping_received b -c 20 -i 0.02 -W 2 10.0.0.1)
	[ "$got" = 20 ] || { state; fail "b -> a: $got of 20 echoes answered"; }
}

state() {
	local side
	for side in a b; do
		echo "== $side"
		in_ns $side ipsecctl -s sa show
		in_ns $side ipsecctl protect show
		in_ns $side ip -s link show
	done
}

# conserved ID FROM TO: what FROM's SA ID sent, TO's SA ID delivered or
# dropped for a counted reason: the veth between them loses nothing. With
# CONSERVE_NO_STATE=1 (the sender may use an SA before the receiver has
# it), what arrived before is no ipsecif SA's: xfrm counts it as without
# state, with whatever else came for SAs already deleted.
# The two ends are read one after the other: a TCP socket left behind by
# a stopped iperf3 may still retransmit or close in between, so the
# snapshot counts only when FROM's counter is the same before and after
# TO's (up to 10 tries, half a second apart).
conserved() {
	local id=$1 from=$2 to=$3 sent got nostate try after
	for try in $(seq 10); do
		sent=$(sa_packets "$from" "$id")
		got=$(in_ns "$to" ipsecctl -j -s sa show "$id" |
		      jq ".[0].stats | .packets + $DROPS")
		after=$(sa_packets "$from" "$id")
		[ "$sent" = "$after" ] && break
		sleep 0.5
	done
	if [ "${CONSERVE_NO_STATE:-0}" = 1 ]; then
		nostate=$(in_ns "$to" awk '$1 == "XfrmInNoStates" { print $2 }' \
			  /proc/net/xfrm_stat)
		[ "$got" -le "$sent" ] && [ "$sent" -le $((got + nostate)) ] ||
			{ state; fail "SA $id: $from sent $sent, $to accounted for $got, $nostate without state"; }
		return 0
	fi
	[ "$sent" -eq "$got" ] ||
		{ state; fail "SA $id: $from sent $sent, $to accounted for $got"; }
}

sa_packets() {
	in_ns "$1" ipsecctl -j -s sa show "$2" | jq '.[0].stats.packets'
}

all_conserved() {
	conserved "$(tx_of a "$1")" a b
	conserved "$(tx_of b "$1")" b a
}

# A long-running "ipsecctl -j -s -batch -" in netns NS, fed line by line:
# batch_open NAME NS, batch NAME LINE..., batch_sync NAME (waits until all
# lines ran; fails if ipsecctl stopped on a failing line).
declare -A BATCH_W BATCH_R
batch_open() {
	local name=$1 fd
	mkfifo "$SCRATCH/$name.in" "$SCRATCH/$name.out"
	nsenter --net="/run/netns/$(ns "$2")" ipsecctl -j -s -batch - \
		<"$SCRATCH/$name.in" >"$SCRATCH/$name.out" 2>"$SCRATCH/$name.err" &
	BG_PIDS+=("$!")
	exec {fd}>"$SCRATCH/$name.in"
	BATCH_W[$name]=$fd
	exec {fd}<"$SCRATCH/$name.out"
	BATCH_R[$name]=$fd
}

batch() {
	local name=$1
	shift
	printf '%s\n' "$@" >&"${BATCH_W[$name]}"
}

# batch_read NAME: the next output line (a JSON document) into REPLY.
batch_read() {
	read -r -t 60 -u "${BATCH_R[$1]}" ||
		{ cat "$SCRATCH/$1.err" >&2; fail "ipsecctl -batch ($1) stopped"; }
}

batch_sync() {
	batch "$1" "protect show dev ipsec0"
	batch_read "$1"
}

# stat_of KEY: the counter KEY of the SA object in REPLY.
stat_of() {
	[[ $REPLY =~ \"$1\":([0-9]+) ]] || fail "no $1 in $REPLY"
	echo "${BASH_REMATCH[1]}"
}

