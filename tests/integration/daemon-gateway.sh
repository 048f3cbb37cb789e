#!/usr/bin/env bash
# Gateways with real daemons and wireguard-go in network namespaces:
#  1. egress: node 1 advertises 192.168.77.0/24 (its configuration), a LAN
#     namespace behind it with no route back to the overlay; once the
#     admin approves the route ('weft node ... set --routes'), nodes 2 and 3
#     ping an address on that LAN through node 1, which forwards and
#     masquerades (nftables table inet weft-office); withdrawing the
#     approval removes the route and the table;
#  2. ingress: 'weft ext-client office add phone --via n1' prints a wg-quick
#     configuration; a namespace that runs only wireguard-go, configured
#     from it with wg setconf and ip(8) as wg-quick would, pings every
#     member (IPv4 and IPv6) through node 1, a member pings it back, and
#     it resolves members' names at the DNS address the file names;
#     after 'weft ext-client office rm phone' it no longer can, and the
#     peer is gone from node 1's interface;
#  3. a route the gateway stops advertising (configuration reloaded on
#     SIGHUP) is no longer served, and a gateway that stops removes its
#     nftables table.
# Prints TAP. Run through run.sh (root, wireguard-go).
#
#   daemon-gateway.sh PATH/TO/weft
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-gateway.sh PATH/TO/weft}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}g"
MESH_NET=234
. "$here/mesh-lib.sh"
. "$here/tap-lib.sh"
need python3 nsenter wg ping nft wireguard-go dig
KEY=$MESH_DIR/office.key
LAN_NS="$MESH_PREFIX-lan"
CIF="${WEFT_ITEST_PREFIX:-w$$}x" # the client's interface (its UAPI socket is on the host)
cleanup() {
	mesh_down
	rm -f "/var/run/wireguard/$CIF.sock"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

st() { # I FIELD
	weft_on "$1" --json status office | json "d['$2']"
}

converged() { # N I...
	local want=$1 i
	shift
	for i in "$@"; do
		[ "$(st "$i" alive 2>/dev/null)" = "$want" ] || return 1
	done
}

ping_from() { # I ADDR: one ping from node I's namespace
	in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1
}

no_ping_from() { ! ping_from "$@"; }

client_ping() { # ADDR
	ip netns exec "$(mesh_ns 4)" ping -c 1 -W 1 "$1" >/dev/null 2>&1
}

no_client_ping() { ! client_ping "$@"; }

has_client() { # I: node I's daemon holds the client
	[ "$(weft_on "$1" --json ext-client office list 2>/dev/null | json 'len(d)')" = 1 ]
}

has_table() { in_ns 1 nft list table inet weft-office >/dev/null 2>&1; }
no_table() { ! has_table; }

# ---- the mesh: three members, node 4 a host that runs only WireGuard ----
mesh_up 4 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }
ip netns add "$LAN_NS" && ip -n "$LAN_NS" link set lo up &&
	ip -n "$LAN_NS" link add eth0 type veth peer name eth1 netns "$(mesh_ns 1)" &&
	ip -n "$LAN_NS" addr add 192.168.77.2/24 dev eth0 && ip -n "$LAN_NS" link set eth0 up &&
	in_ns 1 ip addr add 192.168.77.1/24 dev eth1 && in_ns 1 ip link set eth1 up
ok $? "a LAN namespace behind node 1 (192.168.77.0/24, no route to the overlay)"
cat >"$MESH_DIR/n1.conf" <<EOF
[network office]
routes = 192.168.77.0/24
EOF
node_start 1 --config "$MESH_DIR/n1.conf" --log-level debug
ok $? "node 1: daemon started, advertising 192.168.77.0/24"
for i in 2 3; do
	node_start "$i" --log-level debug
	ok $? "node $i: daemon started"
done
weft_on 1 init office --cidr 10.79.0.0/16 --cidr6 fd79::/64 --admin-key "$KEY" --name n1 >"$MESH_DIR/init.out" 2>&1
ok $? "node 1: weft init"
for i in 2 3; do
	tok=$(weft_on 1 invite office --admin-key "$KEY" 2>>"$MESH_DIR/invite.err")
	weft_on "$i" join "$tok" --name "n$i" >"$MESH_DIR/join$i.out" 2>&1
	ok $? "node $i: weft join"
