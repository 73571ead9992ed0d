#!/usr/bin/env bash
# Records veth-pair.pcap: frames on a veth pair between two throw-away network namespaces
# (ARP, ping, ping6, one TCP connection, one UDP datagram). Nothing is configured outside them.
set -euo pipefail
out=${1:-veth-pair.pcap}
ip netns add rec-a; ip netns add rec-b
trap 'ip netns del rec-a; ip netns del rec-b' EXIT
ip link add a0 netns rec-a type veth peer name b0 netns rec-b
ip -n rec-a link set a0 address 02:00:00:00:0a:01 up; ip -n rec-b link set b0 address 02:00:00:00:0b:01 up
ip -n rec-a addr add 10.250.0.1/24 dev a0; ip -n rec-b addr add 10.250.0.2/24 dev b0
ip -n rec-a addr add fd00::1/64 dev a0 nodad; ip -n rec-b addr add fd00::2/64 dev b0 nodad
ip netns exec rec-a timeout 6 tcpdump -i a0 -w "$out" -U 2>/dev/null &
sleep 1
ip netns exec rec-a ping -c 1 -W 1 10.250.0.2 >/dev/null
ip netns exec rec-a ping -c 1 -W 1 fd00::2 >/dev/null
ip netns exec rec-b timeout 3 python3 -c '
import socket; s=socket.socket(); s.bind(("10.250.0.2",5001)); s.listen(); c,_=s.accept(); c.recv(10); c.close()' &
sleep 0.5
ip netns exec rec-a python3 -c '
import socket; s=socket.create_connection(("10.250.0.2",5001)); s.send(b"hello"); s.close()
socket.socket(socket.AF_INET, socket.SOCK_DGRAM).sendto(b"x",("10.250.0.2",5353))'
wait
