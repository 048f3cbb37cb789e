#!/usr/bin/env bash
# NAT traversal and relays end to end (issue #9), with real daemons and
# wireguard-go in network namespaces behind nftables NAT routers
# (nat-lib.sh): node 1 on the public bridge, nodes 2 and 4 behind router 1,
# node 3 behind router 2.
#  1. routers that keep source ports (hole punching works): the NATed pair
#     2-3 ends with a direct handshake, each one's endpoint being the other
#     router's public address, and pings; 2 and 4, behind the same router,
#     use their LAN addresses;
#  2. routers with fully random source ports (hole punching cannot work),
#     nodes 2 and 3 restarted: the pair pings through node 1 as relay, and
#     `weft peers` says so (JSON and table); wg(8) shows the relayed
#     addresses on the relay's peer;
#  3. the rule lifted: the pair goes direct again.
# Prints TAP, and "# time:" lines (docs/PERFORMANCE.md). Run through run.sh
# (root, wireguard-go, nft).
#
#   daemon-nat.sh PATH/TO/weft
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-nat.sh PATH/TO/weft}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}t"
. "$here/mesh-lib.sh"
. "$here/nat-lib.sh"
. "$here/tap-lib.sh"
need python3 nsenter wg ping nft
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP
KEY=$MESH_DIR/office.key

now_ms() { date +%s%3N; }
secs_since() { # T0_MS
	local d=$(($(now_ms) - $1))
	printf '%d.%d' $((d / 1000)) $((d % 1000 / 100))
}

declare -A ID ADDR
record() { # I...
	local i
	for i in "$@"; do
		ID[$i]=$(weft_on "$i" --json status office | json "d['node_id']")
		ADDR[$i]=$(weft_on "$i" --json status office | json "d['address']")
	done
}

# peer_is I J EXPR: node I's `weft peers` row for node J satisfies EXPR
# (a Python expression over p, and now).
peer_is() {
	weft_on "$1" --json peers office 2>/dev/null | python3 -c '
import json, sys, time
now = time.time()
rows = [p for p in json.load(sys.stdin) if p["node_id"] == sys.argv[1]]
sys.exit(0 if rows and eval(sys.argv[2], {"p": rows[0], "now": now}) else 1)
' "${ID[$2]}" "$3"
}

peer_show() { # I J: the row, for diagnostics
	weft_on "$1" --json peers office | python3 -c '
import json, sys
for p in json.load(sys.stdin):
    if p["node_id"] == sys.argv[1]:
        print(json.dumps(p))
' "${ID[$2]}" | diag
}

HS='p["latest_handshake"] and now - p["latest_handshake"] < 180'

# direct I J ENDPOINT: node I reaches node J directly at ENDPOINT.
direct() {
	peer_is "$1" "$2" "$HS and p['relay'] is None and p['endpoint'] == '$3'"
}

relayed() { # I J VIA
	peer_is "$1" "$2" "p['relay'] == '${ID[$3]}'"
}

pings() { # FROM TO [SECONDS]
	local deadline=$(($(date +%s) + ${3:-20}))
	while :; do
		in_ns "$1" ping -c 1 -W 1 "${ADDR[$2]}" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$deadline" ] && return 1
		sleep 0.3
	done
}

# The endpoint wg(8) in node I shows for node J's key.
wg_endpoint() { # I J
	local key
	key=$(weft_on "$1" --json peers office | json "[p['wg_public_key'] for p in d if p['node_id'] == '${ID[$2]}'][0]")
	wg_on "$1" show weft-office endpoints | awk -v k="$key" '$1 == k {print $2}'
}

# ---- the topology ----
{ nat_up && nat_router 1 && nat_router 2 && nat_public_node 1 && nat_lan_node 2 1 && nat_lan_node 3 2 &&
	nat_lan_node 4 1; } || { echo "1..0 # SKIP cannot build the namespaces and NAT routers"; exit 0; }
for i in 1 2 3 4; do
	node_start "$i" --log-level debug
	ok $? "node $i: daemon started"
done
in_ns 2 ping -c 1 -W 2 203.0.113.101 >/dev/null && ! in_ns 1 ping -c 1 -W 1 10.1.0.102 >/dev/null 2>&1
ok $? "node 2 reaches the public node through its NAT; the public node cannot reach node 2's LAN"

weft_on 1 init office --cidr 10.77.0.0/16 --admin-key "$KEY" --name pub >"$MESH_DIR/init.out" 2>&1
ok $? "node 1 (public): weft init"
for i in 2 3; do
	tok=$(weft_on 1 invite office --admin-key "$KEY")
	weft_on "$i" join "$tok" --name "nat$i" >"$MESH_DIR/join$i.out" 2>&1
	ok $? "node $i (behind router $((i == 2 ? 1 : 2))): weft join"
done
t_join=$(now_ms)
record 1 2 3

