#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: ipsecif against the kernel's own xfrm interface, in one VM and
# one run. Two namespaces a <-> b talk through ipsecif at both ends, two
# namespaces c <-> d through xfrm interfaces at both ends: the same ESP tunnel
# SAs (algorithm, keys, SPIs, replay window), the same veth underlay and the
# same tunnel MTU. For each algorithm, the runs alternate (ipsecif, xfrm,
# ipsecif, ...) so that drift in the host hits both alike:
#   TCP throughput   iperf3 -t 10, bits/s the receiver counted
#   UDP packet rate  iperf3 -u -l 64 -b 0 -t 10 (the sender floods), datagrams
#                    the receiver got per second
# ipsecif stays loaded throughout, so its ESP handler also sees the xfrm
# tunnel's packets first and passes them on (an SPI lookup miss), as on any
# machine that runs both.
#
# Then the policy (SPD) mode's lookup cost: the same UDP flood through an SPD
# at each end of a veth, transport-mode AES-GCM-128 SAs, in three pairs of
# namespaces alive at once whose SPDs differ only in how many non-matching
# policies (none, 1,000, 10,000) come before the matching protect policy, in
# the flood's direction (the sender's outbound ones, the receiver's inbound
# ones); the runs alternate between the three. The ratios pps(1k)/pps(1) and
# pps(10k)/pps(1) are the point (target: 10,000 policies cost less than 1.5x,
# so pps(10k)/pps(1) >= 0.67).
#
# Last, what the hooks cost an interface without an SPD: plain UDP over a
# veth between two namespaces, with no SPD anywhere ("nohooks") and with an
# SPD attached to a dummy interface in both namespaces ("hooks"), so that
# the module's netfilter hooks run for every packet of the veth; the runs
# alternate, the ratio hooks/nohooks is the point.
#
# Prints every run, the crypto drivers the kernel chose, then a table of
# medians with the ratio ipsecif/xfrm and the SPD ratios, and all of it as
# CSV on lines starting "# csv: " (the host keeps those).
#
# usage: bench.sh run     (in the test VM; run_tests.sh calls it without
#                          "run", and then it only says it is no test)
source "$(dirname "$0")/lib.sh"

if [ "${1:-}" != run ]; then
	echo "KTAP version 1"
	echo "1..0 # SKIP a benchmark, not a test: make bench runs it"
	exit 0
fi

RUNS=${BENCH_RUNS:-3}
RUN_SECONDS=${BENCH_SECONDS:-10}
# ipsecif's default MTU (1379) leaves room for its largest overhead, an xfrm
# interface's is 1500: both tunnels get this one instead.
TUNNEL_MTU=1400
REPLAY_WINDOW=128
ALGORITHMS=(gcm128 chacha)
IMPLEMENTATIONS=(ipsecif xfrm)
PORT=5201

declare -A ALG_NAME=([gcm128]=AES-GCM-128 [chacha]=ChaCha20-Poly1305)
declare -A CLIENT_NS=([ipsecif]=a [xfrm]=c)
declare -A SERVER_NS=([ipsecif]=b [xfrm]=d)
# The SPD variants: non-matching policies ahead of the matching one, and
# their namespaces (added to CLIENT_NS and SERVER_NS by spd_setup).
SPD_ALG=gcm128
SPD_VARIANTS=(1 1k 10k)
declare -A SPD_DECOYS=([1]=0 [1k]=1000 [10k]=10000)
SPD_TARGET=0.67
declare -A RESULT
FAILED=0
CSV=()
DRIVERS=()

# underlay LEFT RIGHT: two namespaces joined by veth (LEFT0, RIGHT0),
# 192.0.2.1 on the left, .2 on the right.
underlay() {
	netns_add "$1"
	netns_add "$2"
	ip link add "${1}0" netns "$(ns "$1")" type veth peer name "${2}0" netns "$(ns "$2")"
	in_ns "$1" ip addr add 192.0.2.1/24 dev "${1}0"
	in_ns "$2" ip addr add 192.0.2.2/24 dev "${2}0"
	in_ns "$1" ip link set "${1}0" up
	in_ns "$2" ip link set "${2}0" up
}

# The SAs of both directions: left->right is SPI 0x1001 with key seed 1,
# right->left SPI 0x2001 with key seed 2. Sets LR and RL to their CRYPTO.
sa_keys() {
	crypto_args "$1" 1
	LR=("${CRYPTO[@]}")
	crypto_args "$1" 2
	RL=("${CRYPTO[@]}")
}

