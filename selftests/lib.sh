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
in_ns() {
	local name
	name=$(ns "$1")
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
	local n=0 total=$(($# / 2)) desc func log rc

	echo "KTAP version 1"
	echo "1..$total"
	while [ $# -gt 0 ]; do
		desc=$1 func=$2
		shift 2
		n=$((n + 1))
		log=$(mktemp)
		# shellcheck disable=SC2086 # "func" may carry arguments
		(set -e; $func) >"$log" 2>&1
		rc=$?
		netns_cleanup
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
	KMSG_MARK=$(dmesg | wc -l)
}

kmsg_since_mark() {
	dmesg | tail -n +$((KMSG_MARK + 1))
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
	*) fail "unknown algorithm $1" ;;
	esac
}