# ---- 1. hole punching ----
# About 6 s (docs/PERFORMANCE.md). The wait is long because a newly
# announced candidate waits for its slot in the retry rotation (5.5 s,
# doubling), and this must pass under ASan on a busy machine too.
wait_until 90 direct 2 3 203.0.113.2:51820 && wait_until 20 direct 3 2 203.0.113.1:51820
ok $? "nodes 2 and 3 (different NATs) have a direct handshake, each at the other router's public address"
echo "# time: join to direct path behind two NATs: $(secs_since "$t_join") s"

peer_show 2 3
[ "$(wg_endpoint 2 3)" = 203.0.113.2:51820 ] && [ "$(wg_endpoint 3 2)" = 203.0.113.1:51820 ]
ok $? "wg(8) agrees: endpoints 203.0.113.2:51820 and 203.0.113.1:51820"
pings 2 3 && pings 3 2
ok $? "nodes 2 and 3 ping each other over the overlay"
grep -q 'offers relaying' "$MESH_DIR/n1/log" && ! grep -q 'offers relaying' "$MESH_DIR/n2/log"
ok $? "the public node offers relaying; a NATed one does not"

# Node 4 shares node 2's router; its own ports, as two hosts behind one
# NAT need for the router to keep both their source ports.
tok=$(weft_on 1 invite office --admin-key "$KEY")
weft_on 4 join "$tok" --name nat4 --listen-port 51830 --gossip-port 51831 >"$MESH_DIR/join4.out" 2>&1
ok $? "node 4 (behind router 1, like node 2): weft join"
record 4
wait_until 60 direct 2 4 10.1.0.104:51830 && wait_until 20 direct 4 2 10.1.0.102:51820
ok $? "nodes 2 and 4 (same NAT) reach each other at their LAN addresses"
peer_show 2 4
pings 2 4 && pings 4 2
ok $? "nodes 2 and 4 ping each other"
for i in 1 2 3 4; do
	for j in 1 2 3 4; do
		[ "$i" = "$j" ] && continue
		pings "$i" "$j" 40 || { echo "# node $i cannot ping node $j"; false; } || break 2
	done
done
ok $? "every pair of the four pings"
! weft_on 2 --json peers office | json "any(p['relay'] for p in d)"
ok $? "node 2 relays nothing while every path is direct"

# ---- 2. NATs that defeat hole punching ----
node_stop 2
node_stop 3
nat_mode 1 random && nat_mode 2 random
ok $? "both routers now masquerade with fully random source ports"
node_start 2 --log-level debug && node_start 3 --log-level debug
ok $? "nodes 2 and 3 restarted from their state"
t_relay=$(now_ms)
wait_until 90 relayed 2 3 1 && wait_until 20 relayed 3 2 1
ok $? "nodes 2 and 3 route each other through node 1 (weft peers --json: relay = node 1's id)"
echo "# time: restart to relayed path (direct impossible): $(secs_since "$t_relay") s"
peer_show 2 3
pings 2 3 30 && pings 3 2 30
ok $? "nodes 2 and 3 ping each other through the relay"
weft_on 2 peers office >"$MESH_DIR/peers2.txt"
awk '$1 == "nat3" {print $6}' "$MESH_DIR/peers2.txt" | grep -qx pub
ok $? "weft peers (table) on node 2 names pub as nat3's relay"
diag <"$MESH_DIR/peers2.txt"
key1=$(weft_on 2 --json peers office | json "[p['wg_public_key'] for p in d if p['node_id'] == '${ID[1]}'][0]")
wg_on 2 show weft-office allowed-ips | awk -v k="$key1" '$1 == k' | grep -q "${ADDR[3]}/32"
ok $? "wg(8) on node 2 routes node 3's address to node 1's peer"
! peer_is 2 3 "$HS"
ok $? "no direct handshake between 2 and 3 meanwhile"
direct 2 4 10.1.0.104:51830
ok $? "nodes 2 and 4 stay direct on their LAN"

# ---- 3. the rule lifted ----
t_lift=$(now_ms)
nat_mode 1 normal && nat_mode 2 normal
ok $? "both routers keep source ports again"
wait_until 150 direct 2 3 203.0.113.2:51820 && wait_until 30 direct 3 2 203.0.113.1:51820
ok $? "nodes 2 and 3 go direct again (relay null, endpoints the routers' public addresses)"
echo "# time: rule lifted to direct path: $(secs_since "$t_lift") s"
peer_show 2 3
pings 2 3 && pings 3 2
ok $? "nodes 2 and 3 ping each other directly"

for i in 1 2 3 4; do node_stop "$i"; done
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log (after a clean stop of each)"

if [ "$TAP_FAILED" -ne 0 ]; then
	for i in 1 2 3 4; do
		echo "# ---- node $i log (tail) ----"
		grep -v 'dropped' "$MESH_DIR/n$i/log" | tail -n 40 | diag
	done
fi
tap_done
