#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make check / make demo / make bench: builds the module for the test kernel,
# ipsecctl and the test helpers, packs the initramfs, boots the VM and prints
# the verdict. A full run also proves, in a second boot, that the runner fails
# a run whose guest kernel splats. A bench run keeps the guest's results as
# CSV in BUILDDIR/bench/.
#
# usage: check.sh BUILDDIR stock|debug|6.12 check|demo|bench [TEST,...]
set -euo pipefail

BUILDDIR=$(realpath -m "$1")
LANE=$2
MODE=$3
TESTS=${4:-}
TOP=$(cd "$(dirname "$0")/../.." && pwd)
LANEDIR=$BUILDDIR/$LANE

case "$LANE" in
stock)
	KDIR=$(cat "$LANEDIR/kdir")
	KERNEL=$LANEDIR/vmlinuz
	KVER=$(cut -d' ' -f1 "$LANEDIR/version")
	MODROOT=$LANEDIR/root
	MEM=2G
	# A whole run takes about 40 minutes; a hang ends at 70.
	TIMEOUT=${VM_TIMEOUT:-4200}
	;;
6.12)
	# Debian's 6.12 LTS kernel (deps.sh): the stock lane's tests on the
	# other LTS kernel the module supports.
	KDIR=$(cat "$LANEDIR/kdir")
	KERNEL=$LANEDIR/vmlinuz
	KVER=$(cut -d' ' -f1 "$LANEDIR/version")
	MODROOT=$LANEDIR/root
	MEM=2G
	TIMEOUT=${VM_TIMEOUT:-4200}
	;;
debug)
	"$TOP/selftests/vm/build-debug-kernel.sh" "$BUILDDIR"
	KDIR=$(cat "$LANEDIR/kdir")
	KERNEL=$LANEDIR/bzImage
	KVER=$(cat "$LANEDIR/kernelrelease")
	MODROOT=
	MEM=4G
	# CI's subset takes about 35 minutes.
	TIMEOUT=${VM_TIMEOUT:-4200}
	;;
*)
	echo "unknown kernel lane '$LANE' (stock, debug or 6.12)" >&2
	exit 1
	;;
esac
# The benchmark is long by design: 5 algorithms x 2 to 4 implementations x
# 5 metrics x 3 runs of 10 s, plus the SPD and hook rows, all under TCG
# (about an hour).
if [ "$MODE" = bench ] && [ -z "${VM_TIMEOUT:-}" ]; then
	TIMEOUT=$((TIMEOUT * 2))
fi

# The module is built from a copy of its sources, so that the stock and
# debug lanes never share objects with each other or with a plain "make".
mkdir -p "$LANEDIR/module/include" "$LANEDIR/module/net"
rsync -a --delete "$TOP/include/" "$LANEDIR/module/include/"
rsync -a --delete "$TOP/net/" "$LANEDIR/module/net/"
cp "$TOP/Kbuild" "$LANEDIR/module/Kbuild"
echo "build: ipsecif.ko for $LANE ($KVER)"
make -s -C "$KDIR" M="$LANEDIR/module" modules >"$LANEDIR/module.log" 2>&1 ||
	{ cat "$LANEDIR/module.log"; exit 1; }
MODULE=$LANEDIR/module/net/ipsecif/ipsecif.ko

