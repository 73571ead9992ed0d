#!/bin/sh
# Records the kernel/iproute2 texts in this directory from a throw-away network namespace
# (run as root on a lab machine; nothing is configured outside the namespace, nothing is sent).
# Addresses are documentation ranges (RFC 5737); MACs are locally administered.
set -eu
cd "$(dirname "$0")"
ns=vtrec$$
ip netns add "$ns"
trap 'ip netns del "$ns"' EXIT

# A "host" namespace with two interfaces (a veth pair inside it), a default route on each and
# neighbour entries: one permanent (the eth0 gateway), one stale, one incomplete (eth1's gateway side).
ip -n "$ns" link add eth0 type veth peer name eth1
ip -n "$ns" link set eth0 address 02:00:00:00:01:07 mtu 1450 up
ip -n "$ns" link set eth1 address 02:00:00:00:02:07 up
ip -n "$ns" link set lo up
ip -n "$ns" addr add 198.51.100.7/24 dev eth0
ip -n "$ns" addr add 198.51.100.70/24 dev eth0
ip -n "$ns" addr add 203.0.113.7/25 dev eth1
ip -n "$ns" route add default via 198.51.100.1 dev eth0
ip -n "$ns" route add default via 203.0.113.1 dev eth1 metric 100
ip -n "$ns" neigh add 198.51.100.1 lladdr 02:00:00:00:00:fe dev eth0 nud permanent
ip -n "$ns" neigh add 198.51.100.9 lladdr 02:00:00:00:00:09 dev eth0 nud stale
ip -n "$ns" neigh add 203.0.113.5 dev eth1 nud incomplete

ip -n "$ns" -j addr show > ip-addr-show-host.json
ip netns exec "$ns" cat /proc/net/route > proc-net-route-host.txt
ip netns exec "$ns" cat /proc/net/arp > proc-net-arp-host.txt

# A lab VM namespace as NetnsVmProvider expects it: eth0 inside, its veth peer outside.
vm=vtrecvm$$
ip netns add "$vm"
trap 'ip netns del "$ns"; ip netns del "$vm"' EXIT
ip -n "$vm" link add eth0 type veth peer name tirec0 netns "$ns"
ip -n "$vm" link set eth0 address 02:00:00:aa:bb:01 up
ip -n "$vm" -j link show > ip-link-show-vm.json
