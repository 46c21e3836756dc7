#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Shared by the selftests: KTAP output, assertions, network namespaces.
#
# A test is a function run in a subshell with "set -e": any failing command
# fails it. Tests are listed as pairs to ktap_run: "description" function.

KTAP_PASS=0
KTAP_FAIL=0
KTAP_SKIP=0

# The debug kernel (KASAN, lockdep, kmemleak) runs everything several times
# slower under TCG: tests keep every check there but repeat less.
SLOW_KERNEL=0
[ -e /sys/kernel/debug/kmemleak ] && SLOW_KERNEL=1

# scaled FULL LIGHT: FULL normally, LIGHT on the debug kernel.
scaled() {
	if [ "$SLOW_KERNEL" = 1 ]; then echo "$2"; else echo "$1"; fi
}

# Netns names carry the PID so parallel runs never collide.
NS_PREFIX=ipsecif-$$

ns() { echo "$NS_PREFIX-$1"; }

netns_add() {
	local name
	name=$(ns "$1")
	ip netns add "$name"
	ip -n "$name" link set lo up
}

# Runs a command in test netns $1. Only the network namespace is entered:
# "ip netns exec" also makes a mount namespace and remounts sysfs, which
# costs several times more under TCG, and no test needs it.
# (No command substitution here: a fork per call adds up under TCG.)
in_ns() {
	local name=$NS_PREFIX-$1
	shift
	nsenter --net="/run/netns/$name" "$@"
}

# Tests run in subshells, so what they created is found by name.
netns_cleanup() {
	local name
	for name in $(ip netns list | awk '{ print $1 }'); do
		[[ $name == "$NS_PREFIX"-* ]] && ip netns del "$name"
	done
}

# Prints the reason and fails the test.
fail() {
	echo "FAIL: $*" >&2
	return 1
}

# expect_fail MESSAGE CMD...: CMD must fail and say MESSAGE on stderr/stdout.
expect_fail() {
	local msg=$1 out rc=0
	shift
	out=$("$@" 2>&1) || rc=$?
	[ "$rc" -ne 0 ] || fail "'$*' succeeded, expected failure: $msg"
	grep -qF -- "$msg" <<<"$out" || fail "'$*' said '$out', expected '$msg'"
}

# expect_eq WHAT EXPECTED ACTUAL
expect_eq() {
	[ "$2" = "$3" ] || fail "$1: expected '$2', got '$3'"
}