make -s -C "$TOP/tools/ipsecctl"
make -s -C "$TOP/tools/iproute2"
make -s -C "$TOP/selftests/tools" OUT="$BUILDDIR/tools"
TOOLS=("$TOP/tools/ipsecctl/ipsecctl" "$BUILDDIR"/tools/*)

mkinitramfs() {
	"$TOP/selftests/vm/mkinitramfs.sh" "$1" "$KVER" "$MODROOT" "${@:2}" \
		-- "${TOOLS[@]}"
}

boot() {
	"$TOP/selftests/vm/boot.sh" "$KERNEL" "$1" "$2" "$TIMEOUT" "$MEM" "$3"
}

STAMP=$(date +%Y%m%d-%H%M%S)
mkdir -p "$BUILDDIR/logs"

if [ "$MODE" = demo ]; then
	mkinitramfs "$LANEDIR/initramfs.cpio.gz" "$MODULE"
	boot "$LANEDIR/initramfs.cpio.gz" "$BUILDDIR/logs/demo-$LANE-$STAMP" \
		"ipsecif_mode=demo"
	exit
fi

if [ "$MODE" = bench ]; then
	# perf: BENCH_PROFILE samples the kernel during a measurement
	TOOLS+=("$(command -v perf)")
	mkinitramfs "$LANEDIR/initramfs.cpio.gz" "$MODULE"
	log=$BUILDDIR/logs/bench-$LANE-$STAMP
	csv=$BUILDDIR/bench/bench-$STAMP.csv
	echo "boot: $LANE kernel $KVER, bench (several minutes)"
	rc=0
	# BENCH_RUNS, BENCH_SECONDS, BENCH_ALGS, BENCH_METRICS and
	# BENCH_SCALE_PEERS narrow a run down, BENCH_PROFILE adds profiles
	# (bench.sh); the kernel hands them to the guest's init.
	params="ipsecif_mode=bench"
	for var in BENCH_RUNS BENCH_SECONDS BENCH_ALGS BENCH_METRICS BENCH_SCALE_PEERS \
		   BENCH_PROFILE; do
		val=${!var:-}
		[ -z "$val" ] || params+=" $var=${val// /,}"
	done
	boot "$LANEDIR/initramfs.cpio.gz" "$log" "$params" || rc=$?
	mkdir -p "$BUILDDIR/bench"
	sed -n 's/^# csv: //p' "$log.out" > "$csv"
	echo
	sed -n '/^bench (/,/^$/p' "$log.out"
	echo "# results (CSV): $csv"
	if "$TOP/selftests/vm/bench-chart.sh" "$csv" "${csv%.csv}"; then
		echo "# chart: ${csv%.csv}.svg, ${csv%.csv}.png"
	fi
	echo "# guest output: $log.out"
	if [ "$rc" -eq 0 ] && grep -q '^# bench: done' "$log.out"; then
		exit 0
	fi
	echo "# bench failed"
	exit 1
fi

total_pass=0 total_fail=0 total_skip=0
add_result() {
	local p f s
	read -r p f s < "$1.result"
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	total_skip=$((total_skip + s))
}

# add_host_result LOG: counts the KTAP results of a host-side step; a step
# that passed nothing failed (returns 1 then).
add_host_result() {
	local p f
	read -r p f < <(awk '/^ *ok [0-9]+ /{p++} /^ *not ok [0-9]+ /{f++}
			     END {print p+0, f+0}' "$1")
	[ "$p" -gt 0 ] || f=$((f + 1))
	total_pass=$((total_pass + p))
	total_fail=$((total_fail + f))
	[ "$p" -gt 0 ]
}

# Host-side unit tests of kernel code built in userspace (KTAP).
if [ -z "$TESTS" ] || [[ ",$TESTS," == *,unit,* ]]; then
	echo "# host unit tests"
	unit_out=$BUILDDIR/logs/unit-$STAMP.out
	{
		make -s -C "$TOP/selftests/unit" run OUT="$BUILDDIR/unit" 2>&1
		# ipsecctl apply's reading, checking and planning, against
		# states kept in files
		make -s -C "$TOP/tools/ipsecctl" test 2>&1
	} | tee "$unit_out" | sed 's/^/    /'
	add_host_result "$unit_out" || true
fi

# ipsecctl's command line under libFuzzer (ASan, UBSan), on the host, with
# a fake kernel behind its netlink sockets; once per run, in the stock lane.
if [ "$LANE" = stock ] && { [ -z "$TESTS" ] || [[ ",$TESTS," == *,fuzz-ipsecctl,* ]]; }; then
	echo "# host: ipsecctl argv fuzzing, ${FUZZ_SECONDS:-60} s"
	fuzz_out=$BUILDDIR/logs/fuzz-ipsecctl-$STAMP.out
	make -s -C "$TOP/tools/ipsecctl/fuzz" run OUT="$BUILDDIR/fuzz" \
		FUZZ_SECONDS="${FUZZ_SECONDS:-60}" 2>&1 | tee "$fuzz_out" |
		grep -E '^(not )?ok |^# ' | sed 's/^/    /'
	add_host_result "$fuzz_out" || true
fi

# The packages (make deb): built, installed on this host (DKMS builds the
# module for the installed headers), checked and purged; stock lane only.
if [ "$LANE" = stock ] && { [ -z "$TESTS" ] || [[ ",$TESTS," == *,packaging,* ]]; }; then
	echo "# host: packages (make deb, install, DKMS, purge)"
	pkg_out=$BUILDDIR/logs/packaging-$STAMP.out
	"$TOP/selftests/packaging.sh" "$BUILDDIR" >"$pkg_out" 2>&1 || true
	grep -E '^ *(not )?ok |^ *# ' "$pkg_out" | sed 's/^/    /'
	add_host_result "$pkg_out" || tail -n 20 "$pkg_out"
fi

# What the guest runs: all, or the named scripts but those run here.
GUEST_TESTS=
if [ -n "$TESTS" ]; then
	GUEST_TESTS=$(tr , '\n' <<<"$TESTS" |
		grep -vxE 'unit|fuzz-ipsecctl|packaging|runner' | paste -sd, -) || true
fi
log=$BUILDDIR/logs/check-$LANE-$STAMP
if [ -z "$TESTS" ] || [ -n "$GUEST_TESTS" ]; then
	echo "build: initramfs"
	mkinitramfs "$LANEDIR/initramfs.cpio.gz" "$MODULE"
	echo "boot: $LANE kernel $KVER, tests: ${GUEST_TESTS:-all}"
	boot "$LANEDIR/initramfs.cpio.gz" "$log" "ipsecif_tests=$GUEST_TESTS" || true
	add_result "$log"
fi

# The runner's own test: a guest whose kernel WARNs must fail the run.
if [ -z "$TESTS" ] || [[ ",$TESTS," == *,runner,* ]]; then
	SPLAT=$LANEDIR/splat
	mkdir -p "$SPLAT"
	cp "$TOP/selftests/splat/splat_trigger.c" "$TOP/selftests/splat/Kbuild" "$SPLAT/"
	make -s -C "$KDIR" M="$SPLAT" modules >"$SPLAT/build.log" 2>&1 ||
		{ cat "$SPLAT/build.log"; exit 1; }
	mkinitramfs "$LANEDIR/initramfs-splat.cpio.gz" "$MODULE" \
		"$SPLAT/splat_trigger.ko"
	echo "# runner self-test: a deliberate WARN in the guest must fail the run"
	slog=$BUILDDIR/logs/runner-$LANE-$STAMP
	if boot "$LANEDIR/initramfs-splat.cpio.gz" "$slog" \
		"ipsecif_mode=splat" > "$slog.verdict" 2>&1; then
		echo "not ok - runner: a splatting guest was judged clean"
		total_fail=$((total_fail + 1))
	elif grep -q '^# kernel splat in the guest console log' "$slog.verdict" &&
	     grep -q 'ipsecif selftest: deliberate splat' "$slog.console"; then
		echo "ok - runner: detects a kernel splat (WARN) and fails the run"
		total_pass=$((total_pass + 1))
	else
		sed 's/^/# /' "$slog.verdict"
		echo "not ok - runner: failed the run, but not for the splat"
		total_fail=$((total_fail + 1))
	fi
fi

[ ! -e "$log.console" ] || echo "# guest console log: $log.console"
echo "$total_pass passed, $total_fail failed, $total_skip skipped"
[ "$total_fail" -eq 0 ] && [ "$total_pass" -gt 0 ]
