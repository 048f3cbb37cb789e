#!/usr/bin/env bash
# Several networks per daemon, each its own interface, with real daemons and
# wireguard-go in network namespaces:
#  1. three nodes; "office" (IPv4 + IPv6) joined by all three, "lab" (other
#     prefixes, other WireGuard and gossip ports) by nodes 1 and 2 only, so
#     those two daemons serve both networks at once;
#  2. on a node serving both: `weft list`, `weft status --json` (an array of
#     two with distinct interfaces, ports and addresses), both interfaces in
#     ip(8), and wg(8) on each lists that network's peers and no other's;
#     every pair pings over each network it shares;
#  3. `weft leave lab` on node 2 removes its lab interface and state, office
#     keeps working;
#  4. SIGTERM and start again: each daemon serves exactly the networks it
#     had, from its state, without a token.
# Prints TAP. Run through run.sh (root, wireguard-go).
#
#   daemon-multinet.sh PATH/TO/weft
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-multinet.sh PATH/TO/weft}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}n"
MESH_NET=235
. "$here/mesh-lib.sh"
. "$here/tap-lib.sh"
need python3 nsenter wg ping
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP
OKEY=$MESH_DIR/office.key
LKEY=$MESH_DIR/lab.key

st() { # I NET FIELD: one field of node I's status in NET
	weft_on "$1" --json status "$2" | json "d['$3']"
}

converged() { # NET N I...: every listed node sees N members of NET alive
	local net=$1 want=$2 i
	shift 2
	for i in "$@"; do
		[ "$(st "$i" "$net" alive 2>/dev/null)" = "$want" ] || return 1
	done
}

declare -A ADDR KEY
record() { # NET I...: overlay addresses and WireGuard keys of each node in NET
	local net=$1 i
	shift
	for i in "$@"; do
		ADDR[${net}${i}4]=$(st "$i" "$net" address)
		ADDR[${net}${i}6]=$(st "$i" "$net" address6)
		KEY[$net$i]=$(weft_on "$i" --json peers "$net" | json "[p['wg_public_key'] for p in d if p['self']][0]")
	done
}

ping_pair() { # FROM TO-ADDRESS
	while :; do
		in_ns "$1" ping -c 1 -W 1 "$2" >/dev/null 2>&1 && return 0
		[ "$(date +%s)" -ge "$PING_DEADLINE" ] && return 1
		sleep 0.3
	done
}

ping_all() { # LABEL NET SECONDS I...: every ordered pair in NET, both families
	local label=$1 net=$2 a b fam dst bad=0 total=0 t0
	t0=$(date +%s)
	PING_DEADLINE=$((t0 + $3))
	shift 3
	for a in "$@"; do
		for b in "$@"; do
			[ "$a" = "$b" ] && continue
			for fam in 4 6; do
				dst=${ADDR[$net$b$fam]}
				total=$((total + 1))
				if [ -z "$dst" ] || ! ping_pair "$a" "$dst"; then
					echo "# $label: node $a cannot ping node $b at '$dst' ($net)"
					bad=$((bad + 1))
				fi
			done
		done
	done
	ok $bad "$label: all $total ordered pairs ping over $net (IPv4 and IPv6), in $(($(date +%s) - t0)) s"
}

# wg(8) on node I's interface for NET lists exactly the keys the given
# nodes have in NET, and none of any node's keys in the other network.
wg_exact() { # I NET OTHER-NET NODES...
	local i=$1 net=$2 other=$3 j want got k bad=0
	shift 3
	want=$(for j in "$@"; do echo "${KEY[$net$j]}"; done | sort)
	got=$(wg_on "$i" show "weft-$net" peers | sort)
	if [ "$want" != "$got" ]; then
		echo "# node $i: wg show weft-$net lists"
		echo "$got" | diag
		echo "# want"
		echo "$want" | diag
		bad=1
	fi
	for j in 1 2 3; do
		k=${KEY[$other$j]:-}
		[ -n "$k" ] || continue
		if echo "$got" | grep -qxF "$k"; then
			echo "# node $i: weft-$net lists node $j's $other key"
			bad=1
		fi
	done
	return $bad
}

# Interfaces named weft-* in node I's namespace, sorted, one a line.
ifaces() {
	in_ns "$1" ip -o link show | awk -F': ' '{print $2}' | sed 's/@.*//' | grep '^weft-' | sort
}

# `weft list --json` on node I: the network names, sorted, space-separated.
nets_of() {
	weft_on "$1" --json list | json "' '.join(sorted(x['network'] for x in d))"
}