# ipsecif_end NS LOCAL REMOTE INNER TX_SPI RX_SPI: TX_CRYPTO/RX_CRYPTO set.
ipsecif_end() {
	local netns=$1 local_addr=$2 remote_addr=$3 inner=$4
	in_ns "$netns" ipsecctl sa add 1 spi "$5" mode tunnel src "$local_addr" dst "$remote_addr" \
		"${TX_CRYPTO[@]}" replay-window $REPLAY_WINDOW
	in_ns "$netns" ipsecctl sa add 2 spi "$6" mode tunnel src "$remote_addr" dst "$local_addr" \
		"${RX_CRYPTO[@]}" replay-window $REPLAY_WINDOW
	in_ns "$netns" ipsecctl link add ipsec0
	in_ns "$netns" ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns "$netns" ip link set ipsec0 mtu $TUNNEL_MTU
	in_ns "$netns" ip addr add "$inner/24" dev ipsec0
	in_ns "$netns" ip link set ipsec0 up
}

# xfrm_end NS UNDERLAY_DEV LOCAL REMOTE INNER TX_SPI RX_SPI
xfrm_end() {
	local netns=$1 dev=$2 local_addr=$3 remote_addr=$4 inner=$5
	in_ns "$netns" ip link add xfrm0 type xfrm dev "$dev" if_id 42
	in_ns "$netns" ip xfrm state add src "$local_addr" dst "$remote_addr" proto esp spi "$6" \
		mode tunnel if_id 42 "${TX_CRYPTO[@]}" replay-window $REPLAY_WINDOW
	in_ns "$netns" ip xfrm state add src "$remote_addr" dst "$local_addr" proto esp spi "$7" \
		mode tunnel if_id 42 "${RX_CRYPTO[@]}" replay-window $REPLAY_WINDOW
	in_ns "$netns" ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir out \
		tmpl src "$local_addr" dst "$remote_addr" proto esp mode tunnel if_id 42
	in_ns "$netns" ip xfrm policy add src 0.0.0.0/0 dst 0.0.0.0/0 dir in \
		tmpl src "$remote_addr" dst "$local_addr" proto esp mode tunnel if_id 42
	in_ns "$netns" ip link set xfrm0 mtu $TUNNEL_MTU
	in_ns "$netns" ip addr add "$inner/24" dev xfrm0
	in_ns "$netns" ip link set xfrm0 up
}

# Both tunnels of algorithm $1; 10.0.0.1 is the client's end, .2 the server's.
setup() {
	sa_keys "$1"
	underlay a b
	TX_CRYPTO=("${LR[@]}") RX_CRYPTO=("${RL[@]}")
	ipsecif_end a 192.0.2.1 192.0.2.2 10.0.0.1 0x1001 0x2001
	TX_CRYPTO=("${RL[@]}") RX_CRYPTO=("${LR[@]}")
	ipsecif_end b 192.0.2.2 192.0.2.1 10.0.0.2 0x2001 0x1001

	underlay c d
	TX_CRYPTO=("${LR[@]}") RX_CRYPTO=("${RL[@]}")
	xfrm_end c c0 192.0.2.1 192.0.2.2 10.0.0.1 0x1001 0x2001
	TX_CRYPTO=("${RL[@]}") RX_CRYPTO=("${LR[@]}")
	xfrm_end d d0 192.0.2.2 192.0.2.1 10.0.0.2 0x2001 0x1001
}

# Both tunnels pass traffic before anything is measured.
tunnel_ok() {
	local impl=$1 out netns
	if out=$(in_ns "${CLIENT_NS[$impl]}" ping -c 3 -i 0.2 -W 3 10.0.0.2 2>&1) &&
	   grep -q " 0% packet loss" <<<"$out"; then
		return 0
	fi
	echo "# bench failed: $impl tunnel passes no traffic: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	if [ "$impl" = ipsecif ]; then
		in_ns a ipsecctl -s sa show
		in_ns b ipsecctl -s sa show
		in_ns a ip -s link show dev ipsec0
		in_ns b ip -s link show dev ipsec0
	elif [[ $impl == spd-* ]]; then
		for netns in "${CLIENT_NS[$impl]}" "${SERVER_NS[$impl]}"; do
			in_ns "$netns" ipsecctl -s sa show
			in_ns "$netns" ipsecctl -s spd show
			in_ns "$netns" ip -s link show
		done
	else
		in_ns c ip -s xfrm state
		in_ns d ip -s xfrm state
	fi 2>&1 | sed 's/^/#   /'
	return 1
}

