#!/usr/bin/env bash
# The real weft binary in a scratch directory, as a person or a script would
# run it: init, invite and token inspect, their errors and exit codes, and
# --help for every command. Prints TAP, one line per check.
#
#   tests/cli/test-cli.sh PATH/TO/weft
set -u
WEFT=$(realpath "${1:?usage: test-cli.sh PATH/TO/weft}")
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
cd "$tmp" || exit 1
umask 022

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
# run ARGS...: weft with stdout in ./out, stderr in ./err, exit code in $rc.
run() {
	"$WEFT" "$@" >out 2>err
	rc=$?
}
has() { grep -q -- "$1" "$2"; }
is_json() { python3 -m json.tool "$1" >/dev/null 2>&1; }
# json FILE PYTHON-EXPR: true when the expression holds for d = the document.
json() { python3 -c 'import json,sys; d=json.load(open(sys.argv[1])); sys.exit(0 if eval(sys.argv[2]) else 1)' "$1" "$2"; }
usage_error() { # ARGS...: exit 2 with an error and a usage line on stderr
	run "$@"
	[ $rc -eq 2 ] && has '^weft: error: ' err && has '^usage: weft' err && [ ! -s out ]
	ok $? "usage error (exit 2): weft $*"
}
fails() { # PATTERN ARGS...: exit 1 with "weft: error:" and PATTERN on stderr
	local pat=$1
	shift
	run "$@"
	[ $rc -eq 1 ] && has '^weft: error: ' err && has "$pat" err
	ok $? "fails (exit 1, '$pat'): weft $*"
}

# ---- help and version ----
run --help
[ $rc -eq 0 ] && has '^usage: weft' out && has 'init' out && has 'invite' out
ok $? "weft --help lists the commands"
run help
[ $rc -eq 0 ] && has '^usage: weft' out
ok $? "weft help"
for cmd in init invite token version "token inspect"; do
	# shellcheck disable=SC2086
	run $cmd --help
	[ $rc -eq 0 ] && has "^usage: weft $cmd" out && [ ! -s err ]
	ok $? "weft $cmd --help"
	# shellcheck disable=SC2086
	run help $cmd
	[ $rc -eq 0 ] && has "^usage: weft $cmd" out
	ok $? "weft help $cmd"
done
run --version
[ $rc -eq 0 ] && grep -Eq '^weft [0-9]+\.[0-9]+\.[0-9]+$' out
ok $? "weft --version"
run version --json
[ $rc -eq 0 ] && json out 'd["version"].count(".") == 2'
ok $? "weft version --json"
run --json version
[ $rc -eq 0 ] && is_json out
ok $? "weft --json version (global option first)"

# ---- usage errors ----
usage_error
usage_error frobnicate
usage_error --frobnicate version
usage_error version --frobnicate
usage_error version extra
usage_error init
usage_error init home
usage_error init home --cidr
usage_error init home extra --cidr 10.0.0.0/8 --no-node
usage_error init home --cidr 10.0.0.0/8 --no-node --name laptop
usage_error invite
usage_error invite home --bootstrap 192.0.2.1:51821
usage_error token
usage_error token frobnicate
usage_error token inspect
usage_error token inspect a b
usage_error --socket
[ ! -e home.admin.key ]
ok $? "no usage error left a key behind"

# ---- init ----
fails 'prefix length' init home --cidr 10.42.0.0 --no-node
fails 'did you mean 10.42.0.0/16' init home --cidr 10.42.0.1/16 --no-node
fails "bad --cidr '300.1.0.0/16'" init home --cidr 300.1.0.0/16 --no-node
fails 'IPv4' init home --cidr fd42::/64 --no-node
fails 'IPv6' init home --cidr 10.42.0.0/16 --cidr6 10.43.0.0/16 --no-node
fails 'too small' init home --cidr 10.42.0.0/32 --no-node
fails 'bad network name' init Home_Lab --cidr 10.42.0.0/16 --no-node
fails 'bad --domain' init home --cidr 10.42.0.0/16 --domain 'bad domain' --no-node
fails 'bad --port' init home --cidr 10.42.0.0/16 --port 70000 --no-node
fails 'different ports' init home --cidr 10.42.0.0/16 --port 5000 --gossip-port 5000 --no-node
fails 'bad --mtu' init home --cidr 10.42.0.0/16 --mtu 100 --no-node
fails '--no-node' init home --cidr 10.42.0.0/16
has 'daemon' err
ok $? "init without --no-node says the daemon is needed"
[ ! -e home.admin.key ] && [ ! -e home.admin.key.net ]
ok $? "failed inits wrote nothing"