# link_exists [NETNS] NAME
link_exists() {
	if [ $# -eq 2 ]; then
		in_ns "$1" ip link show dev "$2" >/dev/null 2>&1
	else
		ip link show dev "$1" >/dev/null 2>&1
	fi
}

# Waits up to 5 s for a command to succeed.
wait_for() {
	local i
	for i in $(seq 50); do
		"$@" && return 0
		sleep 0.1
	done
	"$@"
}

ktap_skip() {
	echo "SKIP: $*"
	exit 4
}

# ktap_run "desc" "func [args]" ["desc" "func [args]" ...]: runs each
# test, prints KTAP and exits non-zero if any failed.
ktap_run() {
	local n=0 total=$(($# / 2)) desc func log rc start

	echo "KTAP version 1"
	echo "1..$total"
	while [ $# -gt 0 ]; do
		desc=$1 func=$2
		shift 2
		n=$((n + 1))
		log=$(mktemp)
		start=$SECONDS
		# shellcheck disable=SC2086 # "func" may carry arguments
		(set -e; $func) >"$log" 2>&1
		rc=$?
		netns_cleanup
		echo "# $n: $((SECONDS - start)) s"
		if [ $rc -eq 0 ]; then
			echo "ok $n $desc"
			KTAP_PASS=$((KTAP_PASS + 1))
		elif [ $rc -eq 4 ]; then
			echo "ok $n $desc # SKIP $(tail -n 1 "$log")"
			KTAP_SKIP=$((KTAP_SKIP + 1))
		else
			sed 's/^/# /' "$log"
			echo "not ok $n $desc"
			KTAP_FAIL=$((KTAP_FAIL + 1))
		fi
		rm -f "$log"
	done
	echo "# $KTAP_PASS passed, $KTAP_FAIL failed, $KTAP_SKIP skipped"
	[ $KTAP_FAIL -eq 0 ]
}

# Kernel log lines since the last kmsg_mark (the module's pr_debug lifecycle
# lines are enabled by "ipsecif.dyndbg=+p" on the VM's command line).
kmsg_mark() {
	KMSG_MARK="ipsecif-selftest mark $$.$RANDOM.$SECONDS"
	echo "$KMSG_MARK" > /dev/kmsg
}

# What the kernel logged after the mark (a line of our own in its log, so
# that a full, wrapping log buffer does not shift it).
kmsg_since_mark() {
	dmesg | sed -n "/$KMSG_MARK/,\$p" | tail -n +2
}

# Waits until the kernel logged COUNT lines matching PATTERN since the mark.
wait_kmsg_count() {
	local pattern=$1 count=$2 i
	for i in $(seq 100); do
		[ "$(kmsg_since_mark | grep -c -- "$pattern")" -ge "$count" ] && return 0
		sleep 0.1
	done
	fail "kernel logged $(kmsg_since_mark | grep -c -- "$pattern") of $count '$pattern'"
}

# Key material for tests: N bytes as 0x-prefixed hex, different per SEED.
test_key() {
	local bytes=$1 seed=$2
	printf '0x'
	for ((i = 0; i < bytes; i++)); do
		printf '%02x' $(((seed * 37 + i * 11 + 7) % 256))
	done
}

# Two namespaces "a" and "b" joined by veth (a0, b0) with IPv4 and IPv6
# underlay addresses: 192.0.2.1/2001:db8::1 in a, .2/::2 in b.
underlay_pair() {
	netns_add a
	netns_add b
	ip link add a0 netns "$(ns a)" type veth peer name b0 netns "$(ns b)"
	in_ns a ip addr add 192.0.2.1/24 dev a0
	in_ns b ip addr add 192.0.2.2/24 dev b0
	in_ns a ip addr add 2001:db8::1/64 dev a0 nodad
	in_ns b ip addr add 2001:db8::2/64 dev b0 nodad
	in_ns a ip link set a0 up
	in_ns b ip link set b0 up
}

# Sets CRYPTO to the "ip xfrm state" arguments (the same for ipsecctl) of
# algorithm $1, keyed by seed $2.
crypto_args() {
	case $1 in
	gcm128) CRYPTO=(aead 'rfc4106(gcm(aes))' "$(test_key 20 "$2")" 128) ;;
	gcm192) CRYPTO=(aead 'rfc4106(gcm(aes))' "$(test_key 28 "$2")" 128) ;;
	gcm256) CRYPTO=(aead 'rfc4106(gcm(aes))' "$(test_key 36 "$2")" 128) ;;
	chacha) CRYPTO=(aead 'rfc7539esp(chacha20,poly1305)' "$(test_key 36 "$2")" 128) ;;
	cbc-sha1) CRYPTO=(enc 'cbc(aes)' "$(test_key 16 "$2")"
			  auth-trunc 'hmac(sha1)' "$(test_key 20 "$2")" 96) ;;
	cbc-sha256) CRYPTO=(enc 'cbc(aes)' "$(test_key 32 "$2")"
			    auth-trunc 'hmac(sha256)' "$(test_key 32 "$2")" 128) ;;
	cbc-sha512) CRYPTO=(enc 'cbc(aes)' "$(test_key 32 "$2")"
			    auth-trunc 'hmac(sha512)' "$(test_key 64 "$2")" 256) ;;
	null-sha256) CRYPTO=(enc 'ecb(cipher_null)' ''
			     auth-trunc 'hmac(sha256)' "$(test_key 32 "$2")" 128) ;;
	cbc-null) CRYPTO=(enc 'cbc(aes)' "$(test_key 16 "$2")" auth digest_null '') ;;
	# No protection at all: ipsecif takes it only with null_esp=1.
	null) CRYPTO=(enc 'ecb(cipher_null)' '' auth digest_null '') ;;
	*) fail "unknown algorithm $1" ;;
	esac
}

# ---------------------------------------------------------------------------
# Background processes (captures, monitors, helpers) and a scratch directory,
# for the tests that need them: such a test calls scratch_init first, and
# everything it started with bg_start is killed when its subshell exits.

SCRATCH=
BG_PIDS=()
declare -A BG_PID

bg_cleanup() {
	local pid
	for pid in "${BG_PIDS[@]}"; do
		kill "$pid" 2>/dev/null || true
	done
	[ -z "$SCRATCH" ] || rm -rf "$SCRATCH"
}