server_listening() {
	in_ns "$1" ss -Hltn "sport = :$PORT" | grep -q .
}

# measure IMPL tcp|udp: one iperf3 run through IMPL's tunnel; prints the
# receiver's rate, in Mbit/s (tcp) or thousands of datagrams per second (udp).
measure() {
	local impl=$1 kind=$2 server=${SERVER_NS[$1]} pidfile json rate
	local -a args=(-t "$RUN_SECONDS" -J)

	pidfile=/tmp/iperf3-$server.pid
	in_ns "$server" iperf3 -s -1 -D -B 10.0.0.2 -p $PORT -I "$pidfile" >/dev/null
	wait_for server_listening "$server" || { echo "iperf3 server did not start"; return 1; }
	[ "$kind" = udp ] && args+=(-u -l 64 -b 0)
	json=$(in_ns "${CLIENT_NS[$impl]}" timeout $((RUN_SECONDS + 30)) \
		iperf3 -c 10.0.0.2 -p $PORT "${args[@]}" 2>&1) || true
	[ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	rm -f "$pidfile"
	if [ "$kind" = tcp ]; then
		rate=$(jq -r '.end.sum_received.bits_per_second / 1e6' <<<"$json" 2>/dev/null)
	else
		rate=$(jq -r '.end.sum_received |
			(.packets - .lost_packets) / .seconds / 1e3' <<<"$json" 2>/dev/null)
	fi
	if [[ ! $rate =~ ^[0-9.e+]+$ ]] || [ "$(awk -v r="$rate" 'BEGIN { print (r > 0) }')" != 1 ]; then
		jq -r '.error // "no result"' <<<"$json" 2>/dev/null || head -n 3 <<<"$json"
		return 1
	fi
	printf '%.1f\n' "$rate"
}

# The median of the arguments (numbers); empty if there are none.
median() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The driver the crypto API picks for algorithm NAME: the highest-priority
# implementation that passed its self-test, with its module.
crypto_driver() {
	awk -F ' *: ' -v want="$1" '
		function pick() {
			if (name == want && selftest == "passed" && prio + 0 > best) {
				best = prio + 0
				chosen = driver " (" module ", priority " prio ")"
			}
			name = ""
		}
		$1 == "name" { name = $2 }
		$1 == "driver" { driver = $2 }
		$1 == "module" { module = $2 }
		$1 == "priority" { prio = $2 }
		$1 == "selftest" { selftest = $2 }
		/^$/ { pick() }
		END { pick(); print chosen == "" ? "none" : chosen }' /proc/crypto
}

crypto_drivers() {
	local name
	case $1 in
	gcm128) set -- 'rfc4106(gcm(aes))' 'gcm(aes)' aes ;;
	chacha) set -- 'rfc7539esp(chacha20,poly1305)' chacha20 poly1305 ;;
	esac
	for name in "$@"; do
		DRIVERS+=("$(printf 'crypto: %-30s %s' "$name" "$(crypto_driver "$name")")")
		echo "# ${DRIVERS[-1]}"
	done
}

# metric,algorithm,implementation,run,value,unit
csv() {
	CSV+=("$(IFS=,; echo "$*")")
}

# Rows of the table: "tcp gcm128" ...; RESULT[kind,alg,impl] holds the runs.
ROWS=()
bench_algorithm() {
	local alg=$1 kind impl run rate
	local -A unit=([tcp]=Mbit/s [udp]=kpps)

	echo "# $alg: ${ALG_NAME[$alg]}"
	setup "$alg"
	for impl in "${IMPLEMENTATIONS[@]}"; do
		if ! tunnel_ok "$impl"; then
			FAILED=$((FAILED + 1))
			netns_cleanup
			return
		fi
	done
	for kind in tcp udp; do
		ROWS+=("$kind $alg")
	done
	for run in $(seq "$RUNS"); do
		for kind in tcp udp; do
			for impl in "${IMPLEMENTATIONS[@]}"; do
				if rate=$(measure "$impl" "$kind"); then
					RESULT[$kind,$alg,$impl]+="$rate "
					csv "$kind" "${ALG_NAME[$alg]}" "$impl" "$run" "$rate" "${unit[$kind]}"
					printf '# run %d %-4s %-18s %-8s %10s %s\n' "$run" "${kind^^}" \
						"${ALG_NAME[$alg]}" "$impl" "$rate" "${unit[$kind]}"
				else
					echo "# bench failed: run $run ${kind^^} ${ALG_NAME[$alg]} $impl: $rate"
					FAILED=$((FAILED + 1))
				fi
			done
		done
	done
	crypto_drivers "$alg"
	netns_cleanup
}

