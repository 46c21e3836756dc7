#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Boots the test VM once and judges the run: prints the guest's output (KTAP)
# as it comes, keeps the full guest console log, and fails on a test
# failure, on a hang (timeout), on a guest that did not finish, and on any
# kernel splat in the console log.
#
# usage: boot.sh KERNEL INITRAMFS LOGPREFIX TIMEOUT_S MEM CMDLINE_EXTRA
# Writes LOGPREFIX.console (kernel log), LOGPREFIX.out (guest output) and
# LOGPREFIX.result ("PASSED FAILED SKIPPED"); exit status 0 only if clean.
set -uo pipefail

kernel=$1 initrd=$2 prefix=$3 timeout_s=$4 mem=$5 extra=$6
console=$prefix.console
out=$prefix.out

# What a kernel splat looks like in the console log.
SPLAT_RE='BUG:|WARNING:|Oops|kernel BUG|general protection fault|KASAN:|UBSAN:'
SPLAT_RE+='|refcount_t:|possible recursive locking|circular locking dependency'
SPLAT_RE+='|inconsistent lock state|suspicious RCU usage|detected stall'
SPLAT_RE+='|INFO: task .* blocked|Kernel panic|list_(add|del) corruption'
SPLAT_RE+='|ODEBUG:|unreferenced object|Call Trace:|ref_tracker:'

rm -f "$console" "$out"
cmdline="console=ttyS0 panic_on_warn=1 oops=panic panic=-1 softlockup_panic=1"
cmdline+=" net.ifnames=0 ipsecif.dyndbg=+p $extra"

timeout -k 10 "$timeout_s" qemu-system-x86_64 \
	-machine q35 -cpu max -smp 2 -m "$mem" \
	-display none -monitor none -no-reboot \
	-kernel "$kernel" -initrd "$initrd" -append "$cmdline" \
	-serial "file:$console" -serial stdio </dev/null 2>"$prefix.qemu" |
	sed -u 's/\r$//' | tee "$out"
qemu_rc=${PIPESTATUS[0]}

failed=0
if [ "$qemu_rc" -eq 124 ] || [ "$qemu_rc" -eq 137 ]; then
	echo "# VM timed out after ${timeout_s}s (hang)"
	failed=$((failed + 1))
elif [ "$qemu_rc" -ne 0 ]; then
	echo "# qemu failed ($qemu_rc):"
	sed 's/^/#   /' "$prefix.qemu"
	failed=$((failed + 1))
fi
if ! grep -q '^# guest done' "$out"; then
	echo "# the guest did not finish its run"
	failed=$((failed + 1))
fi
if grep -Eq "$SPLAT_RE" "$console"; then
	echo "# kernel splat in the guest console log:"
	grep -E -m 20 "$SPLAT_RE" "$console" | sed 's/^/#   /'
	failed=$((failed + 1))
fi

# Leaf results are the indented (subtest) lines; a script that failed
# without a failing leaf (crash, timeout, missing) counts once itself.
read -r pass fail skip < <(awk '
	/^ +ok [0-9]+ .*# SKIP/ { skip++; next }
	/^ +ok [0-9]+ /         { pass++; next }
	/^ +not ok [0-9]+ /     { fail++; leaf_fail[script]++; next }
	/^# selftests: /        { script = $3; planned[script] = 1 }
	/^not ok [0-9]+ /       { if (!leaf_fail[$4]) fail++; done[$4] = 1 }
	/^ok [0-9]+ /           { done[$3] = 1 }
	END {
		for (s in planned) if (!(s in done)) fail++
		printf "%d %d %d\n", pass, fail, skip
	}' "$out")
failed=$((failed + fail))
echo "$pass $failed $skip" > "$prefix.result"
echo "# guest console log: $console"
[ "$failed" -eq 0 ]
