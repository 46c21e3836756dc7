#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make bench: ipsecif side by side with the kernel's own xfrm interface,
# WireGuard (the ChaCha20-Poly1305 rows), a plain veth and the AEAD's own
# speed through the crypto API, in one VM and one run.
#
# Tunnels (each a pair of namespaces over its own veth, tunnel MTU 1400 on
# every one): a <-> b through ipsecif at both ends, p <-> q the same with
# parallel SAs (padata; not for null, which has no crypto to spread),
# c <-> d through xfrm
# interfaces at both ends with the same ESP tunnel SAs (algorithm, keys,
# SPIs, replay window), w <-> v through WireGuard, e <-> f a plain veth.
# For each algorithm (AES-GCM-128, AES-GCM-256, ChaCha20-Poly1305,
# AES-CBC + HMAC-SHA256-128 and null: ecb(cipher_null) without
# authentication, which measures the datapath alone) every metric is
# measured RUNS times, the implementations alternating within each run so
# that drift in the host hits them alike:
#   tcp1     iperf3 TCP, 1 flow, -t SECONDS: Mbit/s the receiver counted
#   tcp4     the same with 4 flows (-P 4)
#   udp1400  iperf3 UDP, 1400-byte packets (1372-byte datagrams) sent
#            unthrottled: goodput, Mbit/s of datagrams received
#   udp64    iperf3 UDP, 64-byte datagrams unthrottled: thousands received
#            per second
#   ping     1,000 echoes at 10 ms: p50 and p99 round trip, ms
# The plain veth is measured in the first algorithm's runs only. The AEAD
# ceiling (aeadbench: AF_ALG, one pinned process per vCPU, 1400-byte
# buffers, encrypt and decrypt) is the harmonic mean of its encrypt and
# decrypt rates, once per run.
#
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
# medians with the ratios against xfrm, WireGuard and the AEAD ceiling, and
# all of it as CSV on lines starting "# csv: " (the host keeps those and
# draws the chart).
#
# With BENCH_PROFILE (metrics, e.g. "udp64 tcp1"), each algorithm's
# tunnels are measured once more per metric after its runs, this time with
# every vCPU sampled by perf (cpu-clock, 999 Hz, call graphs) over the middle
# of the measurement: where the time goes, per implementation, by module and
# by kernel function (lines starting "# profile ").
#
# usage: bench.sh run     (in the test VM; run_tests.sh calls it without
#                          "run", and then it only says it is no test)
#        BENCH_RUNS, BENCH_SECONDS, BENCH_ALGS (e.g. "gcm128 null"),
#        BENCH_METRICS (e.g. "tcp1 ping") narrow a run down.
source "$(dirname "$0")/lib.sh"

if [ "${1:-}" != run ]; then
	echo "KTAP version 1"
	echo "1..0 # SKIP a benchmark, not a test: make bench runs it"
	exit 0
fi

RUNS=${BENCH_RUNS:-3}
RUN_SECONDS=${BENCH_SECONDS:-10}
# ipsecif's default MTU (1379) leaves room for its largest overhead, an xfrm
# interface's is 1500: every tunnel gets this one instead.
TUNNEL_MTU=1400
REPLAY_WINDOW=128
ALGS=${BENCH_ALGS:-gcm128 gcm256 chacha cbc-sha256 null}
read -r -a ALGORITHMS <<<"${ALGS//,/ }"
METRICS=${BENCH_METRICS:-tcp1 tcp4 udp1400 udp64 ping}
read -r -a METRICS <<<"${METRICS//,/ }"
PORT=5201
PINGS=1000
PROFILE=${BENCH_PROFILE:-}
read -r -a PROFILE <<<"${PROFILE//,/ }"

declare -A ALG_NAME=([gcm128]=AES-GCM-128 [gcm256]=AES-GCM-256
	[chacha]=ChaCha20-Poly1305 [cbc-sha256]=AES-CBC+HMAC-SHA256 [null]=null)
# aeadbench arguments of each algorithm's AEAD, as ESP instantiates it.
declare -A AEAD_ARGS=(
	[gcm128]="rfc4106(gcm(aes)) 20 16"
	[gcm256]="rfc4106(gcm(aes)) 36 16"
	[chacha]="rfc7539esp(chacha20,poly1305) 36 16"
	[cbc-sha256]="-a 32 -e 16 authenc(hmac(sha256),cbc(aes)) 0 16"
	[null]="-a 0 -e 0 authenc(digest_null,ecb(cipher_null)) 0 0")
declare -A METRIC_LABEL=([tcp1]="TCP 1 flow" [tcp4]="TCP 4 flows"
	[udp1400]="UDP 1400 B goodput" [udp64]="UDP 64 B" [ping50]="ping p50"
	[ping99]="ping p99" [mem_sa]="memory per SA" [install]="batch install"
	[udp64-tx]="UDP 64 B, hub TX" [udp64-rx]="UDP 64 B, hub RX")
declare -A UNIT=([tcp1]=Mbit/s [tcp4]=Mbit/s [udp1400]=Mbit/s [udp64]=kpps
	[ping50]=ms [ping99]=ms [mem_sa]=bytes [install]=s [udp64-tx]=kpps
	[udp64-rx]=kpps)