scratch_init() {
	SCRATCH=$(mktemp -d)
	trap bg_cleanup EXIT
}

# bg_start NS NAME CMD...: CMD in netns NS in the background, its stdout in
# $SCRATCH/NAME.out, its stderr in $SCRATCH/NAME.err. Not in_ns: a function
# in the background is a subshell, whose PID is not CMD's; nsenter execs CMD.
bg_start() {
	local netns name=$2
	netns=$(ns "$1")
	shift 2
	# Emptied here, not by the child's redirections: a wait for its output
	# must not find an earlier run's.
	: >"$SCRATCH/$name.out"
	: >"$SCRATCH/$name.err"
	nsenter --net="/run/netns/$netns" "$@" >>"$SCRATCH/$name.out" 2>>"$SCRATCH/$name.err" &
	BG_PID[$name]=$!
	BG_PIDS+=("$!")
}

# bg_stop NAME [SIGNAL]: ends NAME (SIGINT by default: tcpdump writes what
# it holds) and waits for it.
bg_stop() {
	kill -"${2:-INT}" "${BG_PID[$1]}" 2>/dev/null || true
	wait "${BG_PID[$1]}" 2>/dev/null || true
}

# bg_wait_err NAME TEXT: waits up to 10 s for TEXT on NAME's stderr.
bg_wait_err() {
	local i
	for i in $(seq 100); do
		grep -qsF -- "$2" "$SCRATCH/$1.err" && return 0
		sleep 0.1
	done
	cat "$SCRATCH/$1.err" >&2
	fail "$1 did not say '$2'"
}

# pcap_start NS DEV NAME: tcpdump on DEV in NS writes every packet to
# $SCRATCH/NAME.pcap as it comes, until pcap_stop NAME.
pcap_start() {
	bg_start "$1" "$3" tcpdump -n -i "$2" -Z root --immediate-mode -U \
		-w "$SCRATCH/$3.pcap"
	bg_wait_err "$3" "listening on"
}

pcap_stop() {
	sleep 0.3
	bg_stop "$1"
}

# pcap_count NAME FILTER: packets of capture NAME that FILTER matches;
# "tcpdump-error" (no number) if tcpdump refuses the filter.
pcap_count() {
	local out
	out=$(tcpdump -n -r "$SCRATCH/$1.pcap" "$2" 2>"$SCRATCH/$1.read.err") ||
		{ echo "tcpdump-error: $(cat "$SCRATCH/$1.read.err")"; return 0; }
	if [ -z "$out" ]; then echo 0; else wc -l <<<"$out"; fi
}

# pcap_show NAME FILTER: those packets decoded with -vv (headers in full).
pcap_show() {
	tcpdump -nn -vv -r "$SCRATCH/$1.pcap" "$2" 2>/dev/null || true
}

# pcap_all NAME WHAT FILTER CONDITION [MIN]: at least MIN (default 3)
# packets match FILTER, and every one of them also matches CONDITION.
pcap_all() {
	local name=$1 what=$2 filter=$3 cond=$4 min=${5:-3} all some
	all=$(pcap_count "$name" "$filter")
	some=$(pcap_count "$name" "($filter) and ($cond)")
	if ! [[ $all =~ ^[0-9]+$ ]] || [ "$all" -lt "$min" ] || [ "$all" != "$some" ]; then
		pcap_show "$name" "$filter" | head -n 20
		fail "$what: $some of $all packets '$filter' have '$cond' (at least $min expected, all of them)"
	fi
}

# ping_received NS PING_ARGS...: how many replies ping got (it may fail).
ping_received() {
	local netns=$1 out n
	shift
	out=$(in_ns "$netns" ping "$@" 2>&1) || true
	n=$(awk '/ received/ { for (i = 2; i <= NF; i++) if ($i ~ /^received/) print $(i - 1) }' <<<"$out")
	echo "${n:-0}"
}

# monitor_start NS: "ipsecctl -j monitor" in netns NS, its events in
# $SCRATCH/monitor-NS.out; returns once it is seen to receive (an SPD
# MONITOR_SYNC, created and deleted, has been reported).
MONITOR_SYNC=4242
monitor_start() {
	local i
	bg_start "$1" "monitor-$1" ipsecctl -j monitor
	for i in $(seq 20); do
		sleep 0.25
		in_ns "$1" ipsecctl spd add $MONITOR_SYNC
		in_ns "$1" ipsecctl spd del $MONITOR_SYNC
		sleep 0.1
		grep -qs "$MONITOR_SYNC" "$SCRATCH/monitor-$1.out" && return 0
	done
	cat "$SCRATCH/monitor-$1.err" >&2
	fail "ipsecctl monitor in $1 reported nothing"
}

