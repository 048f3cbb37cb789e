#!/usr/bin/env bash
# Admin operations end to end (issue #8), with real daemons and
# wireguard-go in network namespaces, all done with the admin's node
# stopped: each record is signed offline (`--out FILE`) and handed to
# another member with `weft push FILE`.
#  1. bad admin input — a wrongly signed record, one signed by a key that
#     is not the admin's, an override of an unknown node, a CIDR too small
#     for the members, a policy file with errors — is refused with a clear
#     message, and nothing changes (every node's WireGuard peers);
#  2. a policy-denied pair cannot ping each other (neither has the other as
#     a WireGuard peer) while both still ping the others; a newer policy
#     brings the pair back;
#  3. an expired node drops out at its expiry with no new record, and
#     comes back when extended;
#  4. a member of an --approval invite shows `pending` and gets no tunnel
#     until approved, and goes on waiting across a daemon restart;
#  5. a revoked node can no longer ping anyone, takes its own tunnel down,
#     gets no share of the network key rotated with the revocation (the
#     others keep the new epoch), and cannot rejoin with a fresh token for
#     the same identity.
# Prints TAP. Run through run.sh (root, wireguard-go).
#
#   daemon-admin.sh PATH/TO/weft PATH/TO/itest-admin
set -u
here=$(cd "$(dirname "$0")" && pwd)
MESH_WEFT=$(realpath "${1:?usage: daemon-admin.sh PATH/TO/weft PATH/TO/itest-admin}")
ADMIN_TOOL=$(realpath "${2:?usage: daemon-admin.sh PATH/TO/weft PATH/TO/itest-admin}")
MESH_PREFIX="${WEFT_ITEST_PREFIX:-w$$}a"
MESH_NET=234
. "$here/mesh-lib.sh"
. "$here/tap-lib.sh"
need python3 nsenter wg ping
trap 'mesh_down' EXIT
trap 'exit 1' INT TERM HUP
# The host's resolver and /etc/hosts are not the tests' to touch.
printf 'resolver = off\nhosts_file = %s/hosts\n' "$MESH_DIR" >"$MESH_DIR/weft.conf"
KEY=$MESH_DIR/office.key
out=$MESH_DIR/out
err=$MESH_DIR/err
declare -A ID ADDR

status_of() { # I FIELD
	weft_on "$1" --json status office | json "d['$2']"
}

alive_count() { # I
	status_of "$1" alive 2>/dev/null
}

converged() { # N I...
	local want=$1 i
	shift
	for i in "$@"; do
		[ "$(alive_count "$i")" = "$want" ] || return 1
	done
}

# The public keys of node I's WireGuard peers, sorted, one a line.
wg_peers() { # I
	wg_on "$1" show weft-office peers 2>/dev/null | sort
}

# Everyone's WireGuard peers, as one text.
all_peers() { # I...
	local i
	for i in "$@"; do
		echo "n$i: $(wg_peers "$i" | tr '\n' ' ')"
	done
}

# node I's view of node J: its state in `weft peers`.
state_seen() { # I J
	weft_on "$1" --json peers office | json "[p['state'] for p in d if p['node_id'] == '${ID[$2]}'][0]"
}

pings() { # I J: node I reaches node J's overlay address
	in_ns "$1" ping -c 1 -W 1 "${ADDR[$2]}" >/dev/null 2>&1
}

# Two tries: a handshake may be on its way.
pings2() { # I J
	pings "$1" "$2" || pings "$1" "$2"
}

no_ping() { # I J: three tries, none answered
	! pings "$1" "$2" && ! pings "$1" "$2" && ! pings "$1" "$2"
}

all_ping() { # I...: every ordered pair
	local i j
	for i in "$@"; do
		for j in "$@"; do
			[ "$i" = "$j" ] || pings2 "$i" "$j" || return 1
		done
	done
}

has_peer_key() { # I KEY
	wg_peers "$1" | grep -qxF -- "$2"
}