# ---------------------------------------------------------------------------
# The SPD rows.

# spd_decoys N DIR LOCAL REMOTE: N policies of direction DIR that the flood
# (UDP from the client's ephemeral port to the server's PORT) never matches,
# all ahead of the protect policy (priority 100), one per line as "ipsecctl
# -batch" reads them. Every other one has a remote /32 elsewhere
# (172.16.0.0/12); the rest have the flood's addresses and protocol, but
# another server port (rport outbound, lport inbound): telling them from
# the flood takes addresses and ports alike. Action discard: should one
# match by mistake, the flood stops.
spd_decoys() {
	local n=$1 dir=$2 local_addr=$3 remote_addr=$4 port=rport i
	[ "$dir" = in ] && port=lport
	for ((i = 1; i <= n; i++)); do
		if ((i % 2)); then
			echo "policy add spd 1 priority $((1000 + i)) dir $dir action discard" \
				"proto udp local $local_addr remote $remote_addr $port $((10000 + i))"
		else
			echo "policy add spd 1 priority $((1000 + i)) dir $dir action discard" \
				"local $local_addr remote 172.$((16 + (i >> 16))).$((i >> 8 & 255)).$((i & 255))"
		fi
	done
}

# spd_end NS DEV LOCAL REMOTE TX_SPI RX_SPI DECOY_DIR DECOYS: SA 1 sends,
# SA 2 receives (transport mode; TX_CRYPTO/RX_CRYPTO set), SPD 1 protects
# everything between LOCAL and REMOTE (10.0.0.x, on the veth itself) behind
# DECOYS policies of direction DECOY_DIR, all loaded with one ipsecctl -batch.
spd_end() {
	local netns=$1 dev=$2 local_addr=$3 remote_addr=$4 decoys=$8
	local batch=/tmp/spd-$1.batch start policies

	in_ns "$netns" ip addr add "$local_addr/24" dev "$dev"
	{
		echo "sa add 1 spi $5 mode transport ${TX_CRYPTO[*]} replay-window $REPLAY_WINDOW"
		echo "sa add 2 spi $6 mode transport ${RX_CRYPTO[*]} replay-window $REPLAY_WINDOW"
		echo "spd add 1"
		spd_decoys "$decoys" "$7" "$local_addr" "$remote_addr"
		echo "policy add spd 1 priority 100 dir out action protect sa 1" \
			"local $local_addr remote $remote_addr"
		echo "policy add spd 1 priority 100 dir in action protect sa 2" \
			"local $local_addr remote $remote_addr"
		echo "spd attach 1 dev $dev"
	} > "$batch"
	start=$EPOCHREALTIME
	in_ns "$netns" ipsecctl -batch "$batch"
	policies=$(in_ns "$netns" ipsecctl -j spd show 1 | jq -r '.[0].policies')
	printf '# spd: %s: %s policies loaded in %.1f s\n' "$netns" "$policies" \
		"$(awk -v a="$start" -v b="$EPOCHREALTIME" 'BEGIN { print b - a }')"
	rm -f "$batch"
}

# One pair of namespaces per variant, client (sender) and server.
spd_setup() {
	local variant client server

	sa_keys "$SPD_ALG"
	for variant in "${SPD_VARIANTS[@]}"; do
		client=s${variant}c server=s${variant}s
		CLIENT_NS[spd-$variant]=$client
		SERVER_NS[spd-$variant]=$server
		underlay "$client" "$server"
		TX_CRYPTO=("${LR[@]}") RX_CRYPTO=("${RL[@]}")
		spd_end "$client" "${client}0" 10.0.0.1 10.0.0.2 0x1001 0x2001 \
			out "${SPD_DECOYS[$variant]}"
		TX_CRYPTO=("${RL[@]}") RX_CRYPTO=("${LR[@]}")
		spd_end "$server" "${server}0" 10.0.0.2 10.0.0.1 0x2001 0x1001 \
			in "${SPD_DECOYS[$variant]}"
	done
}

