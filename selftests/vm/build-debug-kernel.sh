#!/usr/bin/env bash
# Build the ipsecif "debug lane" kernel (KASAN, lockdep, kmemleak, UBSAN, ...).
#
# usage: build-debug-kernel.sh BUILDDIR
#
# Produces, under BUILDDIR/debug/:
#   linux-source-6.1/   configured + built tree; usable as KDIR for
#                       make -C BUILDDIR/debug/linux-source-6.1 M=$PWD modules
#   bzImage             the kernel to boot
#   kernelrelease       output of `make -s kernelrelease`
#   kdir                path of the tree above (KDIR for module builds)
#   build.log           full make output
#   stamp               hash of the inputs of the last successful build
#
# The build is skipped (within a second) when the stamp matches.  Otherwise the
# existing tree is reconfigured and rebuilt incrementally; it is only
# re-extracted when the source tarball changes.
#
# Environment overrides: LINUX_SOURCE_TARBALL (default
# /usr/src/linux-source-6.1.tar.xz), JOBS (default: nproc).
set -euo pipefail

log() { printf '[debug-kernel] %s\n' "$*"; }
die() { printf '[debug-kernel] ERROR: %s\n' "$*" >&2; exit 1; }

[ $# -eq 1 ] || { echo "usage: $0 BUILDDIR" >&2; exit 2; }

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
SELF="$HERE/$(basename "${BASH_SOURCE[0]}")"
FRAG="$HERE/debug.config"
TARBALL=${LINUX_SOURCE_TARBALL:-/usr/src/linux-source-6.1.tar.xz}
BUILDDIR=$(realpath -m "$1")
OUT="$BUILDDIR/debug"
SRCNAME=$(basename "$TARBALL"); SRCNAME=${SRCNAME%%.tar*}   # linux-source-6.1
SRC="$OUT/$SRCNAME"
LOG="$OUT/build.log"
STAMP="$OUT/stamp"
JOBS=${JOBS:-$(nproc)}

# Don't let a calling make (jobserver, command-line variables) or a stray
# kbuild environment leak into the kernel build.
unset MAKEFLAGS MFLAGS MAKELEVEL MAKEOVERRIDES KBUILD_OUTPUT KBUILD_EXTMOD \
      ARCH SRCARCH CROSS_COMPILE LOCALVERSION KCONFIG_CONFIG O M || true
# LOCALVERSION= (set but empty) stops setlocalversion from appending "+".
KMAKE=(make --no-print-directory -C "$SRC" ARCH=x86_64 LOCALVERSION=)

[ -f "$FRAG" ] || die "config fragment $FRAG not found"
[ -f "$TARBALL" ] || die "$TARBALL not found (apt package linux-source-6.1; run 'make deps')"

mkdir -p "$OUT"
# Serialise concurrent invocations on the same BUILDDIR.
exec 9>"$OUT/.lock"
flock 9

# ---- up-to-date check (must stay fast) -------------------------------------
src_id="$(basename "$TARBALL") $(stat -Lc '%s %Y' "$TARBALL")"
want=$({ sha256sum <"$FRAG"; sha256sum <"$SELF"; echo "$src_id"; } \
       | sha256sum | cut -d' ' -f1)
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$want" ] &&
   [ -s "$OUT/bzImage" ] && [ -s "$OUT/kernelrelease" ] &&
   [ -f "$SRC/Module.symvers" ]; then
    [ "$(cat "$OUT/kdir" 2>/dev/null)" = "$SRC" ] || echo "$SRC" >"$OUT/kdir"
    log "debug kernel up to date ($(cat "$OUT/kernelrelease"))"
    exit 0
fi

# ---- host dependencies ------------------------------------------------------
missing=()
for c in make gcc ld bc flex bison perl pahole tar xz flock; do
    command -v "$c" >/dev/null 2>&1 || missing+=("$c")
done
[ -f /usr/include/libelf.h ] || missing+=("libelf-dev (/usr/include/libelf.h)")
[ -f /usr/include/openssl/opensslv.h ] || missing+=("libssl-dev (/usr/include/openssl/opensslv.h)")
[ ${#missing[@]} -eq 0 ] || die "missing build dependencies: ${missing[*]} (run 'make deps': apt-get install build-essential bc flex bison libelf-dev libssl-dev dwarves linux-source-6.1)"

T0=$SECONDS
step() { log "$* [+$((SECONDS - T0))s]"; }
# run CMD...: append output to build.log; on failure show its tail and exit.
run() {
    printf '\n### %s\n' "$*" >>"$LOG"
    if ! "$@" >>"$LOG" 2>&1; then
        echo "[debug-kernel] FAILED: $*" >&2
        echo "[debug-kernel] ---- last 40 lines of $LOG ----" >&2
        tail -n 40 "$LOG" >&2
        exit 1
    fi
}

: >"$LOG"
log "building debug kernel in $OUT (log: $LOG)"

# ---- source tree ------------------------------------------------------------
if [ -d "$SRC" ] && [ "$(cat "$OUT/.source-id" 2>/dev/null)" != "$src_id" ]; then
    step "source tarball changed (or partial tree): removing old tree"
    rm -rf "$SRC"
fi
if [ ! -d "$SRC" ]; then
    step "extracting $TARBALL"
    rm -rf "$OUT/.extract"
    mkdir -p "$OUT/.extract"
    run tar -xf "$TARBALL" -C "$OUT/.extract"
    [ -d "$OUT/.extract/$SRCNAME" ] || die "tarball did not contain $SRCNAME/"
    mv "$OUT/.extract/$SRCNAME" "$SRC"
    rmdir "$OUT/.extract"
    echo "$src_id" >"$OUT/.source-id"
fi

# ---- configure + verify -----------------------------------------------------
step "configuring (allnoconfig + $(basename "$FRAG"))"
run "${KMAKE[@]}" KCONFIG_ALLCONFIG="$FRAG" allnoconfig

bad=()
while IFS= read -r line; do
    if [[ $line =~ ^(CONFIG_[A-Za-z0-9_]+)=(.*)$ ]]; then
        grep -qxF -- "$line" "$SRC/.config" || {
            have=$(grep -E "^(# )?${BASH_REMATCH[1]}[= ]" "$SRC/.config" || true)
            bad+=("$line (got: ${have:-<absent, dependency missing>})")
        }
    elif [[ $line =~ ^#\ (CONFIG_[A-Za-z0-9_]+)\ is\ not\ set$ ]]; then
        if grep -q "^${BASH_REMATCH[1]}=" "$SRC/.config"; then
            bad+=("$line (got: $(grep "^${BASH_REMATCH[1]}=" "$SRC/.config"))")
        fi
    fi
done <"$FRAG"
if [ ${#bad[@]} -ne 0 ]; then
    echo "[debug-kernel] ERROR: ${#bad[@]} option(s) from $FRAG did not survive allnoconfig:" >&2
    printf '  %s\n' "${bad[@]}" >&2
    exit 1
fi
step "config verified: all $(grep -cE '^(CONFIG_|# CONFIG_.* is not set)' "$FRAG") fragment options applied"

# ---- build ------------------------------------------------------------------
# "all" = bzImage + (no) modules; the modules step writes Module.symvers, which
# out-of-tree module builds against this tree need.
step "building bzImage (make -j$JOBS; this takes a while)"
run "${KMAKE[@]}" -j"$JOBS" all
step "make modules_prepare"
run "${KMAKE[@]}" -j"$JOBS" modules_prepare
[ -f "$SRC/Module.symvers" ] || die "Module.symvers missing after build"

krel=$("${KMAKE[@]}" -s kernelrelease)
cp "$SRC/arch/x86/boot/bzImage" "$OUT/bzImage.tmp"
mv "$OUT/bzImage.tmp" "$OUT/bzImage"
echo "$krel" >"$OUT/kernelrelease"
echo "$SRC" >"$OUT/kdir"
echo "$want" >"$STAMP"
step "done: $OUT/bzImage ($krel), KDIR=$SRC"