# The network key epoch node I's state file holds.
epoch_of() { # I
	"$ADMIN_TOOL" - - local "$MESH_DIR/n$1/state/office/node" | cut -d' ' -f3
}

wg_key_of() { # I: node I's own WireGuard public key
	wg_on "$1" show weft-office public-key 2>/dev/null
}

# push_bad I FILE PATTERN DESC: weft push on node I fails (exit 1) with
# PATTERN in its error, and nobody's WireGuard peers changed.
push_bad() {
	local i=$1 file=$2 pat=$3 desc=$4 before after rc
	before=$(all_peers 2 3 4)
	weft_on "$i" push "$file" >"$out" 2>"$err"
	rc=$?
	[ $rc -eq 1 ] && grep -q '^weft: error: ' "$err" && grep -q -- "$pat" "$err"
	ok $? "$desc: push refused with '$pat'"
	[ $rc -eq 1 ] || { echo "# exit $rc"; diag <"$out"; }
	grep -q -- "$pat" "$err" || diag <"$err"
	sleep 1
	after=$(all_peers 2 3 4)
	[ "$before" = "$after" ]
	ok $? "$desc: every node's WireGuard peers are unchanged"
	[ "$before" = "$after" ] || { echo "$before" | diag; echo "$after" | diag; }
}

# push_good I FILE DESC
push_good() {
	weft_on "$1" push "$2" >"$out" 2>"$err"
	ok $? "$3: weft push on node $1"
	[ -s "$err" ] && diag <"$err"
}

mesh_up 5 || { echo "1..0 # SKIP cannot build the namespaces"; exit 0; }
for i in 1 2 3 4 5; do
	node_start "$i" --config "$MESH_DIR/weft.conf" --log-level debug || { echo "Bail out! node $i did not start"; exit 1; }
done
weft_on 1 init office --cidr 10.79.0.0/24 --admin-key "$KEY" --name n1 >"$MESH_DIR/init.out" 2>&1
ok $? "node 1 creates the network"
for i in 2 3 4; do
	weft_on "$i" join "$(weft_on 1 invite office --admin-key "$KEY")" --name "n$i" >/dev/null
	ok $? "node $i joins"
done
wait_until 40 converged 4 1 2 3 4
ok $? "every node sees 4 members alive"
for i in 1 2 3 4; do
	ID[$i]=$(status_of "$i" node_id)
	ADDR[$i]=$(status_of "$i" address)
done
node_stop 1
ok $? "the admin's node (1) is stopped; from here on the admin works offline"
wait_until 30 all_ping 2 3 4
ok $? "nodes 2, 3, 4 ping each other"

# ---- 1. bad admin input ----
weft_on 1 node office n3 set --admin-key "$KEY" --expires 1h --out "$MESH_DIR/ovr.rec" >/dev/null 2>"$err"
[ $? -ne 0 ] && grep -q 'daemon\|full id\|64 hex' "$err"
ok $? "an override by node name with no daemon to ask is refused, pointing to the full id"
weft_on 1 node office "${ID[3]}" set --admin-key "$KEY" --expires 1h --out "$MESH_DIR/ovr.rec" >/dev/null
ok $? "an override of node 3 by its full id, signed offline"
"$ADMIN_TOOL" - "$MESH_DIR/forged.rec" forge "$MESH_DIR/ovr.rec"
push_bad 2 "$MESH_DIR/forged.rec" 'signature does not verify' "an override with a broken signature"
"$ADMIN_TOOL" - "$MESH_DIR/stranger.rec" override "${ID[3]}" expires=10
push_bad 2 "$MESH_DIR/stranger.rec" 'belongs to no network' "an override signed by a key that is not the admin's"
unknown=$(printf '%064x' 48879)
weft_on 1 node office "$unknown" set --admin-key "$KEY" --expires 1h --out "$MESH_DIR/unknown.rec" >/dev/null
push_bad 2 "$MESH_DIR/unknown.rec" 'not a member of this network' "an override of a node that is no member"
weft_on 2 --json peers office >"$MESH_DIR/members.json"
weft_on 1 network office set --admin-key "$KEY" --cidr 10.79.9.0/30 --members "$MESH_DIR/members.json" \
	--out "$MESH_DIR/small.rec" >"$out" 2>"$err"