ALG_NAME[scale]="AES-GCM-128, p2mp"
declare -A CLIENT_NS=([ipsecif]=a [parallel]=p [xfrm]=c [wireguard]=w [veth]=e)
declare -A SERVER_NS=([ipsecif]=b [parallel]=q [xfrm]=d [wireguard]=v [veth]=f)
# The server's address, 10.0.0.2 unless said here.
declare -A SERVER_ADDR
COLUMNS=(ipsecif parallel xfrm wireguard veth ceiling)
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
ROWS=()

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

# ipsecif_end NS LOCAL REMOTE INNER TX_SPI RX_SPI [SA OPTION...]:
# TX_CRYPTO/RX_CRYPTO set.
ipsecif_end() {
	local netns=$1 local_addr=$2 remote_addr=$3 inner=$4 tx_spi=$5 rx_spi=$6
	shift 6
	in_ns "$netns" ipsecctl sa add 1 spi "$tx_spi" mode tunnel src "$local_addr" dst "$remote_addr" \
		"${TX_CRYPTO[@]}" replay-window $REPLAY_WINDOW "$@"
	in_ns "$netns" ipsecctl sa add 2 spi "$rx_spi" mode tunnel src "$remote_addr" dst "$local_addr" \
		"${RX_CRYPTO[@]}" replay-window $REPLAY_WINDOW "$@"
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

# wg_end NS PRIVATE_KEY_FILE PEER_PUBLIC_KEY PEER_ADDR INNER
wg_end() {
	in_ns "$1" ip link add wg0 type wireguard
	in_ns "$1" wg set wg0 private-key "$2" listen-port 51820 \
		peer "$3" allowed-ips 10.0.0.0/24 endpoint "$4:51820"
	in_ns "$1" ip link set wg0 mtu $TUNNEL_MTU
	in_ns "$1" ip addr add "$5/24" dev wg0
	in_ns "$1" ip link set wg0 up
}

wg_setup() {
	local ka=/tmp/wg-a.key kb=/tmp/wg-b.key
	wg genkey >$ka
	wg genkey >$kb
	underlay w v
	wg_end w $ka "$(wg pubkey <$kb)" 192.0.2.2 10.0.0.1
	wg_end v $kb "$(wg pubkey <$ka)" 192.0.2.1 10.0.0.2
	rm -f $ka $kb
}

veth_setup() {
	underlay e f
	in_ns e ip link set e0 mtu $TUNNEL_MTU
	in_ns f ip link set f0 mtu $TUNNEL_MTU
	in_ns e ip addr add 10.0.0.1/24 dev e0
	in_ns f ip addr add 10.0.0.2/24 dev f0
}

# setup ALG IMPL...: the tunnels of IMPL for algorithm ALG; 10.0.0.1 is the
# client's end, .2 the server's.
setup() {
	local alg=$1 impl
	shift
	sa_keys "$alg"
	for impl in "$@"; do
		case $impl in
		ipsecif)
			underlay a b
			TX_CRYPTO=("${LR[@]}") RX_CRYPTO=("${RL[@]}")
			ipsecif_end a 192.0.2.1 192.0.2.2 10.0.0.1 0x1001 0x2001
			TX_CRYPTO=("${RL[@]}") RX_CRYPTO=("${LR[@]}")
			ipsecif_end b 192.0.2.2 192.0.2.1 10.0.0.2 0x2001 0x1001
			;;
		parallel)
			underlay p q
			TX_CRYPTO=("${LR[@]}") RX_CRYPTO=("${RL[@]}")
			ipsecif_end p 192.0.2.1 192.0.2.2 10.0.0.1 0x1001 0x2001 parallel
			TX_CRYPTO=("${RL[@]}") RX_CRYPTO=("${LR[@]}")
			ipsecif_end q 192.0.2.2 192.0.2.1 10.0.0.2 0x2001 0x1001 parallel
			;;
		xfrm)
			underlay c d
			TX_CRYPTO=("${LR[@]}") RX_CRYPTO=("${RL[@]}")
			xfrm_end c c0 192.0.2.1 192.0.2.2 10.0.0.1 0x1001 0x2001
			TX_CRYPTO=("${RL[@]}") RX_CRYPTO=("${LR[@]}")
			xfrm_end d d0 192.0.2.2 192.0.2.1 10.0.0.2 0x2001 0x1001
			;;
		wireguard) wg_setup ;;
		veth) veth_setup ;;
		esac
	done
}

# Both tunnels pass traffic before anything is measured.
tunnel_ok() {
	local impl=$1 out netns
	if out=$(in_ns "${CLIENT_NS[$impl]}" ping -c 3 -i 0.2 -W 3 "${SERVER_ADDR[$impl]:-10.0.0.2}" 2>&1) &&
	   grep -q " 0% packet loss" <<<"$out"; then
		return 0
	fi
	echo "# bench failed: $impl tunnel passes no traffic: $(tail -n 2 <<<"$out" | tr '\n' ' ')"
	case $impl in
	ipsecif | parallel)
		for netns in "${CLIENT_NS[$impl]}" "${SERVER_NS[$impl]}"; do
			in_ns "$netns" ipsecctl -s sa show
			in_ns "$netns" ip -s link show dev ipsec0
		done
		;;
	spd-*)
		for netns in "${CLIENT_NS[$impl]}" "${SERVER_NS[$impl]}"; do
			in_ns "$netns" ipsecctl -s sa show
			in_ns "$netns" ipsecctl -s spd show
			in_ns "$netns" ip -s link show
		done
		;;
	xfrm)
		in_ns c ip -s xfrm state
		in_ns d ip -s xfrm state
		;;
	wireguard)
		in_ns w wg show
		in_ns v wg show
		;;
	esac 2>&1 | sed 's/^/#   /'
	return 1
}

