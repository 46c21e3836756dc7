#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# SAs: every supported algorithm added, shown back and deleted; every kind
# of bad request refused with its message and nothing changed; SAs in use
# cannot be deleted; keys only for CAP_NET_ADMIN; SAs are per netns.
source "$(dirname "$0")/lib.sh"

GCM_KEY=$(test_key 20 1)

sa_count() {
	in_ns "${1:-a}" ipsecctl -j sa show | jq length
}

sa_json() {
	in_ns a ipsecctl -j sa show "$1" | jq -r ".[0]$2"
}

add_tunnel_sa() {
	local id=$1 spi=$2
	shift 2
	in_ns a ipsecctl sa add "$id" spi "$spi" mode tunnel src 192.0.2.1 dst 192.0.2.2 "$@"
}

test_algorithms() {
	netns_add a
	add_tunnel_sa 1 0x101 aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	add_tunnel_sa 2 0x102 aead 'rfc4106(gcm(aes))' "$(test_key 36 2)" 64
	add_tunnel_sa 3 0x103 aead 'rfc7539esp(chacha20,poly1305)' "$(test_key 36 3)" 128
	add_tunnel_sa 4 0x104 enc 'cbc(aes)' "$(test_key 16 4)" auth-trunc 'hmac(sha1)' "$(test_key 20 4)" 96
	add_tunnel_sa 5 0x105 enc 'cbc(aes)' "$(test_key 24 5)" auth-trunc 'hmac(sha256)' "$(test_key 32 5)" 128
	add_tunnel_sa 6 0x106 enc 'cbc(aes)' "$(test_key 32 6)" auth-trunc 'hmac(sha384)' "$(test_key 48 6)" 192
	add_tunnel_sa 7 0x107 enc 'cbc(aes)' "$(test_key 32 7)" auth-trunc 'hmac(sha512)' "$(test_key 64 7)" 256
	add_tunnel_sa 8 0x108 enc 'ecb(cipher_null)' '' auth-trunc 'hmac(sha256)' "$(test_key 32 8)" 128
	# "auth" without a length truncates as Linux xfrm does.
	add_tunnel_sa 9 0x109 enc 'cbc(aes)' "$(test_key 16 9)" auth 'hmac(sha256)' "$(test_key 32 9)"
	in_ns a ipsecctl sa add 10 spi 0x10a mode tunnel src 2001:db8::1 dst 2001:db8::2 \
		aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128 esn replay-window 4096
	expect_eq count 10 "$(sa_count)"
	expect_eq "gcm key" "$GCM_KEY 128" "$(sa_json 1 '.aead | "\(.key) \(.icv_len)"')"
	expect_eq "sha512" "hmac(sha512) 256" "$(sa_json 7 '.auth | "\(.name) \(.icv_len)"')"
	expect_eq "auth default" 96 "$(sa_json 9 .auth.icv_len)"
	expect_eq "v6 esn" "2001:db8::2 4096 esn" \
		"$(sa_json 10 ' | "\(.dst) \(.replay_window) \(.flags | join(","))"')"
	expect_eq "spi" 266 "$(sa_json 10 .spi)"
	in_ns a ipsecctl sa show 8 | grep -q "enc ecb(cipher_null)" ||
		fail "text output: $(in_ns a ipsecctl sa show 8)"
	in_ns a ipsecctl sa del 3
	expect_eq "after del" 9 "$(sa_count)"
	in_ns a ipsecctl sa flush
	expect_eq "after flush" 0 "$(sa_count)"
}

# refused MESSAGE SA-ADD-ARGS...: refused with MESSAGE, nothing added.
refused() {
	local msg=$1 before
	shift
	before=$(sa_count)
	expect_fail "$msg" in_ns a ipsecctl sa add "$@"
	expect_eq "SAs after refused '$*'" "$before" "$(sa_count)"
}

