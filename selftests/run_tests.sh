#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs selftest scripts inside the test VM and prints one KTAP document: each
# script is a subtest (indented). With no arguments, runs every *.sh here
# except the libraries and the demo; on a kernel with kmemleak, a leak scan
# runs last.
#
# usage: run_tests.sh [NAME...]     (NAME: script name without .sh)
cd "$(dirname "$0")" || exit 1

NOT_TESTS=" lib faultlib run_tests demo kmemleak bench packaging "
SCRIPT_TIMEOUT=600
# The debug kernel (KASAN, lockdep, kmemleak) runs several times slower.
[ -e /sys/kernel/debug/kmemleak ] && SCRIPT_TIMEOUT=1800

if [ $# -eq 0 ]; then
	for script in *.sh; do
		name=${script%.sh}
		[[ $NOT_TESTS == *" $name "* ]] || set -- "$@" "$name"
	done
fi
[ -e /sys/kernel/debug/kmemleak ] && set -- "$@" kmemleak

echo "KTAP version 1"
echo "1..$#"
n=0
failed=0
for name in "$@"; do
	n=$((n + 1))
	echo "# selftests: $name"
	if [ ! -f "$name.sh" ]; then
		echo "# no such test script: $name.sh"
		echo "not ok $n $name"
		failed=1
		continue
	fi
	start=$SECONDS
	timeout $SCRIPT_TIMEOUT bash "$name.sh" 2>&1 | sed 's/^/    /'
	rc=${PIPESTATUS[0]}
	echo "# $name: $((SECONDS - start)) s"
	if [ "$rc" -eq 0 ]; then
		echo "ok $n $name"
	else
		[ "$rc" -eq 124 ] && echo "# $name: timed out after ${SCRIPT_TIMEOUT}s"
		echo "not ok $n $name"
		failed=1
	fi
done
exit $failed
