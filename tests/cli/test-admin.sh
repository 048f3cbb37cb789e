#!/usr/bin/env bash
# The admin commands through the real weft binary with no daemon: each signs
# with --out FILE, and weft-records shows the file's records are signed by
# the admin key (and what they say). Bad input exits 1 with a clear message
# and writes nothing. Prints TAP, one line per check.
#
#   tests/cli/test-admin.sh PATH/TO/weft PATH/TO/weft-records
set -u
WEFT=$(realpath "${1:?usage: test-admin.sh PATH/TO/weft PATH/TO/weft-records}")
RECORDS=$(realpath "${2:?usage: test-admin.sh PATH/TO/weft PATH/TO/weft-records}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
umask 022
export WEFT_SOCKET="$tmp/no-daemon.sock" # never the host's daemon

n=0
failed=0
ok() { # ok CONDITION-EXIT-CODE DESCRIPTION
	n=$((n + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $n - $2"
	else
		echo "not ok $n - $2"
		failed=$((failed + 1))
		[ -s out ] && sed 's/^/# stdout: /' out | head -n 20
		[ -s err ] && sed 's/^/# stderr: /' err | head -n 20
	fi
}
run() { "$WEFT" "$@" >out 2>err; rc=$?; }
has() { grep -q -- "$1" "$2"; }
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }
# records FILE: weft-records' lines in ./recs; true when all verify.
records() { "$RECORDS" "$1" >recs 2>&1; }
# signed_by FILE HEX COUNT: COUNT records, every one signed by HEX and verified.
signed_by() {
	records "$1" && [ "$(wc -l <recs)" -eq "$3" ] &&
		[ "$(grep -c "signer=$2 sig=ok" recs)" -eq "$3" ]
}
fails() { # PATTERN OUTFILE ARGS...: exit 1, "weft: error:" and PATTERN, OUTFILE not written
	local pat=$1 file=$2
	shift 2
	rm -f "$file"
	run "$@"
	[ $rc -eq 1 ] && has '^weft: error: ' err && has "$pat" err && [ ! -e "$file" ]
	ok $? "fails (exit 1, '$pat', nothing written): weft $*"
}
usage_error() {
	run "$@"
	[ $rc -eq 2 ] && has '^weft: error: ' err && has '^usage: weft' err
	ok $? "usage error (exit 2): weft $*"
}

# ---- a network, another one, and three valid node ids ----
run --json init lab --cidr 10.42.0.0/24 --no-node --admin-key lab.key
[ $rc -eq 0 ]
ok $? "init lab"
ADMIN=$(python3 -c 'import json; print(json.load(open("out"))["network_id"])')
run init other --cidr 10.43.0.0/24 --no-node --admin-key other.key
ok $rc "init other"
ids=()
for i in 1 2 3; do
	"$WEFT" --json init "id$i" --cidr 10.99.0.0/24 --no-node --admin-key "id$i.key" >out 2>err
	ids+=("$(python3 -c 'import json; print(json.load(open("out"))["network_id"])')")
done
[ ${#ids[0]} -eq 64 ] && [ ${#ids[2]} -eq 64 ]
ok $? "three node ids"
python3 - "${ids[@]}" >members.json <<'EOF'
import json, sys
states = ["alive", "alive", "revoked"]
print(json.dumps([{"node_id": h, "name": "n%d" % i, "address": "10.42.0.%d" % (10 + i), "address6": None,
                   "state": states[i]} for i, h in enumerate(sys.argv[1:])]))
EOF

for cmd in node network revoke rotate policy; do
	run "$cmd" --help
	[ $rc -eq 0 ] && has "^usage: weft $cmd" out
	ok $? "weft $cmd --help"
done
run --help
has '^  revoke' out && has '^  policy' out && has '^  rotate' out && has '^  node' out && has '^  network' out
ok $? "weft --help lists the admin commands"

# ---- node ----
run node lab "${ids[0]}" set --admin-key lab.key --name web --expires 2027-01-31 --tags web,eu --approve \
	--address 10.42.0.7 --out node.out
[ $rc -eq 0 ] && has 'the daemon cannot be reached' err && signed_by node.out "$ADMIN" 1 &&
	has "^override .*node=${ids[0]} .*name=web expires=1801353600" recs
ok $? "node set --out: one override signed by the admin key"
fails "give the node's full id" node.out node lab web set --admin-key lab.key --name x --out node.out
fails "outside the network's range" node.out node lab "${ids[0]}" set --admin-key lab.key --address 10.9.9.9 \
	--out node.out
fails "bad --expires" node.out node lab "${ids[0]}" set --admin-key lab.key --expires soon --out node.out
fails "admin key of network 'other'" node.out node lab "${ids[0]}" set --admin-key other.key --name x \
	--out node.out
usage_error node lab "${ids[0]}" set --admin-key lab.key

# ---- revoke ----
run revoke lab "${ids[0]}" --admin-key lab.key --reason lost --out rev.out
[ $rc -eq 0 ] && signed_by rev.out "$ADMIN" 1 && has "^revocation .*node=${ids[0]} reason=lost" recs
ok $? "revoke --out: one revocation signed by the admin key"
run revoke lab n1 --admin-key lab.key --members members.json --rotate-network-key --out rev.out
[ $rc -eq 0 ] && signed_by rev.out "$ADMIN" 3 && has "^revocation .*node=${ids[1]}" recs &&
	has '^keyring .*grace=600' recs && has "^keyshare .*node=${ids[0]}" recs &&
	! has "^keyshare .*node=${ids[1]}" recs && ! has "^keyshare .*node=${ids[2]}" recs
ok $? "revoke --rotate-network-key --members: revocation, keyring, a share for the one left"
fails "no node 'n9' in the member list" rev.out revoke lab n9 --admin-key lab.key --members members.json \
	--out rev.out
fails "needs the member list" rev.out revoke lab "${ids[0]}" --admin-key lab.key --rotate-network-key \
	--out rev.out
fails "admin key of network 'other'" rev.out revoke lab "${ids[0]}" --admin-key other.key --out rev.out

# ---- network ----
cp lab.key.net lab.net.before
fails "10.50.0.0/30 is too small" net.out network lab set --admin-key lab.key --cidr 10.50.0.0/30 \
	--members members.json --out net.out
cmp -s lab.key.net lab.net.before
ok $? "a refused range leaves lab.key.net as it was"
fails "bad --cidr" net.out network lab set --admin-key lab.key --cidr 10.50.0.1/24 --out net.out
run network lab set --admin-key lab.key --cidr 10.50.0.0/29 --members members.json --mtu 1380 --out net.out
[ $rc -eq 0 ] && signed_by net.out "$ADMIN" 1 && has '^network .*name=lab .*cidr=10.50.0.0/29 mtu=1380' recs &&
	! cmp -s lab.key.net lab.net.before
ok $? "network set --out: new settings signed by the admin key; lab.key.net rewritten"
run network lab set --admin-key lab.key --keepalive 25 --out net.out
[ $rc -eq 0 ] && ! has 'range holds' err && records net.out && has 'mtu=1380' recs
ok $? "network set without a range change needs no member list"
run network lab set --admin-key lab.key --cidr 10.60.0.0/24 --out net.out
[ $rc -eq 0 ] && has 'check that the new range holds every member was skipped' err
ok $? "network set offline without --members says the size check was skipped"

# ---- rotate ----
run rotate lab --admin-key lab.key --wg-keys --out rot.out
[ $rc -eq 0 ] && signed_by rot.out "$ADMIN" 1 && has '^rotate .*older_than=' recs
ok $? "rotate --wg-keys --out: a rotation order signed by the admin key"
run rotate lab --admin-key lab.key --network-key --members members.json --out rot.out
[ $rc -eq 0 ] && signed_by rot.out "$ADMIN" 3 && has '^keyring ' recs && [ "$(grep -c '^keyshare ' recs)" -eq 2 ]
ok $? "rotate --network-key --members: keyring and a share per member not revoked"
run rotate lab --admin-key lab.key --admin-key-to lab2.key --out rot.out
NEW=$("$WEFT" rotate lab --admin-key lab2.key --wg-keys --out rot2.out 2>/dev/null >/dev/null;
	"$RECORDS" rot2.out | sed -n 's/.*signer=\([0-9a-f]*\).*/\1/p')
[ $rc -eq 0 ] && [ "$(stat -c %a lab2.key)" = 600 ] && [ -s lab2.key.net ] && records rot.out &&
	has "^admin_roll signer=$ADMIN sig=ok new=$NEW" recs && has "^network signer=$NEW sig=ok" recs &&
	[ "$NEW" != "$ADMIN" ]
ok $? "rotate --admin-key-to: roll-over by the old key, settings by the new; the new key signs"
fails "lab2.key already exists" rot.out rotate lab --admin-key lab.key --admin-key-to lab2.key --out rot.out
# The new key's invites carry the roll-over chain (lab2.key.roll), so they
# verify against the network id, which is still the first admin key.
run --json invite lab --admin-key lab2.key --bootstrap 192.0.2.1:51821
TOK=$(cat out)
run --json token inspect "$TOK"
[ $rc -eq 0 ] && [ -s lab2.key.roll ] && json out "d['network_id'] == '$ADMIN'"
ok $? "an invite signed by the rolled-over key verifies, with the network id unchanged"
run rotate lab --admin-key lab2.key --admin-key-to lab3.key --out rot3.out
run invite lab --admin-key lab3.key --bootstrap 192.0.2.1:51821
TOK=$(cat out)
run token inspect "$TOK"
[ $rc -eq 0 ]
ok $? "after a second roll-over the chain has two links and the invite still verifies"

# ---- policy ----
printf '# lab\ndefault deny\nallow admin -> *\nallow web->db\n' >good.policy
printf 'default deny\nallow web -> db\nallow Web -> db\n' >bad.policy
printf 'default allow\ndefault deny\n' >twice.policy
run policy lab set good.policy --admin-key lab.key --out pol.out
[ $rc -eq 0 ] && signed_by pol.out "$ADMIN" 1 && has '^policy .*default=deny rules=2' recs
ok $? "policy set --out: the policy signed by the admin key"
fails "bad.policy: line 3: bad tag 'Web'" pol.out policy lab set bad.policy --admin-key lab.key --out pol.out
fails "twice.policy: line 2: default is given twice" pol.out policy lab set twice.policy --admin-key lab.key \
	--out pol.out
fails "admin key of network 'other'" pol.out policy lab set good.policy --admin-key other.key --out pol.out

# ---- a record altered after signing does not verify ----
run rotate lab --admin-key lab.key --wg-keys --out alt.out
python3 - <<'EOF'
import hashlib
d = bytearray(open("alt.out", "rb").read())
# Flip a byte inside the record (past the 16-byte frame header and the
# msgpack array and bin headers), then fix the frame's BLAKE2b so the file
# still reads: only the signature can tell.
d[40] ^= 1
d[-32:] = hashlib.blake2b(bytes(d[:-32]), digest_size=32).digest()
open("alt.out", "wb").write(bytes(d))
EOF
! records alt.out && has 'sig=BAD\|undecodable' recs
ok $? "an altered record is caught"

echo "1..$n"
[ "$failed" -eq 0 ]
