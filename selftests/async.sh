#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The interoperability tests again, with every ESP packet completing
# asynchronously: pcrypt is put in front of each AEAD that ESP allocates
# (through the crypto user API, as crconf does), with a higher priority, so
# that ipsecif's SAs and the xfrm peer's states both get a pcrypt tfm, which
# hands each request to padata: encrypted or decrypted by a worker on some
# CPU, completed later, in order, from another workqueue.
#
# The peer is policy-based xfrm, not an xfrm interface: in Linux 6.1 an
# xfrm interface's receive hook moves skb->dev to the interface between
# xfrm_input()'s dev_hold() and its dev_put() on asynchronous resumption,
# and the put underflows the interface's reference count (a kernel bug
# outside ipsecif that this test would otherwise trip over). Not cryptd:
# its AEAD instances fail the crypto manager's self-test ("corrupted request
# struct") and WARN. Not under lockdep: padata's serial path takes two
# locks of one lockdep class, and lockdep reports it (Linux 6.1); there the
# tests are skipped, saying so.
source "$(dirname "$0")/interop.sh"

# tunnel_setup ALG OUTER_FAMILY(4|6) ESN(esn|noesn), as interop.sh's, with
# b's end policy-based: 10.0.0.2 and fd00::2 on a dummy, states and
# policies without an if_id.
tunnel_setup() {
	local alg=$1 A B sel ctl_esn=() xfrm_esn=() net
	local -a ab ba

	underlay_pair
	if [ "$2" = 4 ]; then A=192.0.2.1 B=192.0.2.2; else A=2001:db8::1 B=2001:db8::2; fi
	if [ "$3" = esn ]; then
		ctl_esn=(esn replay-window 128)
		xfrm_esn=(flag esn replay-window 128)
	fi
	xfrm_esn+=(flag af-unspec)
	crypto_args "$alg" 1
	ab=("${CRYPTO[@]}")
	crypto_args "$alg" 2
	ba=("${CRYPTO[@]}")

	in_ns a ipsecctl sa add 1 spi 0x1001 mode tunnel src $A dst $B "${ab[@]}" "${ctl_esn[@]}"
	in_ns a ipsecctl sa add 2 spi 0x2001 mode tunnel src $B dst $A "${ba[@]}" "${ctl_esn[@]}"
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	in_ns a ip addr add 10.0.0.1/24 dev ipsec0
	in_ns a ip addr add fd00::1/64 dev ipsec0 nodad
	in_ns a ip link set ipsec0 up

	in_ns b ip link add inner0 type dummy
	in_ns b ip addr add 10.0.0.2/32 dev inner0
	in_ns b ip addr add fd00::2/128 dev inner0 nodad
	in_ns b ip link set inner0 up
	in_ns b ip route add 10.0.0.0/24 dev b0 src 10.0.0.2
	in_ns b ip route add fd00::/64 dev b0 src fd00::2
	in_ns b ip xfrm state add src $A dst $B proto esp spi 0x1001 mode tunnel \
		"${ab[@]}" "${xfrm_esn[@]}"
	in_ns b ip xfrm state add src $B dst $A proto esp spi 0x2001 mode tunnel \
		"${ba[@]}" "${xfrm_esn[@]}"
	for net in 10.0.0.0/24 fd00::/64; do
		in_ns b ip xfrm policy add src "$net" dst "$net" dir out \
			tmpl src $B dst $A proto esp mode tunnel
		in_ns b ip xfrm policy add src "$net" dst "$net" dir in \
			tmpl src $A dst $B proto esp mode tunnel
	done
}

modprobe -q crypto_user 2>/dev/null || true
modprobe -q pcrypt 2>/dev/null || true

# What ESP asks the crypto API for, per test algorithm (and ESN, where it
# makes a difference).
declare -A ESP_ALG=(
	[gcm128]='seqiv(rfc4106(gcm(aes)))'
	[chacha]='seqiv(rfc7539esp(chacha20,poly1305))'
	[cbc-sha256]='echainiv(authenc(hmac(sha256),cbc(aes)))'
	[cbc-sha256-esn]='echainiv(authencesn(hmac(sha256),cbc(aes)))'
)
# pcrypt goes over the AEAD inside ESP's IV generator: the generator's
# instances, made anew after it, then wrap pcrypt. (Over the whole, the
# driver names would outgrow the crypto API's 64 bytes.)
ASYNC_OVER=(
	'rfc4106(gcm(aes))'
	'rfc7539esp(chacha20,poly1305)'
	'authenc(hmac(sha256),cbc(aes))'
	'authencesn(hmac(sha256),cbc(aes))'
)

# driver_of NAME: the driver that a lookup of NAME gets (highest priority).
driver_of() {
	awk -v want="$1" -F ' *: ' '
		$1 == "name" { name = $2 }
		$1 == "driver" { driver = $2 }
		$1 == "priority" { prio = $2 }
		$1 == "internal" && name == want && $2 == "no" && prio > best {
			best = prio; found = driver
		}
		END { print found }' /proc/crypto
}