bench_spd() {
	local variant impl run rate

	echo "# spd: ${ALG_NAME[$SPD_ALG]}, transport mode, ${SPD_VARIANTS[*]} policies"
	spd_setup
	for variant in "${SPD_VARIANTS[@]}"; do
		if ! tunnel_ok "spd-$variant"; then
			FAILED=$((FAILED + 1))
			netns_cleanup
			return
		fi
	done
	SPD_DONE=1
	for run in $(seq "$RUNS"); do
		for variant in "${SPD_VARIANTS[@]}"; do
			impl=spd-$variant
			if rate=$(measure "$impl" udp); then
				RESULT[udp,$SPD_ALG,$impl]+="$rate "
				csv udp-spd "${ALG_NAME[$SPD_ALG]}" "$impl" "$run" "$rate" kpps
				printf '# run %d %-4s %-18s %-8s %10s %s\n' "$run" SPD \
					"${ALG_NAME[$SPD_ALG]}" "$impl" "$rate" kpps
			else
				echo "# bench failed: run $run SPD ${ALG_NAME[$SPD_ALG]} $impl: $rate"
				FAILED=$((FAILED + 1))
			fi
		done
	done
	netns_cleanup
}

# The SPD rows of the table: the medians of the three variants, then
# pps(1k)/pps(1) and pps(10k)/pps(1).
spd_table() {
	local variant base ratio medians=() ratios=() verdict
	local -A median_of

	for variant in "${SPD_VARIANTS[@]}"; do
		# shellcheck disable=SC2086 # the runs are a list of words
		median_of[$variant]=$(median ${RESULT[udp,$SPD_ALG,spd-$variant]:-})
		medians+=("${median_of[$variant]:--}")
		csv udp-spd "${ALG_NAME[$SPD_ALG]}" "spd-$variant" median \
			"${median_of[$variant]}" kpps
	done
	base=${median_of[${SPD_VARIANTS[0]}]}
	for variant in "${SPD_VARIANTS[@]:1}"; do
		ratio=$(awk -v a="${median_of[$variant]}" -v b="$base" \
			'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }')
		ratios+=("$ratio")
		csv udp-spd "${ALG_NAME[$SPD_ALG]}" "ratio-$variant/1" median "$ratio" \
			"spd-$variant/spd-1"
	done
	verdict=$(awk -v r="${ratios[-1]}" -v t=$SPD_TARGET \
		'BEGIN { if (r == "-") print "no result"; else if (r >= t) print "met"; else print "NOT met" }')
	printf '%-50s %10s %10s %10s %7s %7s\n' \
		"SPD protect, 1 policy or 1k/10k ahead of it" "1" "1k" "10k" "1k/1" "10k/1"
	printf '%-50s %10s %10s %10s %7s %7s\n' \
		"  UDP 64 B ${ALG_NAME[$SPD_ALG]}, transport (kpps)" \
		"${medians[@]}" "${ratios[@]}"
	echo "SPD: 0, 1,000 or 10,000 non-matching policies ahead of the protect one," \
		"in the flood's direction (sender out, receiver in),"
	echo "ESP transport mode over veth; target 10k/1 >= $SPD_TARGET: $verdict"
}

# The hooks rows: plain veths, namespaces hnc/hns (no SPD) and hhc/hhs (an
# SPD on a dummy interface of each).
HOOK_VARIANTS=(nohooks hooks)

hooks_setup() {
	local variant client server netns

	for variant in "${HOOK_VARIANTS[@]}"; do
		client=hnc server=hns
		[ "$variant" = hooks ] && client=hhc server=hhs
		CLIENT_NS[$variant]=$client
		SERVER_NS[$variant]=$server
		underlay "$client" "$server"
		in_ns "$client" ip addr add 10.0.0.1/24 dev "${client}0"
		in_ns "$server" ip addr add 10.0.0.2/24 dev "${server}0"
		[ "$variant" = hooks ] || continue
		for netns in "$client" "$server"; do
			in_ns "$netns" ip link add dum0 type dummy
			in_ns "$netns" ip link set dum0 up
			in_ns "$netns" ipsecctl spd add 1
			in_ns "$netns" ipsecctl spd attach 1 dev dum0
		done
	done
}

bench_hooks() {
	local variant run rate

	echo "# hooks: plain UDP over veth, without and with SPD hooks in the netns"
	hooks_setup
	for variant in "${HOOK_VARIANTS[@]}"; do
		if ! tunnel_ok "$variant"; then
			FAILED=$((FAILED + 1))
			netns_cleanup
			return
		fi
	done
	HOOKS_DONE=1
	for run in $(seq "$RUNS"); do
		for variant in "${HOOK_VARIANTS[@]}"; do
			if rate=$(measure "$variant" udp); then
				RESULT[udp,plain,$variant]+="$rate "
				csv udp-hooks plain "$variant" "$run" "$rate" kpps
				printf '# run %d %-4s %-18s %-8s %10s %s
' "$run" hook \
					plain "$variant" "$rate" kpps
			else
				echo "# bench failed: run $run hooks $variant: $rate"
				FAILED=$((FAILED + 1))
			fi
		done
	done
	netns_cleanup
}

