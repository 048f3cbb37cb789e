#!/usr/bin/env bash
# The daemon against bad input, with real daemons in network namespaces:
#  4. bad joins (damaged, truncated, forged, expired, used-up, revoked node,
#     wrong network) each fail with their own message, and nothing changes
#     on the joiner or on the members;
#  5. garbage, truncated and replayed datagrams to the bootstrap (underlay)
#     and gossip (overlay) ports, and malformed control requests: the daemon
#     keeps serving and its state is intact.
# Prints TAP. Run through run.sh (root, wireguard-go).
#
#   daemon-robust.sh PATH/TO/weft PATH/TO/itest-tool
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-robust.sh PATH/TO/weft PATH/TO/itest-tool}")
TOOL=$(realpath "${2:?usage: daemon-robust.sh PATH/TO/weft PATH/TO/itest-tool}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}r"
MESH_NET=233
. "$here/mesh-lib.sh"
. "$here/tap-lib.sh"
need python3 nsenter wg ping
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP
KEY=$MESH_DIR/office.key
out=$MESH_DIR/out
err=$MESH_DIR/err

members_of() { # I: the sorted node ids node I holds
	weft_on "$1" --json peers office | json "sorted(p['node_id'] + ':' + p['state'] for p in d)"
}

# A joiner that must not have changed: no network, no interface.
untouched() { # I
	[ "$(weft_on "$1" --json list | json 'len(d)')" = 0 ] && ! in_ns "$1" ip link show weft-office >/dev/null 2>&1
}

# bad_join I PATTERN TOKEN [join args]: fails, exit 1, with PATTERN, and
# neither the joiner nor the members changed.
bad_join() {
	local i=$1 pat=$2 tok=$3 desc=$4 before after rc
	shift 4
	before=$(members_of 1)
	weft_on "$i" join "$tok" "$@" >"$out" 2>"$err"
	rc=$?
	after=$(members_of 1)
	[ $rc -eq 1 ] && grep -q '^weft: error: ' "$err" && grep -q -- "$pat" "$err"
	ok $? "$desc: refused with '$pat'"
	[ $rc -eq 1 ] || { echo "# exit $rc"; diag <"$out"; }
	grep -q -- "$pat" "$err" || diag <"$err"
	[ "$before" = "$after" ]
	ok $? "$desc: the members' view did not change"
}

mesh_up 6 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }
cat >"$MESH_DIR/short.conf" <<EOF
# a joiner that gives up quickly
join_timeout = 4s
log_level = debug
EOF
for i in 1 2 3 4 5; do
	node_start "$i" --log-level debug || { echo "Bail out! node $i did not start"; exit 1; }
done
node_start 6 --config "$MESH_DIR/short.conf" || { echo "Bail out! node 6 did not start"; exit 1; }
weft_on 1 init office --cidr 10.78.0.0/16 --admin-key "$KEY" --name n1 >/dev/null
ok $? "node 1 creates the network"
for i in 2 3; do
	weft_on "$i" join "$(weft_on 1 invite office --admin-key "$KEY")" --name "n$i" >/dev/null
	ok $? "node $i joins"
done
wait_until 20 sh -c "[ \"\$(ip netns exec $(mesh_ns 1) $MESH_WEFT --socket $MESH_DIR/n1/sock --json status office | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"alive\"])')\" = 3 ]"
ok $? "node 1 sees 3 members alive"

