#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Runs last on kernels with kmemleak (the debug lane): nothing the suite did
# may leave unreferenced memory behind. Boot-time objects were cleared by the
# VM's init before any test ran.
source "$(dirname "$0")/lib.sh"

KMEMLEAK=/sys/kernel/debug/kmemleak

test_no_leaks() {
	[ -e $KMEMLEAK ] || ktap_skip "kernel without kmemleak"
	# Objects must be older than kmemleak's minimum age (5 s) to be
	# reported, and a second scan confirms the first.
	sleep 6
	echo scan > $KMEMLEAK
	sleep 1
	echo scan > $KMEMLEAK
	if [ -s $KMEMLEAK ]; then
		cat $KMEMLEAK
		fail "kmemleak reports suspected leaks"
	fi
}

ktap_run "kmemleak: the suite leaked no memory" test_no_leaks