server_listening() {
	in_ns "$1" ss -Hltn "sport = :$PORT" | grep -q .
}

# measure IMPL METRIC: one measurement through IMPL's tunnel; prints the
# result in the metric's unit (ping: "p50 p99").
measure() {
	local impl=$1 kind=$2 server=${SERVER_NS[$1]} pidfile json rate
	local addr=${SERVER_ADDR[$1]:-10.0.0.2}
	local -a args=(-t "$RUN_SECONDS" -J)

	if [ "$kind" = ping ]; then
		in_ns "${CLIENT_NS[$impl]}" ping -c $PINGS -i 0.01 -W 2 "$addr" |
			sed -n 's/.* time=\([0-9.]*\) ms.*/\1/p' | sort -g |
			awk -v n=$PINGS '{ v[NR] = $1 }
				END { if (NR < n * 0.99) { print "only " NR " of " n " echoes answered"; exit 1 }
				      printf "%.3f %.3f\n", v[int(NR * 0.5 + 0.5)], v[int(NR * 0.99 + 0.5)] }'
		return
	fi
	pidfile=/tmp/iperf3-$server.pid
	in_ns "$server" iperf3 -s -1 -D -B "$addr" -p $PORT -I "$pidfile" >/dev/null
	wait_for server_listening "$server" || { echo "iperf3 server did not start"; return 1; }
	case $kind in
	tcp4) args+=(-P 4) ;;
	udp1400) args+=(-u -l $((TUNNEL_MTU - 28)) -b 0) ;;
	udp64) args+=(-u -l 64 -b 0) ;;
	esac
	# stderr apart: iperf3 warns there (a UDP datagram larger than the
	# TCP MSS), and the JSON must stay JSON
	json=$(in_ns "${CLIENT_NS[$impl]}" timeout $((RUN_SECONDS + 30)) \
		iperf3 -c "$addr" -p $PORT "${args[@]}" 2>/tmp/iperf3.err) || true
	[ -e "$pidfile" ] && kill "$(cat "$pidfile")" 2>/dev/null
	rm -f "$pidfile"
	case $kind in
	tcp*) rate=$(jq -r '.end.sum_received.bits_per_second / 1e6' <<<"$json" 2>/dev/null) ;;
	udp1400)
		rate=$(jq -r --argjson len $((TUNNEL_MTU - 28)) '.end.sum_received |
			(.packets - .lost_packets) * $len * 8 / .seconds / 1e6' <<<"$json" 2>/dev/null) ;;
	udp64)
		rate=$(jq -r '.end.sum_received |
			(.packets - .lost_packets) / .seconds / 1e3' <<<"$json" 2>/dev/null) ;;
	esac
	if [[ ! $rate =~ ^[0-9.e+]+$ ]] || [ "$(awk -v r="$rate" 'BEGIN { print (r > 0) }')" != 1 ]; then
		jq -r '.error // "no result"' <<<"$json" 2>/dev/null || head -n 3 <<<"$json"
		head -n 3 /tmp/iperf3.err
		return 1
	fi
	printf '%.1f\n' "$rate"
}

# ceiling ALG: the AEAD's rate through the crypto API, Mbit/s: the harmonic
# mean of sealing and opening 1400-byte buffers on every vCPU at once.
ceiling() {
	local enc dec
	# shellcheck disable=SC2086 # the arguments are words
	enc=$(aeadbench -j "$(nproc)" -s 3 ${AEAD_ARGS[$1]} | awk '{ print $6 }') &&
		dec=$(aeadbench -d -j "$(nproc)" -s 3 ${AEAD_ARGS[$1]} | awk '{ print $6 }') &&
		[ -n "$enc" ] && [ -n "$dec" ] || return 1
	awk -v e="$enc" -v d="$dec" 'BEGIN { printf "%.1f\n", 2 / (1 / e + 1 / d) * 8 / 1e6 }'
}

# The median of the arguments (numbers); empty if there are none.
median() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { printf "%.1f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
}

# The same with three decimals (latencies).
median3() {
	[ $# -gt 0 ] || return 0
	printf '%s\n' "$@" | sort -g | awk '{ v[NR] = $1 }
		END { printf "%.3f\n", NR % 2 ? v[(NR + 1) / 2] : (v[NR / 2] + v[NR / 2 + 1]) / 2 }'
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
	gcm*) set -- 'rfc4106(gcm(aes))' 'gcm(aes)' aes ;;
	chacha) set -- 'rfc7539esp(chacha20,poly1305)' chacha20 poly1305 ;;
	cbc-sha256) set -- 'cbc(aes)' 'hmac(sha256)' sha256 ;;
	*) return 0 ;;
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