# ---- 4. bad joins ----
T=$(weft_on 1 invite office --admin-key "$KEY")
mid=$((${#T} / 2))
c=${T:$mid:1}
[ "$c" = A ] && r=B || r=A
bad_join 4 'damaged or incomplete' "${T:0:$mid}$r${T:$((mid + 1))}" "a token with one character changed"
untouched 4
ok $? "the joiner has no network and no interface"
bad_join 4 'damaged or incomplete' "${T:0:$mid}" "a truncated token"
untouched 4
ok $? "the joiner has no network and no interface"
forged=$("$TOOL" tamper "$T")
bad_join 4 'does not check out' "$forged" "a forged token (more uses, valid checksum, old signature)"
grep -q 'signature' "$err"
ok $? "the forged token's message names the signature"
untouched 4
ok $? "the joiner has no network and no interface"

E=$(weft_on 1 invite office --admin-key "$KEY" --expires 2s)
sleep 3
bad_join 4 'expired on' "$E" "an expired invite"
untouched 4
ok $? "the joiner has no network and no interface"

U=$(weft_on 1 invite office --admin-key "$KEY" --uses 1)
weft_on 5 join "$U" --name n5 >/dev/null 2>"$err"
ok $? "node 5 uses a single-use invite"
bad_join 4 'used up' "$U" "the same single-use invite again, from another node"
untouched 4
ok $? "the joiner has no network and no interface"

# Revoke node 3 (a record signed with the admin key, pushed on node 1).
id3=$(weft_on 3 --json status office | json "d['node_id']")
k3=$(weft_on 1 --json peers office | json "[p['wg_public_key'] for p in d if p['node_id'] == '$id3'][0]")
"$TOOL" revoke "$KEY" "$id3" "$MESH_DIR/revoke.rec"
weft_on 1 push "$MESH_DIR/revoke.rec" >"$out" 2>"$err"
ok $? "weft push of node 3's revocation on node 1"
grep -q '^1 accepted' "$out"
ok $? "weft push says the record was accepted"
# The members stop talking to a revoked node, so it may never hear of its
# revocation by gossip; here it is handed the record too.
weft_on 3 push "$MESH_DIR/revoke.rec" >/dev/null 2>&1
wait_until 20 sh -c "ip netns exec $(mesh_ns 3) $MESH_WEFT --socket $MESH_DIR/n3/sock --json status office | grep -q '\"state\": \"revoked\"'"
ok $? "node 3 knows it is revoked"
wait_until 20 sh -c "ip netns exec $(mesh_ns 2) $MESH_WEFT --socket $MESH_DIR/n2/sock --json peers office | python3 -c 'import json,sys; sys.exit(0 if [p for p in json.load(sys.stdin) if p[\"node_id\"] == \"$id3\" and p[\"state\"] == \"revoked\"] else 1)'"
ok $? "node 2 sees node 3 revoked"
[ -n "$k3" ] && wait_until 10 sh -c "! nsenter -t $(node_pid 1) -m -n wg show weft-office peers | grep -qF -- '$k3'"
ok $? "node 1's WireGuard no longer has node 3 as a peer"
R=$(weft_on 1 invite office --admin-key "$KEY")
bad_join 3 'revoked' "$R" "a revoked node with a fresh invite"
[ "$(weft_on 3 --json status office | json "d['state']")" = revoked ]
ok $? "node 3 is still revoked, nothing else"

# Another network's invite, pointing at a member of this one.
weft_on 1 init other --cidr 10.88.0.0/16 --admin-key "$MESH_DIR/other.key" --no-node >/dev/null
O=$(weft_on 1 invite other --admin-key "$MESH_DIR/other.key" --bootstrap "$(mesh_ip 1):51821")
bad_join 6 'no member answered' "$O" "an invite of another network (its bootstrap is this network's member)"
untouched 6
ok $? "the joiner has no network and no interface"
# A token of a second network that is also named "office".
weft_on 1 init office --cidr 10.89.0.0/16 --admin-key "$MESH_DIR/office2.key" --no-node >/dev/null
W=$(weft_on 1 invite office --admin-key "$MESH_DIR/office2.key" --bootstrap "$(mesh_ip 1):51821")
bad_join 2 'another network named office' "$W" "a member given a token of a different network with the same name"

# ---- 5. garbage ----
snap1=$(members_of 1)
rec1=$(weft_on 1 --json status office | json "d['records']")
id1=$(weft_on 1 --json status office | json "d['node_id']")
a1=$(weft_on 1 --json status office | json "d['address']")
n=$(in_ns 1 python3 "$here/garbage.py" capture weft-office 51821 4 "$MESH_DIR/overlay.cap")
[ "${n:-0}" -gt 0 ]
ok $? "captured $n real gossip datagrams inside node 1's tunnel"
n=$(in_ns 4 python3 "$here/garbage.py" udp "$(mesh_ip 1)" 51821 "$MESH_DIR/overlay.cap")
ok $? "sent $n garbage, truncated and replayed datagrams to node 1's bootstrap port"
n=$(in_ns 2 python3 "$here/garbage.py" udp "$a1" 51821 "$MESH_DIR/overlay.cap")
ok $? "sent $n through node 2's tunnel to node 1's gossip port on the overlay"
n=$(in_ns 4 python3 "$here/garbage.py" udp "$(mesh_ip 2)" 51821 "$MESH_DIR/overlay.cap")
ok $? "sent $n to node 2's bootstrap port"
in_ns 1 python3 "$here/garbage.py" ctl "$MESH_DIR/n1/sock" >"$out" 2>"$err"
ok $? "malformed control requests sent"
bad=$(grep -cvE '^(error:|closed|no-reply|ok$)' "$out")
[ "$bad" -eq 0 ] && [ "$(tail -n 1 "$out")" = ok ] && [ "$(tail -n 3 "$out" | head -n 1)" = ok ]
ok $? "each malformed request got an error (or was dropped); a good one among idle connections got its answer"
[ "$bad" -eq 0 ] || diag <"$out"
kill -0 "$(node_pid 1)" && kill -0 "$(node_pid 2)"
ok $? "both daemons are still running"
sleep 2
[ "$(members_of 1)" = "$snap1" ]
ok $? "node 1's members are unchanged"
[ "$(weft_on 1 --json status office | json "d['records']")" = "$rec1" ]
ok $? "node 1 holds the same $rec1 records"
a2=$(weft_on 2 --json status office | json "d['address']")
in_ns 1 ping -c 1 -W 2 "$a2" >/dev/null && in_ns 2 ping -c 1 -W 2 "$a1" >/dev/null
ok $? "nodes 1 and 2 still ping each other"
node_stop 1
node_start 1 --log-level debug
ok $? "node 1 restarts"
[ "$(weft_on 1 --json status office | json "d['node_id']")" = "$id1" ] &&
	[ "$(weft_on 1 --json status office | json "d['state']")" = member ]
ok $? "node 1's saved state is intact: same node id, still a member"

# SIGHUP reloads the configuration file.
sed -i 's/^log_level = debug/log_level = warn/' "$MESH_DIR/short.conf"
kill -HUP "$(node_pid 6)"
wait_until 10 grep -q 'reloaded the configuration (log level warn)' "$MESH_DIR/n6/log"
ok $? "SIGHUP reloads the configuration (node 6's log level is now warn)"
weft_on 6 list >/dev/null
ok $? "node 6 still serves after the reload"

for i in 1 2 3 4 5 6; do node_stop "$i"; done
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log (after a clean stop of each)"

if [ "$TAP_FAILED" -ne 0 ]; then
	for i in 1 3 4 6; do
		echo "# ---- node $i log (tail) ----"
		tail -n 25 "$MESH_DIR/n$i/log" | diag
	done
fi
tap_done