refcnt_of() {
	awk -v want="$1" -F ' *: ' '
		$1 == "driver" { driver = $2 }
		$1 == "refcnt" && driver == want { print $2; exit }' /proc/crypto
}

# Instantiates NAME, then pcrypt over its best driver, which takes over.
pcrypt_over() {
	local name=$1 inner
	cryptoalg add "$name" --name
	inner=$(driver_of "$name")
	[ -n "$inner" ] || fail "$name: no driver"
	cryptoalg add "pcrypt($inner)"
	echo "pcrypt($inner)" >> "$MADE"
	expect_eq "driver of $name" "pcrypt($inner)" "$(driver_of "$name")"
}

# Both SAs of ipsecif and both xfrm states got a pcrypt tfm (at any depth):
# each tfm holds a reference on the pcrypt instance.
check_async() {
	local drv pc refs prefix
	drv=$(driver_of "$1")
	[[ $drv == *pcrypt\(* ]] || fail "$1 is $drv, without pcrypt"
	# Inside as many wrappers as there are "(" before it.
	prefix=${drv%%pcrypt\(*}
	pc=pcrypt\(${drv#*pcrypt\(}
	prefix=${prefix//[^(]/}
	pc=${pc:0:$((${#pc} - ${#prefix}))}
	refs=$(refcnt_of "$pc")
	[ "${refs:-0}" -ge 5 ] ||
		fail "$pc holds ${refs:-no} references: not every SA uses it"
}

async_interop() {
	local alg=$1 esn=$3 key=$1
	[ ! -e /proc/lockdep ] ||
		ktap_skip "padata (pcrypt) trips lockdep on Linux 6.1, a kernel issue"
	[ "$esn" = esn ] && [ -n "${ESP_ALG[$alg-esn]:-}" ] && key=$alg-esn
	tunnel_setup "$@"
	check_async "${ESP_ALG[$key]}"
	check_traffic
	[ "$esn" = esn ] || check_tcp
}

test_setup() {
	local name drv
	[ -e /proc/crypto ] || fail "no /proc/crypto"
	[ ! -e /proc/lockdep ] ||
		ktap_skip "padata (pcrypt) trips lockdep on Linux 6.1, a kernel issue"
	# The accelerated drivers (their names are short enough to nest).
	for name in aesni_intel sha256_ssse3 chacha20_x86_64 poly1305_x86_64; do
		modprobe -q "$name" 2>/dev/null || true
	done
	for name in "${ASYNC_OVER[@]}"; do
		pcrypt_over "$name"
	done
	# Instances of the IV generators made before (by earlier scripts)
	# wrap the synchronous drivers: they go, unused, and come back over
	# pcrypt when the next SA asks for them.
	for name in "${ESP_ALG[@]}"; do
		drv=$(driver_of "$name")
		[ -z "$drv" ] || [[ $drv == *pcrypt\(* ]] || cryptoalg del "$drv"
	done
}

# The instances made here (and the IV generators' over them) go once
# nothing uses them, outermost first, so that the scripts that run after
# this one get the usual drivers back.
test_teardown() {
	local drv made
	[ ! -e /proc/lockdep ] ||
		ktap_skip "padata (pcrypt) trips lockdep on Linux 6.1, a kernel issue"
	while read -r drv; do
		for _ in $(seq 100); do
			cryptoalg del "$drv" 2>/dev/null && break
			sleep 0.2
		done
		[ -z "$(refcnt_of "$drv")" ] || fail "$drv still registered"
	done < <(awk -F ' *: ' '
		FNR == NR { made[$0] = 1; next }
		$1 == "driver" { for (m in made)
					if (index($2, m)) { print length($2), $2; break } }
		' "$MADE" /proc/crypto | sort -rn | uniq | cut -d' ' -f2-)
	while read -r made; do
		! grep -qF "$made" /proc/crypto || fail "$made left"
	done < "$MADE"
}

MADE=$(mktemp)
ASYNC_ALGS=(gcm128 chacha cbc-sha256)
[ "$SLOW_KERNEL" = 1 ] && ASYNC_ALGS=(gcm128 cbc-sha256)
TESTS=("pcrypt instantiated in front of ESP's AEADs" test_setup)
for alg in "${ASYNC_ALGS[@]}"; do
	TESTS+=("async ${ALG_NAME[$alg]}, outer IPv4: ping v4/v6 and TCP both ways"
		"async_interop $alg 4 noesn"
		"async ${ALG_NAME[$alg]}, outer IPv6, ESN: ping v4/v6 both ways"
		"async_interop $alg 6 esn")
done
TESTS+=("pcrypt instances removed when unused" test_teardown)
ktap_run "${TESTS[@]}"
rc=$?
rm -f "$MADE"
exit $rc
