#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Allocation failures (failslab, on kernels built with it: the debug lane).
# Each configuration command of ipsecctl runs with its first, second, ...
# fault-injectable allocation failing (the task's fail-nth, armed by
# ipsecctl for its requests; every one of the first 8, then samples up to
# the 150th): every failed run reports an error and leaves the
# configuration exactly as it was (or, when only the acknowledgement could
# not be sent, whole); a run that succeeds (the allocation had a fallback,
# or was never reached) configures it fully. Then one in ten atomic
# allocations anywhere in the kernel fails for a few seconds while echoes
# flow both ways: nothing splats or leaks (the kmemleak scan after the
# suite), and traffic recovers.
source "$(dirname "$0")/faultlib.sh"

FAILSLAB=/sys/kernel/debug/failslab

failslab_off() {
	echo 0 > $FAILSLAB/probability
	echo 0 > $FAILSLAB/interval
	echo N > $FAILSLAB/ignore-gfp-wait
}

# fail_nth_run NS N LINE: runs the ipsecctl command LINE in NS with the Nth
# fault-injectable allocation made for each of its changing requests
# failing (ipsecctl arms the task's fail-nth right before it sends one).
# Exit status is ipsecctl's, its stderr in nth.err.
fail_nth_run() {
	printf '%s\n' "$3" |
		IPSECCTL_FAIL_NTH=$2 in_ns "$1" ipsecctl -batch - >/dev/null 2>"$SCRATCH/nth.err"
}

# batch_lines "CMD;CMD": one command per line
batch_lines() {
	tr ';' '\n' <<<"$1"
}

# The configuration of netns a, less the lifetimes' running counters: one
# ipsecctl process (the debug kernel makes each one costly).
config_state() {
	printf '%s\n' "sa show" "protect show" "spd show" "link show" |
		in_ns a ipsecctl -j -batch - | sed 's/"current":{[^}]*}//g'
}

# The allocation to fail: each of the first 10, then samples further on.
NTHS=$(seq 1 8; echo 10 12 16 24 40 80 150)

# See the top of the file.
test_failslab_config() {
	local n line undo pre post before rc ok ko failed=0
	[ -d $FAILSLAB ] || ktap_skip "kernel without failslab"
	scratch_init
	echo 0 > $FAILSLAB/verbose
	failslab_off
	pair_setup
	in_ns a ip link add d0 type dummy
	# COMMAND|UNDO|BEFORE|AFTER: BEFORE makes what COMMAND needs, AFTER
	# removes it again.
	local sa50="sa add 50 spi 0x50 mode tunnel src 192.0.2.1 dst 192.0.2.2 aead '$GCM' $(test_key 20 50) 128"
	local pol="policy add spd 7 priority 5 dir out action protect sa 50 remote 10.9.0.0/16"
	local -a cmds=(
		"$sa50|sa del 50||"
		"sa add 51 spi 0x51 mode tunnel src 192.0.2.1 dst 192.0.2.2 enc 'cbc(aes)' $(test_key 16 51) auth-trunc 'hmac(sha256)' $(test_key 32 51) 128 lifetime soft seconds 100|sa del 51||"
		"link add ipsec5 mode p2mp|link del ipsec5||"
		"protect set dev ipsec0 tx 0 rx 1 50|protect set dev ipsec0 tx 0 rx 1|$sa50|sa del 50"
		"spd add 7|spd del 7||"
		"spd attach 7 dev d0|spd detach dev d0|spd add 7|spd del 7"
		"$pol|${pol/add/del}|spd add 7;$sa50|spd del 7;sa del 50"
	)
	for line in "${cmds[@]}"; do
		IFS='|' read -r line undo pre post <<<"$line"
		batch_lines "$pre" | in_ns a ipsecctl -batch -
		before=$(config_state)
		ok=0 ko=0
		for n in $NTHS; do
			rc=0
			fail_nth_run a "$n" "$line" || rc=$?
			if [ $rc -eq 0 ]; then
				# Not reached, or an allocation with a fallback.
				ok=$((ok + 1))
				batch_lines "$undo" | in_ns a ipsecctl -batch -
				[ "$(config_state)" = "$before" ] ||
					fail "'$undo' did not undo '$line'"
				continue
			fi
			failed=$((failed + 1)) ko=$((ko + 1))
			echo "# allocation $n: $(grep -v "command failed" "$SCRATCH/nth.err" | head -n 1)"
			grep -v "command failed" "$SCRATCH/nth.err" | grep -q . ||
				{ cat "$SCRATCH/nth.err"; fail "'$line' failed at $n without an error message"; }
			[ "$(config_state)" = "$before" ] && continue
			# Done, but its acknowledgement could not be sent: the
			# change is whole, and the error says so.
			grep -q "No buffer space" "$SCRATCH/nth.err" ||
				{ diff <(echo "$before") <(config_state); fail "'$line' failing at allocation $n changed the state"; }
			batch_lines "$undo" | in_ns a ipsecctl -batch -
			[ "$(config_state)" = "$before" ] ||
				fail "'$line' failing at allocation $n left a partial change"
		done
		echo "# '${line:0:40}': $ko runs failed, $ok succeeded"
		[ $ko -gt 0 ] || fail "'$line': no run failed"
		batch_lines "$post" | in_ns a ipsecctl -batch -
	done
	echo "# $failed failed configuration runs, state intact after each"
	restored
	all_conserved 0
}

# One in ten atomic allocations anywhere in the kernel fails for a few
# seconds while echoes flow both ways: ipsecif drops and counts what it
# cannot allocate for, nothing splats or leaks, traffic recovers.
test_failslab_traffic() {
	local crypto_before crypto_after
	[ -d $FAILSLAB ] || ktap_skip "kernel without failslab"
	scratch_init
	echo 0 > $FAILSLAB/verbose
	failslab_off
	pair_setup
	crypto_before=$(( $(sa_json a "$(tx_of a 0)" .stats.crypto) + $(sa_json b "$(tx_of b 0)" .stats.crypto) ))
	traffic_start
	echo Y > $FAILSLAB/ignore-gfp-wait
	echo N > $FAILSLAB/task-filter
	echo -1 > $FAILSLAB/times
	echo 1 > $FAILSLAB/interval
	echo 10 > $FAILSLAB/probability
	sleep 5
	failslab_off
	traffic_stop
	crypto_after=$(( $(sa_json a "$(tx_of a 0)" .stats.crypto) + $(sa_json b "$(tx_of b 0)" .stats.crypto) ))
	echo "# failslab: crypto/allocation drops $crypto_before -> $crypto_after"
	restored
}

ktap_run \
	"failslab: each configuration command's allocations fail in turn" test_failslab_config \
	"failslab: atomic allocations fail under traffic" test_failslab_traffic