test_refused() {
	local ep=(mode tunnel src 192.0.2.1 dst 192.0.2.2)

	netns_add a
	add_tunnel_sa 1 0x100 aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	refused "unknown AEAD algorithm" 2 spi 0x200 "${ep[@]}" aead 'gcm(aes)' "$GCM_KEY" 128
	refused "unknown encryption algorithm" 2 spi 0x200 "${ep[@]}" enc 'cbc(des)' 0x0011223344556677 \
		auth-trunc 'hmac(sha1)' "$(test_key 20 1)" 96
	refused "unknown authentication algorithm" 2 spi 0x200 "${ep[@]}" enc 'cbc(aes)' "$(test_key 16 1)" \
		auth-trunc 'hmac(md5)' "$(test_key 16 1)" 96
	refused "wrong key length" 2 spi 0x200 "${ep[@]}" aead 'rfc4106(gcm(aes))' "$(test_key 16 1)" 128
	refused "wrong key length" 2 spi 0x200 "${ep[@]}" enc 'cbc(aes)' "$(test_key 15 1)" \
		auth-trunc 'hmac(sha1)' "$(test_key 20 1)" 96
	refused "wrong ICV length" 2 spi 0x200 "${ep[@]}" aead 'rfc4106(gcm(aes))' "$GCM_KEY" 120
	refused "wrong ICV length" 2 spi 0x200 "${ep[@]}" aead 'rfc7539esp(chacha20,poly1305)' "$(test_key 36 1)" 96
	refused "wrong truncation length" 2 spi 0x200 "${ep[@]}" enc 'cbc(aes)' "$(test_key 16 1)" \
		auth-trunc 'hmac(sha1)' "$(test_key 20 1)" 192
	refused "an SA with this id exists" 1 spi 0x200 "${ep[@]}" aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	refused "an SA with this SPI exists" 2 spi 0x100 "${ep[@]}" aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	refused "SPI 0 is reserved" 2 spi 0 "${ep[@]}" aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	refused "needs encryption or integrity" 2 spi 0x200 "${ep[@]}" enc 'ecb(cipher_null)' ''
	refused "aead excludes enc, auth and auth-trunc" 2 spi 0x200 "${ep[@]}" aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128 \
		auth-trunc 'hmac(sha1)' "$(test_key 20 1)" 96
	refused "auth needs enc" 2 spi 0x200 "${ep[@]}" auth-trunc 'hmac(sha1)' "$(test_key 20 1)" 96
	refused "needs src and dst" 2 spi 0x200 mode tunnel aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	refused "must be of the same address family" 2 spi 0x200 mode tunnel src 192.0.2.1 dst 2001:db8::2 \
		aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	refused "transport-mode SA has no src/dst" 2 spi 0x200 "${ep[@]/tunnel/transport}" \
		aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	refused "integer out of range" 2 spi 0x200 "${ep[@]}" aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128 \
		replay-window 4097
	refused "espinudp needs non-zero sport and dport" 2 spi 0x200 "${ep[@]}" \
		aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128 encap espinudp sport 0 dport 4500
	expect_fail "no SA with this id" in_ns a ipsecctl sa del 99
}

test_in_use() {
	netns_add a
	add_tunnel_sa 1 0x100 aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	add_tunnel_sa 2 0x200 aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	add_tunnel_sa 3 0x300 aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	in_ns a ipsecctl link add ipsec0
	in_ns a ipsecctl protect set dev ipsec0 tx 1 rx 2
	expect_fail "used by a protection" in_ns a ipsecctl sa del 1
	expect_fail "used by a protection" in_ns a ipsecctl sa del 2
	expect_fail "nothing flushed" in_ns a ipsecctl sa flush
	expect_eq "after refused flush" 3 "$(sa_count)"
	in_ns a ipsecctl sa del 3
	in_ns a ipsecctl protect del dev ipsec0
	in_ns a ipsecctl sa del 1
	# Deleting the interface frees its protection's SAs too.
	in_ns a ipsecctl protect set dev ipsec0 rx 2
	in_ns a ip link del ipsec0
	in_ns a ipsecctl sa del 2
	expect_eq "all gone" 0 "$(sa_count)"
}

test_privilege() {
	netns_add a
	add_tunnel_sa 1 0x100 aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	expect_fail "Operation not permitted" \
		in_ns a dropcaps ipsecctl sa add 2 spi 0x200 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	expect_fail "Operation not permitted" in_ns a dropcaps ipsecctl sa del 1
	expect_fail "Operation not permitted" in_ns a dropcaps ipsecctl sa flush
	expect_eq "count" 1 "$(sa_count)"
	# Readable without the capability, but without keys.
	expect_eq "name" 'rfc4106(gcm(aes))' \
		"$(in_ns a dropcaps ipsecctl -j sa show | jq -r '.[0].aead.name')"
	expect_eq "key" null "$(in_ns a dropcaps ipsecctl -j sa show | jq -r '.[0].aead.key')"
	! in_ns a dropcaps ipsecctl sa show | grep -q "${GCM_KEY#0x}" || fail "key shown to non-admin"
	expect_eq "admin key" "$GCM_KEY" "$(sa_json 1 .aead.key)"
}

test_per_netns() {
	netns_add a
	netns_add b
	add_tunnel_sa 1 0x100 aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	expect_eq "b sees none" 0 "$(sa_count b)"
	# The same id and SPI are free in another netns.
	in_ns b ipsecctl sa add 1 spi 0x100 mode tunnel src 192.0.2.1 dst 192.0.2.2 \
		aead 'rfc4106(gcm(aes))' "$GCM_KEY" 128
	expect_fail "no SA with this id" in_ns b ipsecctl sa del 2
	in_ns a ipsecctl sa del 1
	expect_eq "b keeps its own" 1 "$(sa_count b)"
}

ktap_run \
	"every algorithm is added, shown back and deleted" test_algorithms \
	"bad SAs refused with their message, nothing added" test_refused \
	"SAs in use cannot be deleted or flushed" test_in_use \
	"CAP_NET_ADMIN needed to change SAs and to see keys" test_privilege \
	"SAs are per network namespace" test_per_netns
