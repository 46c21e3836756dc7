#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# The interoperability tests again, with every ESP packet completing
# asynchronously: pcrypt is put in front of each AEAD that ESP allocates
# (through the crypto user API, as crconf does), with a higher priority, so
# that ipsecif's SAs and the xfrm peer's states both get a pcrypt tfm.
# pcrypt hands each request to padata, which encrypts or decrypts it on
# another CPU's worker and completes it later, in order, from a workqueue.
source "$(dirname "$0")/interop.sh"

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
PCRYPT_OVER=(
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

# Instantiates NAME with its usual driver, then pcrypt over that driver.
pcrypt_over() {
	local name=$1 inner
	cryptoalg add "$name" --name
	inner=$(driver_of "$name")
	[ -n "$inner" ] || fail "$name: no driver"
	[[ $inner == *pcrypt\(* ]] && return 0
	cryptoalg add "pcrypt($inner)"
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
	[ "$esn" = esn ] && [ -n "${ESP_ALG[$alg-esn]:-}" ] && key=$alg-esn
	tunnel_setup "$@"
	check_async "${ESP_ALG[$key]}"
	check_traffic
	[ "$esn" = esn ] || check_tcp
}

test_setup() {
	local name drv
	[ -e /proc/crypto ] || fail "no /proc/crypto"
	# The accelerated drivers (their names are short enough to nest).
	for name in aesni_intel sha256_ssse3 chacha20_x86_64 poly1305_x86_64; do
		modprobe -q "$name" 2>/dev/null || true
	done
	for name in "${PCRYPT_OVER[@]}"; do
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

# Every instance with pcrypt in it goes once nothing uses it, outermost
# first, so that the scripts that run after this one get the usual
# synchronous drivers back.
test_teardown() {
	local drv
	while read -r drv; do
		for _ in $(seq 100); do
			cryptoalg del "$drv" 2>/dev/null && break
			sleep 0.2
		done
		[ -z "$(refcnt_of "$drv")" ] || fail "$drv still registered"
	done < <(awk -F ' *: ' '$1 == "driver" && /pcrypt\(/ { print length($2), $2 }' \
		 /proc/crypto | sort -rn | cut -d' ' -f2-)
	[ -z "$(grep 'pcrypt(' /proc/crypto)" ] || fail "pcrypt instances left"
}

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