[ $? -eq 1 ] && grep -q 'too small' "$err" && [ ! -e "$MESH_DIR/small.rec" ]
ok $? "a /30 for 4 members, checked offline against a member list: refused by weft network set"
diag <"$err"
# weft network set rewrites KEY.net with what it signed, even with --out:
# once the push is refused, KEY.net must be put back by hand, or the next
# invite would carry the refused settings to its joiner (reported).
cp -p "$KEY.net" "$MESH_DIR/office.net.good"
weft_on 1 network office set --admin-key "$KEY" --cidr 10.79.9.0/30 --out "$MESH_DIR/small.rec" >/dev/null 2>&1
push_bad 3 "$MESH_DIR/small.rec" 'too small' "a /30 for 4 members signed with no member list"
cp -p "$MESH_DIR/office.net.good" "$KEY.net"
printf 'default allow\ndeny dev -> \nallow * -> *\n' >"$MESH_DIR/bad.policy"
before=$(all_peers 2 3 4)
weft_on 1 policy office set "$MESH_DIR/bad.policy" --admin-key "$KEY" --out "$MESH_DIR/badpol.rec" >"$out" 2>"$err"
[ $? -eq 1 ] && grep -q 'line 2' "$err" && [ ! -e "$MESH_DIR/badpol.rec" ]
ok $? "a policy file with an error is refused, naming its line, and nothing is written"
diag <"$err"
[ "$before" = "$(all_peers 2 3 4)" ]
ok $? "nobody's WireGuard peers changed"

# ---- 2. policy ----
weft_on 1 node office "${ID[3]}" set --admin-key "$KEY" --tags dev --out "$MESH_DIR/t3.rec" >/dev/null &&
	weft_on 1 node office "${ID[4]}" set --admin-key "$KEY" --tags prod --out "$MESH_DIR/t4.rec" >/dev/null
ok $? "tags for nodes 3 (dev) and 4 (prod), signed offline"
push_good 2 "$MESH_DIR/t3.rec" "node 3's tags"
push_good 2 "$MESH_DIR/t4.rec" "node 4's tags"
printf '# dev and prod never meet\ndefault allow\ndeny dev -> prod\n' >"$MESH_DIR/deny.policy"
weft_on 1 policy office set "$MESH_DIR/deny.policy" --admin-key "$KEY" --out "$MESH_DIR/deny.rec" >/dev/null
ok $? "a policy denying dev -> prod, signed offline"
k3=$(wg_key_of 3)
k4=$(wg_key_of 4)
push_good 2 "$MESH_DIR/deny.rec" "the policy"
wait_until 20 sh -c "! nsenter -t $(node_pid 3) -m -n wg show weft-office peers | grep -qxF -- '$k4' &&
	! nsenter -t $(node_pid 4) -m -n wg show weft-office peers | grep -qxF -- '$k3'"
ok $? "nodes 3 and 4 are no longer WireGuard peers, on either side"
no_ping 3 4 && no_ping 4 3
ok $? "nodes 3 and 4 cannot ping each other"
pings2 3 2 && pings2 4 2 && pings2 2 3 && pings2 2 4
ok $? "both still ping node 2, and node 2 both"
printf 'default allow\n' >"$MESH_DIR/allow.policy"
weft_on 1 policy office set "$MESH_DIR/allow.policy" --admin-key "$KEY" --out "$MESH_DIR/allow.rec" >/dev/null
push_good 4 "$MESH_DIR/allow.rec" "a newer policy allowing everything"
wait_until 30 all_ping 2 3 4
ok $? "nodes 3 and 4 ping each other again"

