# shellcheck shell=bash
# TAP output and small helpers for the daemon's integration scripts
# (sourced). The plan line comes last, as TAP allows.

TAP_N=0
TAP_FAILED=0

ok() { # STATUS DESCRIPTION: STATUS 0 passes
	TAP_N=$((TAP_N + 1))
	if [ "$1" -eq 0 ]; then
		echo "ok $TAP_N - $2"
	else
		echo "not ok $TAP_N - $2"
		TAP_FAILED=$((TAP_FAILED + 1))
	fi
}

diag() { sed 's/^/# /'; }

# need CMD...: skip loudly when a command is missing, as run.sh does for
# the machine's other shortcomings (under CI a skip is a failure).
need() {
	local c
	for c in "$@"; do
		command -v "$c" >/dev/null 2>&1 && continue
		[ -n "${MESH_DIR:-}" ] && rmdir "$MESH_DIR" 2>/dev/null
		case "${CI:-}" in
		"" | false | 0)
			echo "1..0 # SKIP cannot run here: $c is not installed"
			echo "weft integration: SKIPPED $(basename "$0"): $c is not installed" >&2
			exit 0
			;;
		*)
			echo "1..1"
			echo "not ok 1 - cannot run: $c is not installed (CI is set, so this skip is a failure)"
			exit 1
			;;
		esac
	done
}

tap_done() {
	declare -F mesh_backend_check >/dev/null && mesh_backend_check
	echo "1..$TAP_N"
	[ "$TAP_FAILED" -eq 0 ]
}

# wait_until SECONDS CMD...: true once CMD succeeds, polling every 0.2 s.
wait_until() {
	local limit=$1 t=0
	shift
	while ! "$@" >/dev/null 2>&1; do
		t=$((t + 1))
		[ $t -ge $((limit * 5)) ] && return 1
		sleep 0.2
	done
	return 0
}

# json EXPR: evaluates a Python expression over d = the JSON on stdin and
# prints the result (strings bare, lists one item a line).
json() {
	python3 -c '
import json, sys
d = json.load(sys.stdin)
r = eval(sys.argv[1])
if isinstance(r, list):
    print("\n".join(str(x) for x in r))
elif isinstance(r, bool):
    sys.exit(0 if r else 1)
elif r is not None:
    print(r)
' "$1"
}
