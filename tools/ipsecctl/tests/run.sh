#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Host tests of "ipsecctl apply" and "ipsecctl dump" (make test): the
# parser, the checks and the plan work on states in memory, so the current
# state is taken from a file (--state, which is for these tests) instead of
# the kernel, and "apply --dry-run" prints the plan. No kernel, no root.
#
# Each directory under cases/ is a test, run there:
#   new.conf      the file given to apply (or dump)
#   cur.conf      the current state (default: none)
#   args          more arguments of apply, e.g. --remove (optional)
#   dump          if present: the test is "ipsecctl dump --state new.conf"
#                 with the arguments in this file (e.g. --keys)
#   expect.out    what it must print on stdout, exactly
#   expect.err    what it must print on stderr, exactly (default: nothing)
#   expect.rc     its exit status (default 0)
# Every apply test that succeeds is also checked to converge: applying the
# file to itself, or to what "dump --keys" writes of it, changes nothing,
# and "dump" without --keys writes keys that apply refuses.
#
# usage: run.sh [IPSECCTL]      prints KTAP; exits 1 if a test failed

IPSECCTL=$(realpath "${1:-$(dirname "$0")/../ipsecctl}")
CASES=$(realpath "$(dirname "$0")/cases")
TMP=$(mktemp -d)
trap 'rm -rf "$TMP"' EXIT

failed=0
n=0
cases=("$CASES"/*/)

# check WHAT EXPECTED_FILE ACTUAL_FILE
check() {
	if ! diff -u "$2" "$3" >"$TMP/diff" 2>&1; then
		echo "# $1 differs:"
		sed 's/^/#   /' "$TMP/diff"
		return 1
	fi
}

# noop DESC STATE FILE: applying FILE over STATE must change nothing.
noop() {
	local rc=0
	(cd "$dir" && "$IPSECCTL" apply --dry-run --state "$2" "$3") \
		>"$TMP/noop.out" 2>"$TMP/noop.err" || rc=$?
	if [ $rc -ne 0 ] || [ -s "$TMP/noop.out" ] || [ -s "$TMP/noop.err" ]; then
		echo "# $1: exit status $rc, not a no-op:"
		sed 's/^/#   /' "$TMP/noop.out" "$TMP/noop.err"
		return 1
	fi
}

# The convergence checks of a test whose apply succeeded.
converges() {
	local ok=0
	noop "re-apply" new.conf new.conf || ok=1
	(cd "$dir" && "$IPSECCTL" dump --state new.conf --keys) >"$TMP/rt.conf"
	noop "dump --keys, applied" new.conf "$TMP/rt.conf" || ok=1
	noop "file applied over its dump" "$TMP/rt.conf" new.conf || ok=1
	(cd "$dir" && "$IPSECCTL" dump --state new.conf) >"$TMP/redacted.conf"
	if grep -q '^sa ' "$TMP/redacted.conf"; then
		if (cd "$dir" && "$IPSECCTL" apply --dry-run --state new.conf \
			"$TMP/redacted.conf") >/dev/null 2>"$TMP/redacted.err" ||
		   ! grep -q 'key redacted; dump with --keys' "$TMP/redacted.err"; then
			echo "# dump without --keys: apply did not refuse it"
			ok=1
		fi
	fi
	return $ok
}

echo "KTAP version 1"
echo "1..${#cases[@]}"
for dir in "${cases[@]}"; do
	name=$(basename "$dir")
	n=$((n + 1))
	ok=0
	args=()
	[ -f "$dir/args" ] && read -r -a args <"$dir/args"
	cur=$TMP/empty.conf
	: >"$cur"
	[ -f "$dir/cur.conf" ] && cur=cur.conf
	rc=0
	if [ -f "$dir/dump" ]; then
		read -r -a args <"$dir/dump"
		(cd "$dir" && "$IPSECCTL" dump --state new.conf "${args[@]}") \
			>"$TMP/out" 2>"$TMP/err" || rc=$?
	else
		(cd "$dir" && "$IPSECCTL" apply --dry-run --state "$cur" \
			"${args[@]}" new.conf) >"$TMP/out" 2>"$TMP/err" || rc=$?
	fi
	want_rc=0
	[ -f "$dir/expect.rc" ] && want_rc=$(cat "$dir/expect.rc")
	if [ "$rc" != "$want_rc" ]; then
		echo "# exit status $rc, expected $want_rc"
		ok=1
	fi
	check stdout "$dir/expect.out" "$TMP/out" || ok=1
	if [ -f "$dir/expect.err" ]; then
		check stderr "$dir/expect.err" "$TMP/err" || ok=1
	else
		check stderr /dev/null "$TMP/err" || ok=1
	fi
	if [ "$want_rc" = 0 ] && [ ! -f "$dir/dump" ] && [ ! -f "$dir/args" ]; then
		converges || ok=1
	fi
	if [ $ok = 0 ]; then
		echo "ok $n $name"
	else
		echo "not ok $n $name"
		failed=$((failed + 1))
	fi
done
echo "# $((n - failed)) passed, $failed failed"
[ $failed = 0 ]