# ---- 3. expiry ----
weft_on 1 node office "${ID[4]}" set --admin-key "$KEY" --expires 10s --out "$MESH_DIR/exp.rec" >/dev/null
ok $? "node 4 set to expire in 10 s, signed offline"
push_good 2 "$MESH_DIR/exp.rec" "the expiry"
t0=$(date +%s)
pings2 2 4 && pings2 3 4
ok $? "before its expiry node 4 is still reached"
wait_until 30 sh -c "! nsenter -t $(node_pid 2) -m -n wg show weft-office peers | grep -qxF -- '$k4' &&
	! nsenter -t $(node_pid 3) -m -n wg show weft-office peers | grep -qxF -- '$k4'"
ok $? "at its expiry node 4 leaves the WireGuard peers of nodes 2 and 3 (after $(($(date +%s) - t0)) s)"
[ $(($(date +%s) - t0)) -ge 8 ]
ok $? "...and not before (no new record arrived: the daemons acted on the clock)"
[ "$(state_seen 2 4)" = expired ] && [ "$(state_seen 3 4)" = expired ]
ok $? "weft peers shows node 4 expired"
no_ping 2 4 && no_ping 3 4
ok $? "nobody reaches node 4"
weft_on 1 node office "${ID[4]}" set --admin-key "$KEY" --expires never --out "$MESH_DIR/ext.rec" >/dev/null
push_good 3 "$MESH_DIR/ext.rec" "node 4 extended (expires never)"
wait_until 30 all_ping 2 3 4
ok $? "node 4 is back: every pair pings"

# ---- 4. pending approval ----
weft_on 5 join "$(weft_on 2 invite office --admin-key "$KEY" --approval)" --name n5 >"$out" 2>"$err"
grep -qi 'approv' "$out" "$err"
ok $? "node 5 joins with an --approval invite and is told it waits for approval"
ID[5]=$(status_of 5 node_id)
wait_until 20 sh -c "[ \"\$(ip netns exec $(mesh_ns 2) $MESH_WEFT --socket $MESH_DIR/n2/sock --json peers office | python3 -c 'import json,sys; print([p[\"state\"] for p in json.load(sys.stdin) if p[\"node_id\"] == \"${ID[5]}\"][0])')\" = pending ]"
ok $? "weft peers on node 2 shows node 5 pending"
weft_on 2 peers office | grep -q 'pending'
ok $? "...in the table too"
[ -z "$(wg_peers 5)" ]
ok $? "node 5 has no WireGuard peer while pending"
k5=$(wg_key_of 5)
! has_peer_key 2 "$k5" && ! has_peer_key 3 "$k5"
ok $? "no member has node 5 as a WireGuard peer"
# The wait survives a restart: the token is kept (0600) until approval.
[ "$(stat -c %a "$MESH_DIR/n5/state/office/token" 2>/dev/null)" = 600 ]
ok $? "node 5 keeps its token on disk while it waits (mode 0600)"
node_stop 5
node_start 5 --log-level debug
ok $? "node 5's daemon restarted while it waits for approval"
[ "$(status_of 5 state)" = pending ] && [ "$(status_of 5 node_id)" = "${ID[5]}" ]
ok $? "node 5 is still pending after the restart, as the same node"
grep -q 'still waiting for the admin' "$MESH_DIR/n5/log"
ok $? "its log says it goes on waiting"
weft_on 1 node office "${ID[5]}" set --admin-key "$KEY" --approve --out "$MESH_DIR/approve.rec" >/dev/null
push_good 3 "$MESH_DIR/approve.rec" "node 5 approved"
wait_until 60 sh -c "[ \"\$(ip netns exec $(mesh_ns 5) $MESH_WEFT --socket $MESH_DIR/n5/sock --json status office | python3 -c 'import json,sys; print(json.load(sys.stdin)[\"state\"])')\" = member ]"
ok $? "node 5 becomes a member"
[ ! -e "$MESH_DIR/n5/state/office/token" ] && [ -s "$MESH_DIR/n5/state/office/node" ]
ok $? "node 5's token file is gone once it is a member; its state stays"
ADDR[5]=$(status_of 5 address)
wait_until 30 all_ping 2 3 4 5
r=$?
ok $r "node 5 pings every member and every member node 5"
[ $r -eq 0 ] || { weft_on 5 peers office | diag; wg_on 5 show | diag; }

