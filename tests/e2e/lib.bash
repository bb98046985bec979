# Shared set-up for the end-to-end scripts (sourced, not run): a real relay
# on 127.0.0.1 with TLS, real clients, a temporary directory removed on exit.
# Each check prints "ok - WHAT" or "not ok - WHAT: expected ..., got ...".
set -u
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)
BIN=$ROOT/bin
T=$(mktemp -d /tmp/liaison-e2e.XXXXXX)
export LIAISON_PASSPHRASE="correct horse battery staple"
unset LIAISON_HOME LIAISON_PASSPHRASE_FILE
RELAY_PID=""
FAILS=0

cleanup() {
	if [ -n "$RELAY_PID" ]; then kill -9 "$RELAY_PID" 2>/dev/null; wait "$RELAY_PID" 2>/dev/null; fi
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
# check "what a user would check" command...: ok when the command succeeds.
check() { local what=$1; shift; if "$@"; then ok "$what"; else notok "$what"; fi; }
# expect_exit CODE "what" command...: runs it, compares the exit code.
expect_exit() {
	local want=$1 what=$2; shift 2
	"$@" >"$T/last.out" 2>"$T/last.err"; local got=$?
	if [ "$got" -eq "$want" ]; then ok "$what (exit $got)"
	else notok "$what: expected exit $want, got $got: $(head -c 300 "$T/last.err")"; fi
}
# expect_eq "what" EXPECTED ACTUAL
expect_eq() {
	if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi
}

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

relay_init() {
	PORT=$(free_port)
	"$BIN/liaison-server" init --data "$T/relay" --url "wss://127.0.0.1:$PORT" >"$T/init.out"
}

# wait_listening WHAT: waits (at most 10 s) until $RELAY_PID says in
# $T/relay.log that it listens; otherwise shows the log and fails.
wait_listening() {
	local i
	for i in $(seq 1 100); do
		grep -q '^listening' "$T/relay.log" && return 0
		kill -0 "$RELAY_PID" 2>/dev/null || break
		sleep 0.1
	done
	echo "$1 did not start:"; cat "$T/relay.log"; return 1
}

# Starts the relay and waits (bounded) until it says it listens.
relay_start() {
	: >"$T/relay.log"
	"$BIN/liaison-server" run --data "$T/relay" --listen "127.0.0.1:$PORT" "$@" 2>>"$T/relay.log" &
	RELAY_PID=$!
	wait_listening relay
}
relay_stop() { kill -TERM "$RELAY_PID"; wait "$RELAY_PID"; local rc=$?; RELAY_PID=""; return $rc; }
relay_kill() { kill -9 "$RELAY_PID"; wait "$RELAY_PID" 2>/dev/null; RELAY_PID=""; }

# liaison HOME ARGS...: the client on home $T/HOME.
liaison() { local home=$1; shift; "$BIN/liaison" --home "$T/$home" "$@"; }

# account_of HOME: the account id of an enrolled home.
account_of() { liaison "$1" whoami | awk '$1 == "account" {print $2}'; }

# approve HOME...: the secretariat "sec" approves the accounts of these homes.
approve() {
	local m accs=()
	for m in "$@"; do accs+=("$(account_of "$m")"); done
	liaison sec directory approve "${accs[@]}" >/dev/null
}

# network_up: relay, bootstrap secretariat "sec" (its directory version 1
# published at enrollment), members given as arguments (default alice
# bruno), each with its authority added to the directory, invited,
# enrolled with the root fingerprint checked, and approved by "sec".
# Sets ROOT_FP and ACC_<name>. HEAD_LIFETIME (seconds) and SNAPSHOT_EVERY
# (a snapshot every N versions) may be set first.
network_up() {
	relay_init && relay_start || return 1
	"$BIN/liaison-server" invite --data "$T/relay" --authority SECRETARIAT --country UN \
		--name Secretariat >"$T/bootstrap.invite" || return 1
	liaison sec enroll --token-file "$T/bootstrap.invite" --name "Sam Secretariat" \
		--kdf interactive ${HEAD_LIFETIME:+--head-lifetime "$HEAD_LIFETIME"} \
		${SNAPSHOT_EVERY:+--snapshot-every "$SNAPSHOT_EVERY"} >"$T/sec.enroll" || return 1
	ROOT_FP=$(awk '$1 == "root-fingerprint" {print $2}' "$T/sec.enroll")
	ACC_sec=$(awk '$1 == "account" {print $2}' "$T/sec.enroll")
	local members=("$@") m
	[ ${#members[@]} -eq 0 ] && members=(alice bruno)
	for m in "${members[@]}"; do
		liaison sec directory add-authority "AUTH-$m" --country FR --name "Authority of $m" \
			--type prosecution >/dev/null || return 1
		liaison sec invite --authority "AUTH-$m" >"$T/$m.invite" || return 1
		liaison "$m" enroll --token-file "$T/$m.invite" --name "Member $m" \
			--root-fingerprint "$ROOT_FP" --kdf interactive >"$T/$m.enroll" || return 1
		printf -v "ACC_$m" '%s' "$(awk '$1 == "account" {print $2}' "$T/$m.enroll")"
	done
	approve "${members[@]}" || return 1
}

finish() { exit $((FAILS > 0)); }
