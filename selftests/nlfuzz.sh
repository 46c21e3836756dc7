#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The generic netlink family under nlfuzz (selftests/tools/nlfuzz.c): at
# least 100,000 generated and mutated requests (10,000 on the slower debug
# kernel; wrong types and lengths,
# missing, duplicate and unknown attributes, nesting abuse, huge values,
# broken headers, truncated and empty messages, batches, dumps abandoned
# midway), every malformed one refused, the state as the fuzzer's model
# says at every check and at the end, then everything deleted and the
# module still working; the same with four fuzzers at once in one netns,
# each in its own id range; prefix lengths out of range refused by
# ipsecctl (the family itself takes address ranges, not prefix lengths);
# the module unloads afterwards (no SA or policy left holding a reference).
#
# NLFUZZ_SEED=N reproduces a run (the seed is in each test's description).
source "$(dirname "$0")/lib.sh"

SEED=${NLFUZZ_SEED:-$RANDOM}
COUNT=$(scaled 100000 10000)
PER_FUZZER=$(scaled 25000 2000)
FUZZERS=4

DYNDBG=/sys/kernel/debug/dynamic_debug/control
SPLAT_RE='BUG:|WARNING:|Oops|general protection fault|KASAN:|UBSAN:'
SPLAT_RE+='|refcount_t:|list_(add|del) corruption|ODEBUG:|Call Trace:'

ctl() {
	in_ns a ipsecctl "$@"
}

# The interfaces of one fuzzer in netns a, suffixed by $1: p2p, p2mp, p2p
# with local/remote (transport-mode SAs allowed there), two dummies (SPDs
# attach to any interface).
fuzz_links() {
	local s=$1
	ctl link add "fz$s"
	ctl link add "fzmp$s" mode p2mp
	ctl link add "fzip$s" local 192.0.2.1 remote 192.0.2.2
	in_ns a ip link add "fzd$s" type dummy
	in_ns a ip link add "fze$s" type dummy
}

# Sets DEVS to nlfuzz's --dev options for the interfaces of suffix $1.
DEVS=()
fuzz_devs() {
	local s=$1
	DEVS=(--dev "fz$s" --dev "fzmp$s" --dev "fzip$s" --dev "fzd$s"
	      --dev "fze$s")
}

# The module's pr_debug lines (enabled on the VM's command line: one per SA
# added or deleted, ...) would put hundreds of thousands of lines on the
# serial console; off while fuzzing, on again afterwards (EXIT trap).
DEBUG_WAS_ON=0
debug_off() {
	[ -w "$DYNDBG" ] || return 0
	grep -q '\[ipsecif\].* =p' "$DYNDBG" && DEBUG_WAS_ON=1
	echo 'module ipsecif -p' >"$DYNDBG"
}

debug_restore() {
	if [ "$DEBUG_WAS_ON" = 1 ]; then
		echo 'module ipsecif +p' >"$DYNDBG" || true
	fi
	bg_cleanup
}

fuzz_setup() {
	netns_add a
	scratch_init
	trap debug_restore EXIT
	modprobe ipsecif
	debug_off
	kmsg_mark
}

# check_summary FILE COUNT: nlfuzz's last line says COUNT requests or
# more went out, no malformed one was accepted, no model mismatch.
check_summary() {
	local line sent
	line=$(grep '^nlfuzz: sent ' "$1" | tail -n 1)
	[ -n "$line" ] || fail "no summary line from nlfuzz"
	sent=$(sed -E 's/^nlfuzz: sent ([0-9]+),.*/\1/' <<<"$line")
	[ "$sent" -ge "$2" ] || fail "nlfuzz sent $sent of $2: $line"
	grep -q ' invalid-accepted 0,' <<<"$line" || fail "$line"
	grep -q ' model mismatches 0$' <<<"$line" || fail "$line"
}

# Nothing left in netns a: no SA, protection or SPD.
expect_empty() {
	expect_eq "SAs left" 0 "$(ctl -j sa show | jq length)"
	expect_eq "protections left" 0 "$(ctl -j protect show | jq length)"
	expect_eq "SPDs left" 0 "$(ctl -j spd show | jq length)"
}

no_splat() {
	if kmsg_since_mark | grep -Eq "$SPLAT_RE"; then
		kmsg_since_mark | grep -E -m 20 -A 10 "$SPLAT_RE" >&2
		fail "kernel splat while fuzzing"
	fi
}