# record METRIC ALG IMPL RUN VALUE
record() {
	RESULT[$1,$2,$3]+="$5 "
	csv "$1" "${ALG_NAME[$2]}" "$3" "$4" "$5" "${UNIT[$1]}"
	printf '# run %d %-20s %-20s %-10s %10s %s\n' "$4" "${METRIC_LABEL[$1]}" \
		"${ALG_NAME[$2]}" "$3" "$5" "${UNIT[$1]}"
}

# The implementations measured for ALG.
implementations() {
	IMPLS=(ipsecif)
	[ "$1" = null ] || IMPLS+=(parallel)
	IMPLS+=(xfrm)
	[ "$1" = chacha ] && IMPLS+=(wireguard)
	[ "$1" = "${ALGORITHMS[0]}" ] && IMPLS+=(veth)
	return 0
}

bench_algorithm() {
	local alg=$1 metric impl run out p50 p99 rate
	local -a IMPLS

	implementations "$alg"
	echo "# $alg: ${ALG_NAME[$alg]}: ${IMPLS[*]}"
	setup "$alg" "${IMPLS[@]}"
	for impl in "${IMPLS[@]}"; do
		if ! tunnel_ok "$impl"; then
			FAILED=$((FAILED + 1))
			netns_cleanup
			return
		fi
	done
	for metric in "${METRICS[@]}"; do
		if [ "$metric" = ping ]; then
			ROWS+=("ping50 $alg" "ping99 $alg")
		else
			ROWS+=("$metric $alg")
		fi
	done
	for run in $(seq "$RUNS"); do
		for metric in "${METRICS[@]}"; do
			for impl in "${IMPLS[@]}"; do
				if ! out=$(measure "$impl" "$metric"); then
					echo "# bench failed: run $run $metric ${ALG_NAME[$alg]} $impl: $out"
					FAILED=$((FAILED + 1))
				elif [ "$metric" = ping ]; then
					read -r p50 p99 <<<"$out"
					record ping50 "$alg" "$impl" "$run" "$p50"
					record ping99 "$alg" "$impl" "$run" "$p99"
				else
					record "$metric" "$alg" "$impl" "$run" "$out"
				fi
			done
		done
		if rate=$(ceiling "$alg"); then
			RESULT[ceiling,$alg]+="$rate "
			csv ceiling "${ALG_NAME[$alg]}" aead "$run" "$rate" Mbit/s
			printf '# run %d %-20s %-20s %-10s %10s %s\n' "$run" "AEAD ceiling" \
				"${ALG_NAME[$alg]}" aeadbench "$rate" Mbit/s
		else
			echo "# bench failed: run $run AEAD ceiling ${ALG_NAME[$alg]}"
			FAILED=$((FAILED + 1))
		fi
	done
	crypto_drivers "$alg"
	for metric in "${PROFILE[@]}"; do
		for impl in "${IMPLS[@]}"; do
			profile "$alg" "$impl" "$metric"
		done
	done
	netns_cleanup
}

# profile ALG IMPL METRIC: one more measurement, the kernel sampled on every
# vCPU from its 2nd second to one second before its end; prints the share
# of the samples by module (ipsecif, the kernel, the rest) and the hottest
# functions, self time.
profile() {
	local alg=$1 impl=$2 metric=$3 data=/tmp/perf.data out tag
	local span=$((RUN_SECONDS - 3))

	[ "$metric" != ping ] && [ "$span" -ge 2 ] || return 0
	tag="# profile $metric ${ALG_NAME[$alg]} $impl:"
	(sleep 2; perf record -q -a -g -e cpu-clock -F 999 -o $data -- sleep $span \
		>/dev/null 2>&1) &
	out=$(measure "$impl" "$metric") || echo "$tag measurement failed: $out"
	wait
	echo "$tag $out ${UNIT[$metric]} while sampled"
	perf report -i $data --stdio --no-children --sort dso -g none 2>/dev/null |
		awk '/^ +[0-9.]+%/ && $1 + 0 >= 1' | sed "s/^ */$tag   /"
	perf report -i $data --stdio --no-children --sort sym -g none \
		--percent-limit 0.7 2>/dev/null |
		awk '/^ +[0-9.]+%/' | head -n 40 | sed "s/^ */$tag   /"
	# The tunnel's own code (ipsecif's, or xfrm's and ESP's; the AEAD
	# and the stack they share aside), the crypto, and idle.
	perf report -i $data --stdio --no-children --sort sym -g none 2>/dev/null |
		awk -v tag="$tag" '/^ +[0-9.]+%/ {
			p = $1 + 0; s = $NF
			if (s ~ /^ipsecif_/) own["ipsecif"] += p
			else if (s ~ /^(xfrm|__xfrm|esp_|esp4_|esp6_|esp_output|esp_input|xfrmi_)/) own["xfrm+esp"] += p
			else if (s ~ /(aes|gcm|ghash|chacha|poly1305|sha256|authenc|crypto_|_encrypt_|_decrypt_|_initial_num_blocks|_zero_cipher|_T_[0-9])/) crypto += p
			else if (s ~ /^(native_safe_halt|default_idle|acpi_idle)/) idle += p
		}
		END {
			for (k in own) printf "%s   own code (%s): %.1f%%\n", tag, k, own[k]
			printf "%s   crypto: %.1f%%, idle: %.1f%%\n", tag, crypto, idle
		}'
	# who calls the hottest functions (idle aside)
	perf report -i $data --stdio --no-children --sort sym -g caller,2,callee,function \
		--percent-limit 2.5 2>/dev/null |
		awk '/^$/ || /^#/ { next } /native_safe_halt/ { skip = 1; next }
		     /^ +[0-9.]+%/ { skip = 0 } !skip' | head -n 120 |
		sed "s/^/$tag     /"
	rm -f $data
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
			if rate=$(measure "$impl" udp64); then
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
			if rate=$(measure "$variant" udp64); then
				RESULT[udp,plain,$variant]+="$rate "
				csv udp-hooks plain "$variant" "$run" "$rate" kpps
				printf '# run %d %-4s %-18s %-8s %10s %s\n' "$run" hook \
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