run init home --cidr 10.42.0.0/16 --cidr6 fd42::/64 --domain home.example --no-node
[ $rc -eq 0 ] && has 'network id' out && has 'fingerprint' out && has 'next: weft invite home --admin-key ./home.admin.key --bootstrap' out
ok $? "init --no-node creates the network"
[ "$(stat -c %a home.admin.key)" = 600 ] && head -c 13 home.admin.key | grep -q '^weft-ed25519 '
ok $? "the admin key is mode 0600"
[ -s home.admin.key.net ] && [ "$(head -c 4 home.admin.key.net)" = WEFT ]
ok $? "the settings are written beside it (FILE.net)"
grep -Eq '^  network id   [0-9a-f]{64}$' out
ok $? "init prints the network id in hex"
netid=$(awk '/network id/ { print $3 }' out)
sum=$(sha256sum home.admin.key)
fails 'already exists' init home --cidr 10.42.0.0/16 --no-node
[ "$(sha256sum home.admin.key)" = "$sum" ]
ok $? "init refuses to overwrite the admin key"
fails 'already exists' init home --cidr 10.42.0.0/16 --no-node --admin-key ./home.admin.key
run --json init lab --cidr 10.50.0.0/24 --admin-key lab.key --no-node --port 40000 --gossip-port 40001 --mtu 1380 --keepalive 25
[ $rc -eq 0 ] && json out 'len(d["network_id"]) == 64 and d["network"] == "lab" and d["cidr"] == "10.50.0.0/24" and d["cidr6"] is None and d["wg_port"] == 40000 and d["mtu"] == 1380 and d["keepalive"] == 25 and d["settings_file"] == "lab.key.net"'
ok $? "init --json"

# ---- invite ----
run invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --bootstrap '[2001:db8::1]:51821' \
	--uses 3 --name laptop --address 10.42.0.7 --address fd42::7 --tags dev,eu --approval
[ $rc -eq 0 ] && [ "$(wc -l <out)" -eq 1 ] && grep -Eq '^weft1-[A-Za-z0-9_-]+$' out && [ ! -s err ]
ok $? "invite prints one line: the token"
token=$(cat out)

# The invite secret is the fifth field of the token's array; it must never
# be printed by inspect, in hex or in base64.
secret=$(python3 - "$token" <<'PY'
import base64, sys
b = base64.urlsafe_b64decode(sys.argv[1][6:] + "=" * (-len(sys.argv[1][6:]) % 4))
i = 2 + 34                      # fixarray, version, network id
for _ in range(2):              # two bin records
    if b[i] == 0xc4: n, i = b[i + 1], i + 2
    else: n, i = int.from_bytes(b[i + 1:i + 3], "big"), i + 3
    i += n
assert b[i] == 0xc4 and b[i + 1] == 32
s = b[i + 2:i + 34]
print(s.hex(), base64.b64encode(s).decode().rstrip("="), base64.urlsafe_b64encode(s).decode().rstrip("="))
PY
)
[ -n "$secret" ]
ok $? "the test found the invite secret in the token"

run token inspect "$token"
[ $rc -eq 0 ] && has '^status  *valid' out && has '^network  *home$' out && has "^network id  *$netid" out &&
	has '^cidr  *10.42.0.0/16' out && has '^cidr6  *fd42::/64' out && has '^domain  *home.example' out &&
	has '^uses  *3 nodes' out && has '^name  *laptop' out && has '^address  *10.42.0.7' out &&
	has '^address6  *fd42::7' out && has '^tags  *dev,eu' out && has '^approval  *required' out &&
	has '203.0.113.5:51821' out && has '\[2001:db8::1\]:51821' out && grep -Eq 'expires in (6d 23h|7d 0h)' out
ok $? "token inspect shows the grant"
leak=0
for s in $secret; do grep -qF "$s" out err && leak=1; done
[ $leak -eq 0 ] && ! grep -qF "$token" out
ok $? "token inspect never prints the invite secret"

run token inspect "$token" --json
[ $rc -eq 0 ] && json out 'd["valid"] and not d["expired"] and d["network"] == "home" and d["network_id"] == "'"$netid"'" and d["uses"] == 3 and d["tags"] == ["dev", "eu"] and d["address"] == "10.42.0.7" and d["address6"] == "fd42::7" and d["approval"] is True and d["bootstrap"] == ["203.0.113.5:51821", "[2001:db8::1]:51821"] and 604700 < d["expires_in"] <= 604800 and d["cidr6"] == "fd42::/64"'
ok $? "token inspect --json"
leak=0
for s in $secret; do grep -qF "$s" out && leak=1; done
[ $leak -eq 0 ]
ok $? "token inspect --json never prints the invite secret"