# The family still does its ordinary work (on the interfaces of suffix 0):
# SAs protecting an interface, an SPD with a policy using another SA; all
# deleted again.
still_works() {
	crypto_args gcm128 1
	ctl sa add 1 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 "${CRYPTO[@]}"
	ctl sa add 2 spi 0x2001 mode tunnel src 192.0.2.2 dst 192.0.2.1 "${CRYPTO[@]}"
	ctl sa add 3 spi 0x3001 mode transport "${CRYPTO[@]}"
	ctl protect set dev fz0 tx 1 rx 2
	ctl spd add 1
	ctl spd attach 1 dev fzd0
	ctl policy add spd 1 priority 1 dir out action protect sa 3 proto udp rport 53
	expect_eq "SA 1" 4097 "$(ctl -j sa show 1 | jq '.[0].spi')"
	expect_eq "protections" 1 "$(ctl -j protect show | jq length)"
	expect_eq "policies" 1 "$(ctl -j policy show spd 1 | jq length)"
	expect_fail "used by a protection" ctl sa del 1
	expect_fail "used by a policy" ctl sa del 3
	ctl protect del dev fz0
	ctl spd detach dev fzd0
	ctl spd del 1
	ctl sa flush
	expect_empty
}

test_fuzz() {
	local out rc=0

	fuzz_setup
	out=$SCRATCH/nlfuzz.out
	fuzz_links 0
	fuzz_devs 0
	in_ns a nlfuzz --seed "$SEED" --count $COUNT --flush "${DEVS[@]}" \
		>"$out" 2>&1 || rc=$?
	cat "$out"
	[ "$rc" -eq 0 ] || fail "nlfuzz exited with $rc (seed $SEED)"
	check_summary "$out" $COUNT
	expect_empty
	no_splat
	still_works
}

test_fuzz_concurrent() {
	local i rc

	fuzz_setup
	# Every interface first: each fuzzer looks at the netns once, as it
	# starts, and never touches what it did not see there.
	for i in $(seq $FUZZERS); do
		fuzz_links "$i"
	done
	for i in $(seq $FUZZERS); do
		fuzz_devs "$i"
		bg_start a "fuzz$i" nlfuzz --seed $((SEED + i)) \
			--count "$PER_FUZZER" --id-base $((i * 1000)) --flush \
			"${DEVS[@]}"
	done
	for i in $(seq $FUZZERS); do
		rc=0
		wait "${BG_PID[fuzz$i]}" || rc=$?
		cat "$SCRATCH/fuzz$i.out" "$SCRATCH/fuzz$i.err"
		[ "$rc" -eq 0 ] || fail "nlfuzz $i exited with $rc (seed $((SEED + i)))"
		check_summary "$SCRATCH/fuzz$i.out" "$PER_FUZZER"
	done
	expect_empty
	no_splat
	fuzz_links 0
	still_works
}

# The family takes address ranges; prefix lengths are ipsecctl's, which
# must refuse those past the address and send nothing.
test_prefix_lengths() {
	local add=(ctl policy add spd 1 priority 1 dir out action bypass)

	netns_add a
	ctl spd add 1
	expect_fail "prefix length not from 0 to 32" "${add[@]}" local 10.0.0.0/33
	expect_fail "prefix length not from 0 to 32" "${add[@]}" remote 10.0.0.0/255
	expect_fail "prefix length not from 0 to 32" "${add[@]}" remote 10.0.0.0/-1
	expect_fail "prefix length not from 0 to 128" "${add[@]}" local 2001:db8::/129
	expect_fail "prefix length not from 0 to 128" "${add[@]}" remote 2001:db8::/255
	expect_eq "policies after refusals" 0 "$(ctl -j policy show spd 1 | jq length)"
	"${add[@]}" local 10.0.0.0/32 remote 0.0.0.0/0
	"${add[@]}" local 2001:db8::/128 remote ::/0
	expect_eq "policies" 2 "$(ctl -j policy show spd 1 | jq length)"
}

# Every SA the fuzzing made is freed: module exit waits for the last one,
# so an SA a leaked reference keeps alive would hang the unload.
test_unload() {
	local i rc

	netns_cleanup
	for i in $(seq 10); do
		rc=0
		timeout 120 rmmod ipsecif || rc=$?
		[ "$rc" -ne 124 ] || fail "rmmod ipsecif hung (an SA never freed?)"
		[ "$rc" -ne 0 ] || break
		sleep 0.5
	done
	[ ! -e /sys/module/ipsecif ] || fail "module still loaded"
	modprobe ipsecif
	netns_add a
	ctl link add fz0
	ctl sa add 1 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		aead 'rfc4106(gcm(aes))' "$(test_key 20 1)" 128
	ctl protect set dev fz0 tx 1
	ctl protect del dev fz0
	ctl sa del 1
}

ktap_run \
	"nlfuzz: $COUNT requests (seed $SEED), malformed refused, state as modelled, flushed" test_fuzz \
	"nlfuzz: $FUZZERS fuzzers at once in one netns, own id ranges (seeds $((SEED + 1))..$((SEED + FUZZERS)))" test_fuzz_concurrent \
	"ipsecctl refuses prefix lengths 33, 129, 255; sends nothing" test_prefix_lengths \
	"the module unloads after the fuzzing: nothing left holding an SA" test_unload
