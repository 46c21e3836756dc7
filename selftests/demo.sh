#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: two namespaces joined by veth talk over an AES-GCM ipsecif
# tunnel: "left" has a point-to-point interface, "right" a multipoint one
# whose route picks the peer. Shows the configuration, a ping across, the
# ESP on the underlay and the SA counters. Runs inside the test VM.
set -e

run() {
	echo
	echo "\$ $*"
	"$@"
}

KEY_LR=0x0123456789abcdef0123456789abcdef01234567
KEY_RL=0x89abcdef0123456789abcdef0123456789abcdef
GCM='rfc4106(gcm(aes))'

ip netns add left
ip netns add right
ip link add veth0 netns left type veth peer name veth0 netns right
ip -n left addr add 192.0.2.1/24 dev veth0
ip -n right addr add 192.0.2.2/24 dev veth0
ip -n left link set veth0 up
ip -n right link set veth0 up
ip -n left link set lo up
ip -n right link set lo up

L="ip netns exec left"
R="ip netns exec right"

echo "== left: SAs, and a point-to-point ipsecif protected by them =="
run $L ipsecctl sa add 1 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 aead "$GCM" $KEY_LR 128
run $L ipsecctl sa add 2 spi 0x2001 mode tunnel src 192.0.2.2 dst 192.0.2.1 aead "$GCM" $KEY_RL 128
run ip -n left link add ipsec0 type ipsecif
run $L ipsecctl protect set dev ipsec0 tx 1 rx 2
run ip -n left addr add 10.0.0.1/24 dev ipsec0
run ip -n left link set ipsec0 up

echo
echo "== right: a multipoint ipsecif; the route's next hop picks the protection =="
run $R ipsecctl sa add 1 spi 0x2001 mode tunnel src 192.0.2.2 dst 192.0.2.1 aead "$GCM" $KEY_RL 128
run $R ipsecctl sa add 2 spi 0x1001 mode tunnel src 192.0.2.1 dst 192.0.2.2 aead "$GCM" $KEY_LR 128
run $R ipsecctl link add ipsec0 mode p2mp
run $R ipsecctl protect set dev ipsec0 peer 10.0.0.1 tx 1 rx 2
run ip -n right addr add 10.0.0.2/24 dev ipsec0
run ip -n right link set ipsec0 up
run ip -n left link add lan0 type dummy
run ip -n left addr add 10.1.0.1/16 dev lan0
run ip -n left link set lan0 up
run ip -n right route add 10.1.0.0/16 via 10.0.0.1 dev ipsec0

echo
echo "== what the module reports =="
run $L ipsecctl link show
run $R ipsecctl -j link show
run ip -n left -d link show dev ipsec0
run ip -n right -d link show dev ipsec0
run $R ipsecctl protect show
run $L ipsecctl sa show

echo
echo "== ping across the tunnel, watching the underlay =="
$L tcpdump -n -l -i veth0 -c 6 esp > /tmp/esp.txt 2>/tmp/tcpdump.err &
capture=$!
sleep 1
run $R ping -c 3 -i 0.3 10.1.0.1
wait $capture || true
echo
echo "\$ tcpdump -n -i veth0 esp     (in left)"
cat /tmp/esp.txt
[ -s /tmp/esp.txt ] || cat /tmp/tcpdump.err

echo
echo "== the SA counters moved =="
run $L ipsecctl -s sa show
run $R ipsecctl -s link show