# ---------------------------------------------------------------------------
# The scale rows: a p2mp hub with SCALE_PEERS peers (two SAs each) against
# one with a single peer, each hub with one real spoke behind the same kind
# of veth: the 64-byte UDP rate hub -> spoke (the hub's TX lookup, by next
# hop) and spoke -> hub (its RX lookup, by SPI), the runs alternating; the
# memory one SA costs (Slab + Percpu of /proc/meminfo over 10,000 of them,
# against 10,000 xfrm states of the same algorithm), and the time
# "ipsecctl -batch" takes to install 10,000 SAs with their protections
# against "ip -batch" installing 10,000 xfrm states.
SCALE_PEERS=${BENCH_SCALE_PEERS:-10000}
SCALE_N=10000
SCALE_VARIANTS=(1 many)

# scale_peer_lines N FIRST: "ipsecctl -batch" lines for N phantom peers
# 10.100.x.y (none of them ever answers), SA ids from FIRST on.
scale_peer_lines() {
	local n=$1 id=$2 i key
	key=$(test_key 20 7)
	for ((i = 0; i < n; i++, id += 2)); do
		echo "sa add $id spi $((0x100000 + id)) mode tunnel src 192.0.2.1" \
			"dst 198.18.$((i >> 8 & 255)).$((i & 255)) aead 'rfc4106(gcm(aes))' $key 128"
		echo "sa add $((id + 1)) spi $((0x100000 + id + 1)) mode tunnel" \
			"src 198.18.$((i >> 8 & 255)).$((i & 255)) dst 192.0.2.1 aead 'rfc4106(gcm(aes))' $key 128"
		echo "protect set dev mp0 peer 10.100.$((64 + (i >> 8))).$((i & 255)) tx $id rx $((id + 1))"
	done
}

# scale_hub VARIANT PEERS: hub namespace "h$VARIANT" (mp0, 10.100.0.1/16)
# and its spoke "p$VARIANT" (tun0, 10.100.0.2, p2p ipsecif), then PEERS - 1
# phantom peers on the hub.
scale_hub() {
	local hub=h$1 spoke=p$1 batch=/tmp/scale-$1.batch
	sa_keys gcm128
	underlay "$hub" "$spoke"
	in_ns "$hub" ipsecctl link add mp0 mode p2mp
	in_ns "$hub" ipsecctl sa add 1 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		"${LR[@]}" replay-window $REPLAY_WINDOW
	in_ns "$hub" ipsecctl sa add 2 spi 0x2001 mode tunnel src 192.0.2.2 dst 192.0.2.1 \
		"${RL[@]}" replay-window $REPLAY_WINDOW
	in_ns "$hub" ipsecctl protect set dev mp0 peer 10.100.0.2 tx 1 rx 2
	scale_peer_lines $(($2 - 1)) 10 >"$batch"
	in_ns "$hub" ipsecctl -batch "$batch"
	rm -f "$batch"
	in_ns "$hub" ip link set mp0 mtu $TUNNEL_MTU
	in_ns "$hub" ip addr add 10.100.0.1/16 dev mp0
	in_ns "$hub" ip link set mp0 up
	TX_CRYPTO=("${RL[@]}") RX_CRYPTO=("${LR[@]}")
	ipsecif_end "$spoke" 192.0.2.2 192.0.2.1 10.100.0.2 0x2001 0x1001
	in_ns "$spoke" ip addr flush dev ipsec0
	in_ns "$spoke" ip addr add 10.100.0.2/16 dev ipsec0
}

# mem_kb: what the kernel's slabs and per-CPU areas hold, in kB.
mem_kb() {
	awk '$1 == "Slab:" || $1 == "Percpu:" { n += $2 } END { print n }' /proc/meminfo
}