# ---- 1. three nodes, two networks ----
t_start=$(date +%s)
mesh_up 3 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }
for i in 1 2 3; do
	node_start "$i" --log-level debug
	ok $? "node $i: daemon started"
done
weft_on 1 init office --cidr 10.77.0.0/16 --cidr6 fd77::/64 --admin-key "$OKEY" --name n1 >"$MESH_DIR/init-office.out" 2>&1
ok $? "node 1: weft init office (10.77.0.0/16, fd77::/64, default ports)"
weft_on 1 init lab --cidr 10.88.0.0/24 --cidr6 fd88::/64 --port 51830 --gossip-port 51831 \
	--admin-key "$LKEY" --name n1 >"$MESH_DIR/init-lab.out" 2>&1
ok $? "node 1: weft init lab (10.88.0.0/24, fd88::/64, ports 51830/51831) in the same daemon"
for i in 2 3; do
	tok=$(weft_on 1 invite office --admin-key "$OKEY" 2>>"$MESH_DIR/invite.err")
	weft_on "$i" join "$tok" --name "n$i" >"$MESH_DIR/join-office$i.out" 2>&1
	ok $? "node $i: joins office"
done
tok=$(weft_on 1 invite lab --admin-key "$LKEY" 2>>"$MESH_DIR/invite.err")
weft_on 2 join "$tok" --name n2 >"$MESH_DIR/join-lab2.out" 2>&1
ok $? "node 2: joins lab too (its daemon already serves office)"
[ "$("$MESH_WEFT" --json token inspect "$tok" | json "d['bootstrap'][0]")" = "$(mesh_ip 1):51831" ]
ok $? "the lab invite's bootstrap is node 1's lab gossip port ($("$MESH_WEFT" --json token inspect "$tok" | json "d['bootstrap'][0]"))"
wait_until 20 converged office 3 1 2 3
ok $? "office: every node sees 3 members alive"
wait_until 20 converged lab 2 1 2
ok $? "lab: nodes 1 and 2 see 2 members alive"
record office 1 2 3
record lab 1 2

# ---- 2. one daemon, two networks ----
for i in 1 2; do
	[ "$(nets_of "$i")" = "lab office" ]
	ok $? "node $i: weft list shows lab and office ($(nets_of "$i" | tr ' ' ,))"
	weft_on "$i" list >"$MESH_DIR/list$i.out" 2>&1 && grep -qw office "$MESH_DIR/list$i.out" &&
		grep -qw lab "$MESH_DIR/list$i.out"
	ok $? "node $i: weft list (text) names both"
done
[ "$(nets_of 3)" = "office" ]
ok $? "node 3: weft list shows office only"

weft_on 2 --json status >"$MESH_DIR/status2.json"
ok $? "node 2: weft status --json with no NETWORK"
json "isinstance(d, list) and len(d) == 2 and sorted(x['network'] for x in d) == ['lab', 'office']" <"$MESH_DIR/status2.json"
ok $? "it is an array of the two networks"
json "all(len({x[k] for x in d}) == 2 and None not in {x[k] for x in d} for k in ['interface', 'listen_port', 'gossip_port', 'address', 'address6', 'network_id', 'node_id'])" <"$MESH_DIR/status2.json"
ok $? "interfaces, ports, addresses, network and node ids all differ between the two"
json "{x['network']: (x['interface'], x['listen_port'], x['gossip_port']) for x in d} == {'office': ('weft-office', 51820, 51821), 'lab': ('weft-lab', 51830, 51831)}" <"$MESH_DIR/status2.json"
ok $? "office is weft-office on 51820/51821, lab is weft-lab on 51830/51831"
json "[x['address'] for x in d if x['network'] == 'office'][0].startswith('10.77.') and [x['address'] for x in d if x['network'] == 'lab'][0].startswith('10.88.0.') and [x['address6'] for x in d if x['network'] == 'lab'][0].startswith('fd88:')" <"$MESH_DIR/status2.json"
ok $? "each network's addresses come from its own prefixes"

for i in 1 2; do
	[ "$(ifaces "$i" | tr '\n' ' ')" = "weft-lab weft-office " ]
	ok $? "node $i: ip link shows weft-lab and weft-office"
done
[ "$(ifaces 3 | tr '\n' ' ')" = "weft-office " ]
ok $? "node 3: ip link shows weft-office only"
in_ns 1 ip -o addr show dev weft-lab | grep -qF "${ADDR[lab14]}/" &&
	in_ns 1 ip -o addr show dev weft-office | grep -qF "${ADDR[office14]}/" &&
	! in_ns 1 ip -o addr show dev weft-office | grep -qF "${ADDR[lab14]}/"