done
wait_until 40 converged 3 1 2 3
ok $? "every node sees 3 members alive"
declare -A A4 A6
for i in 1 2 3; do
	A4[$i]=$(st "$i" address)
	A6[$i]=$(st "$i" address6)
done

# ---- 1. egress ----
# Advertised, not approved: nobody routes it, node 1 installs nothing.
sleep 2
no_ping_from 2 192.168.77.2 && no_table
ok $? "before approval: no route to the LAN from node 2, no nftables table on node 1"
weft_on 1 node office n1 set --routes 192.168.77.0/24 --admin-key "$KEY" >"$MESH_DIR/approve.out" 2>&1
ok $? "the admin approves node 1's route"
for i in 2 3; do
	wait_until 40 ping_from "$i" 192.168.77.2
	ok $? "node $i pings 192.168.77.2 on the LAN behind node 1"
done
in_ns 2 ip route show dev weft-office | grep -q '^192.168.77.0/24'
ok $? "node 2 has a system route to 192.168.77.0/24 through weft-office"
wg_on 2 show weft-office allowed-ips | grep -q '192.168.77.0/24'
ok $? "node 2 gives 192.168.77.0/24 to node 1's WireGuard peer"
[ "$(in_ns 1 cat /proc/sys/net/ipv4/ip_forward)" = 1 ]
ok $? "node 1 forwards IPv4"
in_ns 1 nft list table inet weft-office 2>/dev/null | grep -q 'ip daddr 192.168.77.0/24 masquerade'
ok $? "node 1 masquerades overlay traffic towards the LAN (table inet weft-office)"
[ -z "$(ip -n "$LAN_NS" route show | grep -v '^192.168.77.0/24')" ]
ok $? "the LAN has no route back to the overlay (the replies rely on the masquerade)"

weft_on 1 node office n1 set --routes "" --admin-key "$KEY" >"$MESH_DIR/withdraw.out" 2>&1
ok $? "the admin withdraws the approval"
wait_until 40 no_table
ok $? "node 1 removed its nftables table"
wait_until 40 no_ping_from 2 192.168.77.2
ok $? "node 2 no longer reaches the LAN"
! in_ns 2 ip route show dev weft-office | grep -q '^192.168.77.0/24'
ok $? "node 2's route to the LAN is gone"

# ---- 2. ingress: an external client through node 1 ----
weft_on 1 ext-client office add phone --via n1 --admin-key "$KEY" --endpoint "$(mesh_ip 1):51820" --dns \
	>"$MESH_DIR/phone.conf" 2>"$MESH_DIR/phone.err"
ok $? "weft ext-client add phone --via n1 --dns"
grep -q '^\[Interface\]' "$MESH_DIR/phone.conf" && grep -q '^PrivateKey = ' "$MESH_DIR/phone.conf" &&
	grep -q "^DNS = ${A4[1]}, office.internal$" "$MESH_DIR/phone.conf" &&
	grep -q '^AllowedIPs = 10.79.0.0/16, fd79::/64$' "$MESH_DIR/phone.conf"
ok $? "it prints a wg-quick configuration (DNS through the gateway)"
weft_on 1 ext-client office add phone --via n1 --admin-key "$KEY" >"$MESH_DIR/again.out" 2>&1
[ $? -eq 1 ] && grep -q "already has an external client 'phone'" "$MESH_DIR/again.out"
ok $? "a second 'add phone' is refused"
wait_until 20 has_client 2
ok $? "node 2 lists the client (the record reached it)"
CA4=$(sed -n 's/^Address = \([0-9.]*\)\/32.*/\1/p' "$MESH_DIR/phone.conf")
CA6=$(sed -n 's/^Address = .*, \([0-9a-f:]*\)\/128$/\1/p' "$MESH_DIR/phone.conf")
CPUB=$(sed -n 's/^PrivateKey = //p' "$MESH_DIR/phone.conf" | wg pubkey)