# Per SA, bytes: SCALE_N SAs (ipsecif) or xfrm states added in a netns of
# their own, the memory before and after.
scale_memory() {
	local impl=$1 before after batch=/tmp/mem.batch i key
	key=$(test_key 20 9)
	netns_add m
	for ((i = 0; i < SCALE_N; i++)); do
		if [ "$impl" = ipsecif ]; then
			echo "sa add $((i + 1)) spi $((0x200000 + i)) mode tunnel src 192.0.2.1" \
				"dst 198.18.$((i >> 8 & 255)).$((i & 255)) aead 'rfc4106(gcm(aes))' $key 128"
		else
			echo "xfrm state add src 192.0.2.1 dst 198.18.$((i >> 8 & 255)).$((i & 255))" \
				"proto esp spi $((0x200000 + i)) mode tunnel aead 'rfc4106(gcm(aes))' $key 128"
		fi
	done >"$batch"
	sync
	echo 3 > /proc/sys/vm/drop_caches
	before=$(mem_kb)
	if [ "$impl" = ipsecif ]; then
		in_ns m ipsecctl -batch "$batch"
	else
		in_ns m ip -batch "$batch"
	fi
	after=$(mem_kb)
	rm -f "$batch"
	ip netns del "$(ns m)"
	echo $(((after - before) * 1024 / SCALE_N))
}

# Seconds to install SCALE_N SAs (ipsecif: SCALE_N / 2 peers with two SAs
# and a protection each; xfrm: SCALE_N states) with one batch each.
scale_install() {
	local impl=$1 batch=/tmp/install.batch start end i key
	key=$(test_key 20 9)
	netns_add m
	if [ "$impl" = ipsecif ]; then
		in_ns m ipsecctl link add mp0 mode p2mp
		scale_peer_lines $((SCALE_N / 2)) 1 >"$batch"
	else
		for ((i = 0; i < SCALE_N; i++)); do
			echo "xfrm state add src 192.0.2.1 dst 198.18.$((i >> 8 & 255)).$((i & 255))" \
				"proto esp spi $((0x200000 + i)) mode tunnel aead 'rfc4106(gcm(aes))' $key 128"
		done >"$batch"
	fi
	start=$EPOCHREALTIME
	if [ "$impl" = ipsecif ]; then
		in_ns m ipsecctl -batch "$batch"
	else
		in_ns m ip -batch "$batch"
	fi
	end=$EPOCHREALTIME
	rm -f "$batch"
	ip netns del "$(ns m)"
	awk -v a="$start" -v b="$end" 'BEGIN { printf "%.2f\n", b - a }'
}

bench_scale() {
	local variant dir run rate impl value
	echo "# scale: p2mp hub with 1 and $SCALE_PEERS peers (2 SAs each), AES-GCM-128"
	for run in $(seq "$RUNS"); do
		for impl in ipsecif xfrm; do
			value=$(scale_memory $impl)
			record mem_sa scale "$impl" "$run" "$value"
			value=$(scale_install $impl)
			record install scale "$impl" "$run" "$value"
		done
	done
	scale_hub 1 1
	scale_hub many "$SCALE_PEERS"
	echo "# scale: SAs on the big hub: $(in_ns hmany ipsecctl -j sa show | jq length)"
	for variant in "${SCALE_VARIANTS[@]}"; do
		CLIENT_NS[tx-$variant]=h$variant SERVER_NS[tx-$variant]=p$variant
		SERVER_ADDR[tx-$variant]=10.100.0.2
		CLIENT_NS[rx-$variant]=p$variant SERVER_NS[rx-$variant]=h$variant
		SERVER_ADDR[rx-$variant]=10.100.0.1
		for dir in tx rx; do
			tunnel_ok "$dir-$variant" || { FAILED=$((FAILED + 1)); netns_cleanup; return; }
		done
	done
	SCALE_DONE=1
	for run in $(seq "$RUNS"); do
		for dir in tx rx; do
			for variant in "${SCALE_VARIANTS[@]}"; do
				if rate=$(measure "$dir-$variant" udp64); then
					record "udp64-$dir" scale "$variant" "$run" "$rate"
				else
					echo "# bench failed: run $run scale $dir $variant: $rate"
					FAILED=$((FAILED + 1))
				fi
			done
		done
	done
	netns_cleanup
}