hooks_table() {
	local without with ratio

	# shellcheck disable=SC2086 # the runs are a list of words
	without=$(median ${RESULT[udp,plain,nohooks]:-})
	# shellcheck disable=SC2086
	with=$(median ${RESULT[udp,plain,hooks]:-})
	ratio=$(awk -v a="$with" -v b="$without" \
		'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }')
	csv udp-hooks plain nohooks median "$without" kpps
	csv udp-hooks plain hooks median "$with" kpps
	csv udp-hooks plain ratio median "$ratio" hooks/nohooks
	printf '%-50s %10s %10s %7s\n' "Interface without an SPD" "no hooks" "hooks" "ratio"
	printf '%-50s %10s %10s %7s\n' "  UDP 64 B plain veth (kpps)" "${without:--}" \
		"${with:--}" "$ratio"
}

table() {
	local row kind alg m_ipsecif m_xfrm ratio label host
	local -A unit=([tcp]=Mbit/s [udp]=kpps)

	host="qemu TCG"
	dmesg | grep -q 'Hypervisor detected: KVM' && host="qemu KVM"
	echo
	printf '%-50s %10s %10s %7s\n' \
		"bench ($host, $(nproc) vCPUs, $RUNS runs each, medians)" ipsecif xfrm ratio
	for row in "${ROWS[@]}"; do
		read -r kind alg <<<"$row"
		# shellcheck disable=SC2086 # the runs are a list of words
		m_ipsecif=$(median ${RESULT[$kind,$alg,ipsecif]:-})
		# shellcheck disable=SC2086
		m_xfrm=$(median ${RESULT[$kind,$alg,xfrm]:-})
		ratio=$(awk -v a="$m_ipsecif" -v b="$m_xfrm" \
			'BEGIN { if (a != "" && b > 0) printf "%.2f", a / b; else print "-" }')
		if [ "$kind" = tcp ]; then
			label="TCP ${ALG_NAME[$alg]} (Mbit/s)"
		else
			label="UDP 64 B ${ALG_NAME[$alg]} (kpps)"
		fi
		printf '%-50s %10s %10s %7s\n' "$label" "${m_ipsecif:--}" "${m_xfrm:--}" "$ratio"
		csv "$kind" "${ALG_NAME[$alg]}" ipsecif median "$m_ipsecif" "${unit[$kind]}"
		csv "$kind" "${ALG_NAME[$alg]}" xfrm median "$m_xfrm" "${unit[$kind]}"
		csv "$kind" "${ALG_NAME[$alg]}" ratio median "$ratio" ipsecif/xfrm
	done
	echo "tunnel MTU $TUNNEL_MTU on both ends of both tunnels (ipsecif's default is 1379)," \
		"ESP tunnel mode over veth, replay window $REPLAY_WINDOW"
	echo "TCP: rate the receiver counted in ${RUN_SECONDS} s; UDP: 64-byte datagrams" \
		"sent unthrottled (-b 0), datagrams received per second"
	[ "$SPD_DONE" = 1 ] && spd_table
	[ "$HOOKS_DONE" = 1 ] && hooks_table
	printf '%s\n' "${DRIVERS[@]}"
	echo
}

modprobe -a ipsecif xfrm_interface
# What udev would load on a real machine for this CPU: the accelerated
# ciphers, so that both sides use what a real deployment would.
modprobe -a aesni_intel chacha_x86_64 poly1305_x86_64 2>/dev/null
echo "# bench: kernel $(uname -r), $(nproc) vCPUs, $RUNS runs of ${RUN_SECONDS} s each"
trap netns_cleanup EXIT
for alg in "${ALGORITHMS[@]}"; do
	bench_algorithm "$alg"
done
SPD_DONE=0
bench_spd
HOOKS_DONE=0
bench_hooks
table
echo "# csv: metric,algorithm,implementation,run,value,unit"
printf '# csv: %s\n' "${CSV[@]}"
if [ "$FAILED" -gt 0 ]; then
	echo "# bench: $FAILED failures"
	exit 1
fi
echo "# bench: done"