# The client: wireguard-go and what wg-quick does with the file (the
# wg(8) part goes to wg setconf, Address to ip addr, AllowedIPs to routes).
in_ns 4 wireguard-go -f "$CIF" >"$MESH_DIR/client-wg.log" 2>&1 &
disown $!
wait_until 10 test -S "/var/run/wireguard/$CIF.sock"
grep -v -e '^Address' -e '^DNS' "$MESH_DIR/phone.conf" >"$MESH_DIR/phone.wg"
in_ns 4 wg setconf "$CIF" "$MESH_DIR/phone.wg" &&
	in_ns 4 ip addr add "$CA4/32" dev "$CIF" && in_ns 4 ip addr add "$CA6/128" dev "$CIF" nodad &&
	in_ns 4 ip link set "$CIF" up &&
	in_ns 4 ip route add 10.79.0.0/16 dev "$CIF" && in_ns 4 ip -6 route add fd79::/64 dev "$CIF"
ok $? "node 4 runs only wireguard-go, configured from the printed file ($CA4, $CA6)"
for i in 1 2 3; do
	wait_until 40 client_ping "${A4[$i]}"
	ok $? "the client pings n$i at ${A4[$i]} through node 1"
	wait_until 20 client_ping "${A6[$i]}"
	ok $? "the client pings n$i at ${A6[$i]} through node 1"
done
ping_from 3 "$CA4"
ok $? "node 3 pings the client back"
[ "$(in_ns 4 dig +short +time=1 +tries=2 "@${A4[1]}" n3.office.internal A 2>/dev/null)" = "${A4[3]}" ]
ok $? "the client resolves n3.office.internal at the DNS address its configuration names"
wg_on 2 show weft-office allowed-ips | grep -q "$CA4/32"
ok $? "node 2 routes the client's address through node 1's peer"
wg_on 1 show weft-office peers | grep -q "$CPUB"
ok $? "node 1 has the client as a WireGuard peer"
[ "$(in_ns 1 cat /proc/sys/net/ipv6/conf/all/forwarding)" = 1 ]
ok $? "node 1 forwards IPv6 for its client"

weft_on 1 ext-client office rm phone --admin-key "$KEY" >"$MESH_DIR/rm.out" 2>&1
ok $? "weft ext-client rm phone"
for i in 2 3; do
	wait_until 40 no_client_ping "${A4[$i]}"
	ok $? "after rm the client no longer reaches n$i"
done
! wg_on 1 show weft-office peers | grep -q "$CPUB"
ok $? "node 1 removed the client's peer"
wait_until 20 sh -c "! nsenter -t $(node_pid 2) -m -n wg show weft-office allowed-ips | grep -q '$CA4/32'"
ok $? "node 2 no longer routes the client's address"

# Approved again; then node 1 stops advertising the route (its
# configuration, reloaded on SIGHUP) and serves it no more; advertised
# again, then stopped: the daemon takes its table with it.
weft_on 1 node office n1 set --routes 192.168.77.0/24 --admin-key "$KEY" >"$MESH_DIR/approve2.out" 2>&1
wait_until 40 has_table && wait_until 40 ping_from 3 192.168.77.2
ok $? "approved again: node 1 installs its table again and node 3 reaches the LAN"
: >"$MESH_DIR/n1.conf"
kill -HUP "$(node_pid 1)"
wait_until 40 no_table && wait_until 40 no_ping_from 3 192.168.77.2
ok $? "node 1 no longer advertises the route (SIGHUP): table gone, node 3 no longer routes it"
printf '[network office]\nroutes = 192.168.77.0/24\n' >"$MESH_DIR/n1.conf"
kill -HUP "$(node_pid 1)"
wait_until 40 has_table && wait_until 40 ping_from 3 192.168.77.2
ok $? "advertised again (SIGHUP): served again"
for i in 1 2 3; do node_stop "$i"; done
no_table
ok $? "no nftables table left on node 1 after stop"
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log"

if [ "$TAP_FAILED" -ne 0 ]; then
	for i in 1 2 3; do
		echo "# ---- node $i log (tail) ----"
		grep -i 'gateway\|forward\|masquerad\|external\|nft\|route' "$MESH_DIR/n$i/log" | tail -n 20 | diag
		tail -n 20 "$MESH_DIR/n$i/log" | diag
	done
	echo "# ---- client ----"
	in_ns 4 wg show "$CIF" 2>&1 | diag
fi
tap_done