scale_table() {
	local dir one many r mi mx ii ix
	printf '%-50s %10s %10s %7s\n' "p2mp hub: 1 peer or $SCALE_PEERS (2 SAs each)" 1 "$SCALE_PEERS" "ratio"
	for dir in tx rx; do
		# shellcheck disable=SC2086 # the runs are a list of words
		one=$(median ${RESULT[udp64-$dir,scale,1]:-})
		# shellcheck disable=SC2086
		many=$(median ${RESULT[udp64-$dir,scale,many]:-})
		r=$(ratio "$many" "$one")
		csv "udp64-$dir" scale 1 median "$one" kpps
		csv "udp64-$dir" scale many median "$many" kpps
		csv "udp64-$dir" scale ratio median "$r" many/1
		printf '%-50s %10s %10s %7s\n' "  UDP 64 B, hub ${dir^^} (kpps)" "${one:--}" "${many:--}" "$r"
		target "scale: hub ${dir^^} 64 B rate, $SCALE_PEERS peers / 1 peer" "$r" ">=" 0.83
	done
	# shellcheck disable=SC2086
	mi=$(median ${RESULT[mem_sa,scale,ipsecif]:-})
	# shellcheck disable=SC2086
	mx=$(median ${RESULT[mem_sa,scale,xfrm]:-})
	# shellcheck disable=SC2086
	ii=$(median ${RESULT[install,scale,ipsecif]:-})
	# shellcheck disable=SC2086
	ix=$(median ${RESULT[install,scale,xfrm]:-})
	printf '%-50s %10s %10s %7s\n' "$SCALE_N SAs, AES-GCM-128" ipsecif xfrm ratio
	printf '%-50s %10s %10s %7s\n' "  memory per SA (bytes, Slab + Percpu)" "${mi:--}" "${mx:--}" "$(ratio "$mi" "$mx")"
	printf '%-50s %10s %10s %7s\n' "  install with one batch (s; ipsecif: + protections)" "${ii:--}" "${ix:--}" "$(ratio "$ii" "$ix")"
	csv mem_sa scale ipsecif median "$mi" bytes
	csv mem_sa scale xfrm median "$mx" bytes
	csv install scale ipsecif median "$ii" s
	csv install scale xfrm median "$ix" s
	target "scale: memory per SA, ipsecif/xfrm" "$(ratio "$mi" "$mx")" "<=" 1.0
	target "scale: batch install time, ipsecif/xfrm" "$(ratio "$ii" "$ix")" "<=" 1.0
}

# ratio A B: A/B with two decimals, or "-".
ratio() {
	awk -v a="$1" -v b="$2" 'BEGIN { if (a != "" && b != "" && b > 0) printf "%.2f", a / b; else print "-" }'
}

# The medians of every row, the ratios, and what each target asks.
table() {
	local row metric alg impl label host veth_alg=${ALGORITHMS[0]}
	local -A m
	local r_xfrm r_par r_wg r_ceil best
	local fmt='%-42s %9s %9s %9s %9s %9s %9s %7s %7s %7s %7s\n'

	host="qemu TCG"
	dmesg | grep -q 'Hypervisor detected: KVM' && host="qemu KVM"
	echo
	echo "bench ($host, $(nproc) vCPUs, $RUNS runs each, medians)"
	# shellcheck disable=SC2059 # the format is ours
	printf "$fmt" "" ipsecif parallel xfrm wireguard veth "AEAD ceil" \
		"/xfrm" "par/xfrm" "best/wg" "best/c/2"
	for row in "${ROWS[@]}"; do
		read -r metric alg <<<"$row"
		for impl in ipsecif parallel xfrm wireguard; do
			if [[ $metric == ping* ]]; then
				# shellcheck disable=SC2086 # the runs are a list of words
				m[$impl]=$(median3 ${RESULT[$metric,$alg,$impl]:-})
			else
				# shellcheck disable=SC2086
				m[$impl]=$(median ${RESULT[$metric,$alg,$impl]:-})
			fi
		done
		if [[ $metric == ping* ]]; then
			# shellcheck disable=SC2086
			m[veth]=$(median3 ${RESULT[$metric,$veth_alg,veth]:-})
		else
			# shellcheck disable=SC2086
			m[veth]=$(median ${RESULT[$metric,$veth_alg,veth]:-})
		fi
		# the better of ipsecif's two modes: lower for latencies
		best=$(awk -v a="${m[ipsecif]}" -v b="${m[parallel]}" -v low="$([[ $metric == ping* ]] && echo 1)" \
			'BEGIN { if (b == "" || (low ? a + 0 <= b + 0 : a + 0 >= b + 0)) print a; else print b }')
		m[ceiling]=
		r_ceil=-
		if [ "${UNIT[$metric]}" = Mbit/s ]; then
			# shellcheck disable=SC2086
			m[ceiling]=$(median ${RESULT[ceiling,$alg]:-})
			r_ceil=$(ratio "$best" "$(awk -v c="${m[ceiling]}" 'BEGIN { if (c != "") print c / 2 }')")
		fi
		r_xfrm=$(ratio "${m[ipsecif]}" "${m[xfrm]}")
		r_par=$(ratio "${m[parallel]}" "${m[xfrm]}")
		r_wg=$(ratio "$best" "${m[wireguard]}")
		label="${METRIC_LABEL[$metric]} ${ALG_NAME[$alg]} (${UNIT[$metric]})"
		# shellcheck disable=SC2059
		printf "$fmt" "$label" "${m[ipsecif]:--}" "${m[parallel]:--}" "${m[xfrm]:--}" \
			"${m[wireguard]:--}" "${m[veth]:--}" "${m[ceiling]:--}" "$r_xfrm" "$r_par" \
			"$r_wg" "$r_ceil"
		for impl in ipsecif parallel xfrm wireguard veth ceiling; do
			[ -n "${m[$impl]}" ] || continue
			[ "$impl" = veth ] && [ "$alg" != "$veth_alg" ] && continue
			csv "$metric" "${ALG_NAME[$alg]}" "$impl" median "${m[$impl]}" "${UNIT[$metric]}"
		done
		csv "$metric" "${ALG_NAME[$alg]}" ratio-xfrm median "$r_xfrm" ipsecif/xfrm
		[ "$r_par" = - ] || csv "$metric" "${ALG_NAME[$alg]}" ratio-parallel-xfrm median "$r_par" parallel/xfrm
		[ "$r_wg" = - ] || csv "$metric" "${ALG_NAME[$alg]}" ratio-wireguard median "$r_wg" best/wireguard
		[ "$r_ceil" = - ] || csv "$metric" "${ALG_NAME[$alg]}" ratio-ceiling median "$r_ceil" "best/(ceiling/2)"
		TABLE_M["$metric,$alg"]="${m[ipsecif]} ${m[xfrm]:-x} ${m[wireguard]:-x} $r_xfrm $r_wg $r_ceil $r_par"
	done
	echo "tunnel MTU $TUNNEL_MTU everywhere (ipsecif's default is 1379); ESP tunnel mode over veth," \
		"replay window $REPLAY_WINDOW; veth: the plain underlay at that MTU"
	echo "TCP: what the receiver counted in ${RUN_SECONDS} s; UDP: sent unthrottled (-b 0)," \
		"what arrived; ping: $PINGS echoes at 10 ms;"
	echo "AEAD ceiling: AF_ALG, 1400-byte buffers on all vCPUs, harmonic mean of" \
		"encrypt and decrypt; /ceil/2: each packet is sealed and opened on the same vCPUs"
	echo "parallel: ipsecif with parallel SAs (padata); best: the better of ipsecif and parallel"
	targets
	[ "$SPD_DONE" = 1 ] && spd_table
	[ "$HOOKS_DONE" = 1 ] && hooks_table
	[ "$SCALE_DONE" = 1 ] && scale_table
	printf '%s\n' "${DRIVERS[@]}"
	echo
}
declare -A TABLE_M