# ---- 5. revocation ----
k4=$(wg_key_of 4)
e0=$(epoch_of 2)
weft_on 2 --json peers office >"$MESH_DIR/members.json"
weft_on 1 revoke office "${ID[4]}" --admin-key "$KEY" --rotate-network-key --members "$MESH_DIR/members.json" \
	--grace 5s --out "$MESH_DIR/revoke.rec" >/dev/null
ok $? "node 4's revocation with a new network key (grace 5 s), signed offline against a member list"
push_good 2 "$MESH_DIR/revoke.rec" "the revocation"
wait_until 20 sh -c "! nsenter -t $(node_pid 2) -m -n wg show weft-office peers | grep -qxF -- '$k4' &&
	! nsenter -t $(node_pid 3) -m -n wg show weft-office peers | grep -qxF -- '$k4' &&
	! nsenter -t $(node_pid 5) -m -n wg show weft-office peers | grep -qxF -- '$k4'"
ok $? "node 4 is gone from every member's WireGuard peers"
[ "$(state_seen 3 4)" = revoked ]
ok $? "weft peers shows node 4 revoked"
wait_until 30 sh -c "ip netns exec $(mesh_ns 4) $MESH_WEFT --socket $MESH_DIR/n4/sock --json status office | grep -q '\"state\": \"revoked\"'"
ok $? "node 4 learns by itself that it is revoked"
wait_until 10 sh -c "[ -z \"\$(nsenter -t $(node_pid 4) -m -n wg show weft-office peers)\" ]"
ok $? "node 4 took its tunnel down (no WireGuard peer left)"
# What weft status says comes from the device, not from the memory of it
# (found in the VM: "2 tunnels up" here, on a device without peers).
no_tunnels() { [ "$(status_of "$1" tunnels_up)" = 0 ]; }
wait_until 10 no_tunnels 4
ok $? "node 4's weft status says 0 tunnels up (its device has no peers): $(status_of 4 tunnels_up)"
weft_on 4 status office | grep -q '^members .* 0 tunnels up)$'
ok $? "and so does its text: $(weft_on 4 status office | grep '^members')"
! in_ns 4 ip -4 addr show dev weft-office | grep -q inet
ok $? "node 4's overlay address is gone"
no_ping 4 2 && no_ping 4 3 && no_ping 4 5 && no_ping 2 4
ok $? "node 4 can no longer ping anyone, nor anyone node 4"
all_ping 2 3 5
ok $? "the others still ping each other"
new_epoch() { [ "$(epoch_of 2)" -gt "$e0" ] && [ "$(epoch_of 3)" -gt "$e0" ] && [ "$(epoch_of 5)" -gt "$e0" ]; }
wait_until 20 new_epoch
ok $? "nodes 2, 3, 5 keep the new network key in their state (epoch $e0 -> $(epoch_of 2))"
[ "$(epoch_of 4)" = "$e0" ]
ok $? "node 4 has no share of it: its state still holds epoch $e0"
weft_on 4 join "$(weft_on 1 invite office --admin-key "$KEY" --bootstrap "$(mesh_ip 2):51821")" >"$out" 2>"$err"
rc=$?
[ $rc -eq 1 ] && grep -q 'revoked' "$err"
ok $? "node 4 cannot rejoin with a fresh token: refused with 'revoked'"
diag <"$err"
[ "$(status_of 4 state)" = revoked ] && [ "$(state_seen 2 4)" = revoked ]
ok $? "node 4 is still revoked on both sides"
no_ping 4 2
ok $? "and still reaches no one"

for i in 2 3 4 5; do node_stop "$i"; done
! grep -l 'Sanitizer\|runtime error' "$MESH_DIR"/n*/log
ok $? "no sanitizer report in any daemon's log"

if [ "$TAP_FAILED" -ne 0 ]; then
	for i in 1 2 3 4 5; do
		echo "# ---- node $i log (tail) ----"
		tail -n 30 "$MESH_DIR/n$i/log" | diag
	done
fi
tap_done
