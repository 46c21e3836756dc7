#!/bin/sh
# SPDX-License-Identifier: GPL-2.0
#
# run.sh FUZZER OUT SECONDS [LIBFUZZER-FLAG]...
#
# Runs the argv fuzzer for SECONDS on the corpus OUT/corpus (what earlier
# runs found; new finds go there) and the seeds OUT/seeds, its log in
# OUT/fuzz.log and a crash's input in OUT/artifacts/, then says how it went
# as KTAP: "ok 1 ..." and exit 0, or "not ok 1 ..." naming the input that
# crashed, and exit 1.

set -u

if [ $# -lt 3 ]; then
	echo "usage: $0 FUZZER OUT SECONDS [LIBFUZZER-FLAG]..." >&2
	exit 2
fi
fuzzer=$1
out=$2
seconds=$3
shift 3
log=$out/fuzz.log

mkdir -p "$out/corpus" "$out/artifacts" "$out/seeds"
echo "KTAP version 1"
echo "1..1"
echo "# fuzzing $fuzzer for ${seconds}s, log in $log"

start=$(date +%s)
"$fuzzer" -max_total_time="$seconds" -max_len=4096 -timeout=10 \
	-print_final_stats=1 -artifact_prefix="$out/artifacts/" "$@" \
	"$out/corpus" "$out/seeds" >"$log" 2>&1
rc=$?
elapsed=$(($(date +%s) - start))

# "Done 123 runs in 60 second(s)", or the final stats.
runs=$(sed -n 's/^Done \([0-9]*\) runs in .*/\1/p' "$log" | tail -n 1)
[ -n "$runs" ] || runs=$(sed -n 's/^stat::number_of_executed_units: *//p' "$log" |
			 tail -n 1)
secs=$(sed -n 's/^Done [0-9]* runs in \([0-9]*\) second.*/\1/p' "$log" | tail -n 1)
[ -n "$secs" ] || secs=$elapsed
status=$(grep -E '^#[0-9]+.*cov: ' "$log" | tail -n 1 |
	 sed 's/^#[0-9]*[[:space:]]*[A-Z]*[[:space:]]*//')
[ -z "$status" ] || echo "# $status"

if [ "$rc" -eq 0 ]; then
	echo "ok 1 ipsecctl argv fuzzing: ${runs:-0} runs in $secs s, no crash"
	exit 0
fi

# The report: the harness's own message, the sanitizer's, libFuzzer's.
grep -E '^ipsecctl fuzz: |ERROR: |runtime error: |^SUMMARY: ' "$log" |
	head -n 5 | sed 's/^/# /'
crash=$(sed -n 's/.*Test unit written to \(.*\)$/\1/p' "$log" | tail -n 1)
if [ -n "$crash" ]; then
	echo "not ok 1 ipsecctl argv fuzzing: crash after ${runs:-?} runs, input in $crash"
else
	tail -n 5 "$log" | sed 's/^/# /'
	echo "not ok 1 ipsecctl argv fuzzing: libFuzzer exited with $rc, no crash input (see $log)"
fi
exit 1
