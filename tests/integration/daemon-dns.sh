#!/usr/bin/env bash
# The daemon's DNS (DESIGN §6) with real daemons and wireguard-go in network
# namespaces: three nodes join; from every node, dig at its own overlay
# addresses (IPv4 and IPv6) finds every member's A and AAAA, the PTR of an
# overlay address, NXDOMAIN for a name nobody has and REFUSED outside the
# zone; with the admin's node stopped the others still answer, and a
# restarted daemon answers again from its saved state.
# Prints TAP. Run through run.sh (root, wireguard-go).
#
#   daemon-dns.sh PATH/TO/weft
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-dns.sh PATH/TO/weft}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}d"
MESH_NET=233
. "$here/mesh-lib.sh"
. "$here/tap-lib.sh"
need python3 dig
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP
KEY=$MESH_DIR/office.key
ZONE=office.internal

addr_of() { # I FAMILY(4|6)
	weft_on "$1" --json status office | json "d['address' if '$2' == '4' else 'address6']"
}

alive_count() { # I
	weft_on "$1" --json status office | json "d['alive']"
}

converged() { # N I...
	local want=$1 i
	shift
	for i in "$@"; do
		[ "$(alive_count "$i" 2>/dev/null)" = "$want" ] || return 1
	done
}

# dig_on I SERVER ARGS...: the answer section, one record's data a line.
dig_on() {
	local i=$1 srv=$2
	shift 2
	in_ns "$i" dig +short +time=1 +tries=2 "@$srv" "$@" 2>/dev/null
}

# rcode_on I SERVER ARGS...: NOERROR, NXDOMAIN, REFUSED...
rcode_on() {
	local i=$1 srv=$2
	shift 2
	in_ns "$i" dig +time=1 +tries=2 "@$srv" "$@" 2>/dev/null | sed -n 's/.*status: \([A-Z]*\).*/\1/p'
}

# Every member's A and AAAA from node I at SERVER; the zone follows the
# view, so a fresh member may take a moment to appear.
resolves_all() { # I SERVER NODES...
	local i=$1 srv=$2 j
	shift 2
	for j in "$@"; do
		[ "$(dig_on "$i" "$srv" "n$j.$ZONE" A)" = "${ADDR[${j}4]}" ] || return 1
		[ "$(dig_on "$i" "$srv" "n$j.$ZONE" AAAA)" = "${ADDR[${j}6]}" ] || return 1
	done
}

declare -A ADDR

mesh_up 3 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }
for i in 1 2 3; do
	node_start "$i" --log-level debug
	ok $? "node $i: daemon started"
done
weft_on 1 init office --cidr 10.78.0.0/16 --cidr6 fd78::/64 --admin-key "$KEY" --name n1 >"$MESH_DIR/init.out" 2>&1
ok $? "node 1: weft init"
for i in 2 3; do
	tok=$(weft_on 1 invite office --admin-key "$KEY" 2>"$MESH_DIR/invite.err")
	weft_on "$i" join "$tok" --name "n$i" >"$MESH_DIR/join$i.out" 2>&1
	ok $? "node $i: weft join"
done
wait_until 40 converged 3 1 2 3
ok $? "every node sees 3 members alive"
for i in 1 2 3; do
	ADDR[${i}4]=$(addr_of "$i" 4)
	ADDR[${i}6]=$(addr_of "$i" 6)
done

for i in 1 2 3; do
	for fam in 4 6; do
		srv=${ADDR[$i$fam]}
		wait_until 20 resolves_all "$i" "$srv" 1 2 3
		ok $? "node $i: dig @$srv finds n1, n2, n3 (A and AAAA)"
	done
	j=$((i % 3 + 1))
	[ "$(dig_on "$i" "${ADDR[${i}4]}" -x "${ADDR[${j}4]}")" = "n$j.$ZONE." ]
	ok $? "node $i: PTR of ${ADDR[${j}4]} is n$j.$ZONE"
	[ "$(dig_on "$i" "${ADDR[${i}6]}" -x "${ADDR[${j}6]}")" = "n$j.$ZONE." ]
	ok $? "node $i: PTR of ${ADDR[${j}6]} is n$j.$ZONE"
	[ "$(rcode_on "$i" "${ADDR[${i}4]}" "nosuch.$ZONE" A)" = NXDOMAIN ]
	ok $? "node $i: NXDOMAIN for nosuch.$ZONE"
	[ "$(rcode_on "$i" "${ADDR[${i}4]}" example.com A)" = REFUSED ]
	ok $? "node $i: REFUSED for example.com"
done
# Across the tunnel too: node 2 asks node 3's server.
[ "$(dig_on 2 "${ADDR[34]}" "n1.$ZONE" A)" = "${ADDR[14]}" ]
ok $? "node 2 asks node 3's server over the overlay"

node_stop 1
ok $? "node 1 (the admin's) stopped"
for i in 2 3; do
	resolves_all "$i" "${ADDR[${i}4]}" 1 2 3
	ok $? "node $i: names (n1 included) still resolve with the admin's node gone"
done

node_stop 3
node_start 3 --log-level debug
ok $? "node 3: restarted from its state"
wait_until 20 resolves_all 3 "${ADDR[34]}" 1 2 3
ok $? "node 3: its server answers again after the restart"
for i in 2 3; do node_stop "$i"; done
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log"

if [ "$TAP_FAILED" -ne 0 ]; then
	for i in 1 2 3; do
		echo "# ---- node $i log (tail) ----"
		grep -i dns "$MESH_DIR/n$i/log" | tail -n 20 | diag
		tail -n 20 "$MESH_DIR/n$i/log" | diag
	done
fi
tap_done