# monitor_events NS JQ_CONDITION: the events reported so far (but the
# synchronisation's) for which the condition holds, one compact JSON a line.
monitor_events() {
	grep -s '^{.*}$' "$SCRATCH/monitor-$1.out" | grep -v "$MONITOR_SYNC" |
		jq -c "select($2)"
}

monitor_count() {
	local out
	out=$(monitor_events "$1" "$2")
	if [ -z "$out" ]; then echo 0; else wc -l <<<"$out"; fi
}

# sa_json NS ID JQ_PATH: one value of "ipsecctl -j -s sa show ID" (jq -r).
sa_json() {
	in_ns "$1" ipsecctl -j -s sa show "$2" | jq -r ".[0]$3"
}

# xfrm_pair OUTER_FAMILY(4|6) INNER(4|46): netns a with ipsec0 (SA 1 out,
# SPI 0x1001, SA 2 in, SPI 0x2001, AES-GCM-128 keyed by seeds 1 and 2;
# 10.0.0.1/24, and fd00::1/64 with INNER 46) and netns b with the same SAs
# as xfrm states of a native xfrm interface xfrm0 (10.0.0.2, fd00::2), over
# underlay_pair. Extra options come from arrays, if set: SA1_OPTS and
# SA2_OPTS (ipsecctl sa add, a's SA 1 and 2), XFRM1_OPTS and XFRM2_OPTS (ip
# xfrm state add, b's state of SPI 0x1001 and 0x2001). INNER 4: IPv6 is off
# on both tunnel interfaces, so no stray packet (router solicitation, MLD)
# moves a counter. Sets A and B, the underlay addresses.
xfrm_pair() {
	local inner=$2 sel sels=(0.0.0.0/0) ab ba

	underlay_pair
	if [ "$1" = 4 ]; then A=192.0.2.1 B=192.0.2.2; else A=2001:db8::1 B=2001:db8::2; fi
	crypto_args gcm128 1
	ab=("${CRYPTO[@]}")
	crypto_args gcm128 2
	ba=("${CRYPTO[@]}")

	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src $A dst $B "${ab[@]}" \
		"${SA1_OPTS[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src $B dst $A "${ba[@]}" \
		"${SA2_OPTS[@]}"
	in_ns a ipsecctl link add ipsec0
	in_ns b ip link add xfrm0 type xfrm dev b0 if_id 42
	if [ "$inner" = 4 ]; then
		in_ns a sysctl -qw net.ipv6.conf.ipsec0.disable_ipv6=1
		in_ns b sysctl -qw net.ipv6.conf.xfrm0.disable_ipv6=1
	fi
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	[ "$inner" = 4 ] || in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	in_ns a ip link set ipsec0 up

	in_ns b ip xfrm state add src $A dst $B proto esp spi 0x1001 mode tunnel \
		if_id 42 "${ab[@]}" flag af-unspec "${XFRM1_OPTS[@]}"
	in_ns b ip xfrm state add src $B dst $A proto esp spi 0x2001 mode tunnel \
		if_id 42 "${ba[@]}" flag af-unspec "${XFRM2_OPTS[@]}"
	[ "$inner" = 4 ] || sels+=(::/0)
	for sel in "${sels[@]}"; do
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir out \
			tmpl src $B dst $A proto esp mode tunnel if_id 42
		in_ns b ip xfrm policy add src "$sel" dst "$sel" dir in \
			tmpl src $A dst $B proto esp mode tunnel if_id 42
	done
	in_ns b ip addr add 10.0.0.2/24 dev xfrm0
	[ "$inner" = 4 ] || in_ns b ip addr add fd00::2/64 dev xfrm0 nodad
	in_ns b ip link set xfrm0 up
}

# xfrm_pair_state: what both ends of xfrm_pair counted, for a failure.
xfrm_pair_state() {
	in_ns a ipsecctl -s sa show || true
	in_ns a ip -s link show dev ipsec0 || true
	in_ns b ip -s xfrm state || true
	in_ns b grep -v ' 0$' /proc/net/xfrm_stat || true
}
