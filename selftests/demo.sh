#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# make demo: two namespaces joined by veth, an ipsecif in each (one p2p, one
# p2mp), shown with ipsecctl and ip. Runs inside the test VM.
set -e

run() {
	echo
	echo "\$ $*"
	"$@"
}

ip netns add left
ip netns add right
ip link add veth0 netns left type veth peer name veth0 netns right
ip -n left addr add 192.0.2.1/24 dev veth0
ip -n right addr add 192.0.2.2/24 dev veth0
ip -n left link set veth0 up
ip -n right link set veth0 up

echo "== left: a point-to-point ipsecif towards 192.0.2.2 =="
run ip netns exec left ipsecctl link add ipsec0 local 192.0.2.1 remote 192.0.2.2
run ip -n left addr add 10.0.0.1/30 dev ipsec0
run ip -n left link set ipsec0 up

echo
echo "== right: a multipoint ipsecif; routes choose the peer =="
run ip netns exec right ipsecctl link add ipsec0 mode p2mp
run ip -n right addr add 10.0.0.2/24 dev ipsec0
run ip -n right link set ipsec0 up
run ip -n right route add 10.1.0.0/16 via 10.0.0.1 dev ipsec0

echo
echo "== what the module reports =="
run ip netns exec left ipsecctl link show
run ip netns exec right ipsecctl -j link show
run ip -n left -d link show dev ipsec0
run ip -n right -d link show dev ipsec0

echo
echo "Neither interface has SAs yet, so the p2p one has no carrier and"
echo "traffic is dropped and counted:"
run ip netns exec right ping -c 2 -W 1 10.1.0.1 || true
run ip netns exec right ipsecctl -s link show ipsec0