ok $? "node 1: each interface carries its own network's address"

wait_until 10 wg_exact 1 office lab 2 3
wg_exact 1 office lab 2 3
ok $? "node 1: wg show weft-office lists nodes 2 and 3's office keys, no lab key"
wg_exact 1 lab office 2
ok $? "node 1: wg show weft-lab lists node 2's lab key only, no office key"
wait_until 10 wg_exact 2 office lab 1 3
wg_exact 2 office lab 1 3
ok $? "node 2: wg show weft-office lists nodes 1 and 3's office keys, no lab key"
wg_exact 2 lab office 1
ok $? "node 2: wg show weft-lab lists node 1's lab key only, no office key"
wg_exact 3 office lab 1 2
ok $? "node 3: wg show weft-office lists nodes 1 and 2's office keys, no lab key"

ping_all "two networks" office 20 1 2 3
ping_all "two networks" lab 20 1 2
! in_ns 3 ping -c 1 -W 1 "${ADDR[lab14]}" >/dev/null 2>&1
ok $? "node 3 (not in lab) cannot reach node 1's lab address"

# ---- 3. node 2 leaves lab ----
# Checked the moment `weft leave` returns: it answers once both are gone.
weft_on 2 leave lab >"$MESH_DIR/leave.out" 2>&1
rc=$?
[ -e "$MESH_DIR/n2/state/lab" ]
lab_state=$?
lab_ifaces=$(ifaces 2 | tr '\n' ' ')
ok $rc "node 2: weft leave lab"
[ $lab_state -ne 0 ] && [ -s "$MESH_DIR/n2/state/office/node" ]
ok $? "node 2: when weft leave returns, lab's state is removed, office's kept"
[ "$lab_ifaces" = "weft-office " ]
ok $? "node 2: when weft leave returns, ip link shows weft-office only, weft-lab is gone"
[ "$(nets_of 2)" = "office" ]
ok $? "node 2: weft list shows office only"
[ "$(weft_on 2 --json status | json "len(d)")" = 1 ]
ok $? "node 2: weft status --json is an array of one"
! weft_on 2 status lab >/dev/null 2>&1
ok $? "node 2: weft status lab now fails"
wait_until 10 sh -c "[ -z \"\$(nsenter -t $(node_pid 1) -m -n wg show weft-lab peers)\" ]"
ok $? "node 1: weft-lab no longer lists node 2"
[ "$(nets_of 1)" = "lab office" ]
ok $? "node 1: still serves both networks"
ping_all "after node 2 left lab" office 15 1 2 3

# ---- 4. restarts from state ----
ids_before="$(st 1 office node_id) $(st 1 lab node_id) $(st 2 office node_id)"
for i in 1 2 3; do node_stop "$i"; done
ok $? "all daemons stopped (SIGTERM)"
[ -z "$(ifaces 1)$(ifaces 2)$(ifaces 3)" ]
ok $? "a stopped daemon leaves no interface behind"
for i in 1 2 3; do
	node_start "$i" --log-level debug
	ok $? "node $i: started again, no token"
done
[ "$(nets_of 1)" = "lab office" ] && [ "$(nets_of 2)" = "office" ] && [ "$(nets_of 3)" = "office" ]
ok $? "each daemon serves exactly the networks it had (1: lab+office, 2 and 3: office)"
[ "$(ifaces 1 | tr '\n' ' ')" = "weft-lab weft-office " ] && [ "$(ifaces 2 | tr '\n' ' ')" = "weft-office " ]
ok $? "node 1 has both interfaces again, node 2 only weft-office"
[ "$(st 1 office node_id) $(st 1 lab node_id) $(st 2 office node_id)" = "$ids_before" ]
ok $? "node ids kept in every network"
wait_until 20 converged office 3 1 2 3
ok $? "office: every node sees 3 members alive again"
[ "$(st 1 lab alive)" = 1 ]
ok $? "lab: node 1 sees itself alone (node 2 left)"
record office 1 2 3
ping_all "after the restart" office 20 1 2 3
wg_exact 1 lab office
ok $? "node 1: wg show weft-lab lists no peer after the restart"

for i in 1 2 3; do node_stop "$i"; done
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log (after a clean stop of each)"
echo "# took $(($(date +%s) - t_start)) s"

if [ "$TAP_FAILED" -ne 0 ]; then
	for i in 1 2 3; do
		echo "# ---- node $i log (tail) ----"
		tail -n 30 "$MESH_DIR/n$i/log" | diag
	done
fi
tap_done