printf '%s\n' "$token" | "$WEFT" token inspect - >out 2>err
[ $? -eq 0 ] && has '^network  *home$' out
ok $? "token inspect - reads the token from stdin"
run token inspect "${token:0:40} ${token:40}"
[ $rc -eq 0 ]
ok $? "white space inside a pasted token is ignored"

# Tampering: one character changed in the middle, the end dropped, junk.
mid=$(( ${#token} / 2 ))
c=${token:$mid:1}
[ "$c" = A ] && r=B || r=A
fails 'altered' token inspect "${token:0:$mid}$r${token:$((mid + 1))}"
[ ! -s out ]
ok $? "a tampered token prints no grant"
fails 'truncated' token inspect "${token:0:$(( ${#token} - 5 ))}"
fails 'not a weft invite token' token inspect hello
fails 'token is empty' token inspect - </dev/null

# ---- invite: refusals ----
cp home.admin.key loose.key && cp home.admin.key.net loose.key.net && chmod 644 loose.key
fails 'chmod 600 loose.key' invite home --admin-key loose.key --bootstrap 203.0.113.5:51821
cp home.admin.key nonet.key
fails 'nonet.key.net not found' invite home --admin-key nonet.key --bootstrap 203.0.113.5:51821
fails 'not found' invite home --admin-key missing.key --bootstrap 203.0.113.5:51821
fails "not 'lab'" invite lab --admin-key home.admin.key --bootstrap 203.0.113.5:51821
cp lab.key.net nonet.key.net
fails 'belongs to network lab' invite home --admin-key nonet.key --bootstrap 203.0.113.5:51821
fails '--bootstrap HOST:PORT' invite home --admin-key home.admin.key
fails 'outside' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --address 10.43.0.7
fails 'broadcast' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --address 10.42.255.255
fails 'bad --address' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --address 10.42.0
fails 'no IPv6' invite lab --admin-key lab.key --bootstrap 203.0.113.5:51821 --address fd42::1
fails 'bad --uses' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --uses 0
fails 'bad --expires' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --expires 3x
fails 'bad tag' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --tags 'dev,Bad Tag'
fails 'given twice' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --tags dev,dev
fails 'bad --name' invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --name -x
fails 'bad --bootstrap' invite home --admin-key home.admin.key --bootstrap 203.0.113.5
fails 'brackets' invite home --admin-key home.admin.key --bootstrap 2001:db8::1:51821
fails 'at most 8' invite home --admin-key home.admin.key \
	--bootstrap a:1,b:1,c:1,d:1,e:1,f:1,g:1,h:1,i:1

# ---- expiry ----
run invite home --admin-key home.admin.key --bootstrap 203.0.113.5:51821 --expires 1s
[ $rc -eq 0 ]
ok $? "invite --expires 1s"
short=$(cat out)
sleep 2
fails 'invite expired on' token inspect "$short"
has '^status  *EXPIRED' out && has 'expired .* ago' out
ok $? "an expired token is still described, as expired"
run token inspect "$short" --json
[ $rc -eq 1 ] && json out 'not d["valid"] and d["expired"] and d["expires_in"] < 0 and "expired" in d["error"]' && has 'expired on' err
ok $? "token inspect --json of an expired token: valid false, exit 1"
run invite lab --admin-key lab.key --bootstrap node.example.org:40001 --expires never --uses 1000
[ $rc -eq 0 ] && "$WEFT" token inspect "$(cat out)" >out2 2>err && grep -q '^expires  *never' out2 && grep -q '^uses  *1000 nodes' out2 &&
	grep -q '^ports  *wireguard 40000, gossip 40001' out2 && grep -q '^keepalive  *25 s' out2
ok $? "invite --expires never"
run invite lab --admin-key lab.key --bootstrap node.example.org:40001 --expires 1d12h
[ $rc -eq 0 ] && "$WEFT" token inspect "$(cat out)" >out2 && grep -Eq 'expires in (1d 12h|1d 11h)' out2
ok $? "invite --expires 1d12h"

# ---- global options ----
run --socket /tmp/nowhere.sock token inspect "$token"
[ $rc -eq 0 ]
ok $? "--socket before the command"
run token inspect "$token" --socket=/tmp/nowhere.sock
[ $rc -eq 0 ]
ok $? "--socket after the command"
WEFT_SOCKET=/tmp/nowhere.sock "$WEFT" version >out 2>err
[ $? -eq 0 ]
ok $? "WEFT_SOCKET is accepted"

echo "1..$n"
[ $failed -eq 0 ]