# target LABEL VALUE OP GOAL: one line of the targets' verdicts.
target() {
	local verdict
	verdict=$(awk -v v="$2" -v op="$3" -v g="$4" 'BEGIN {
		if (v == "" || v == "-" || v == "x") { print "no result"; exit }
		ok = op == ">=" ? v >= g : v <= g
		print ok ? "met" : "NOT met" }')
	printf '  %-58s %8s %2s %-6s %s\n' "$1" "${2:--}" "$3" "$4" "$verdict"
}

# The issue's targets, from the medians (fields: ipsecif xfrm wireguard
# /xfrm best/wg best/ceil/2 parallel/xfrm). The TCP AES-GCM-128 target is
# parallel SAs' (what they are for), the latency one the default's.
targets() {
	local -a f
	echo "targets:"
	read -r -a f <<<"${TABLE_M[udp64,null]:-}"
	target "null crypto, 64 B packet rate, ipsecif/xfrm" "${f[3]:-}" ">=" 1.5
	read -r -a f <<<"${TABLE_M[tcp1,null]:-}"
	target "null crypto, TCP 1 flow, ipsecif/xfrm" "${f[3]:-}" ">=" 1.5
	read -r -a f <<<"${TABLE_M[tcp1,gcm128]:-}"
	target "AES-GCM-128, TCP 1 flow, parallel/xfrm" "${f[6]:-}" ">=" 1.6
	read -r -a f <<<"${TABLE_M[tcp1,chacha]:-}"
	target "ChaCha20-Poly1305, TCP 1 flow, best/WireGuard" "${f[4]:-}" ">=" 1.0
	read -r -a f <<<"${TABLE_M[ping50,gcm128]:-}"
	target "AES-GCM-128, ping p50, ipsecif/xfrm" "${f[3]:-}" "<=" 1.0
	read -r -a f <<<"${TABLE_M[udp1400,gcm128]:-}"
	target "AES-GCM-128, UDP 1400 B goodput, best/(ceiling/2)" "${f[5]:-}" ">=" 0.6
}

modprobe -a ipsecif xfrm_interface wireguard algif_aead
if [ ${#PROFILE[@]} -gt 0 ]; then
	echo 0 > /proc/sys/kernel/kptr_restrict
	echo -1 > /proc/sys/kernel/perf_event_paranoid
fi
# What udev would load on a real machine for this CPU: the accelerated
# ciphers, so that both sides use what a real deployment would.
modprobe -a aesni_intel chacha_x86_64 poly1305_x86_64 sha256_ssse3 2>/dev/null
# The null rows: ESP with neither encryption nor authentication, which
# ipsecif refuses unless asked (RFC 4303 forbids it on a real network).
echo 1 > /sys/module/ipsecif/parameters/null_esp
echo "# bench: kernel $(uname -r), $(nproc) vCPUs, $RUNS runs of ${RUN_SECONDS} s each"
trap netns_cleanup EXIT
for alg in "${ALGORITHMS[@]}"; do
	bench_algorithm "$alg"
done
SPD_DONE=0
HOOKS_DONE=0
SCALE_DONE=0
if [ -z "${BENCH_ALGS:-}${BENCH_METRICS:-}" ]; then
	bench_spd
	bench_hooks
	bench_scale
fi
table
echo "# csv: metric,algorithm,implementation,run,value,unit"
printf '# csv: %s\n' "${CSV[@]}"
if [ "$FAILED" -gt 0 ]; then
	echo "# bench: $FAILED failures"
	exit 1
fi
echo "# bench: done"
