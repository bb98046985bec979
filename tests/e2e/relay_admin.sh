#!/usr/bin/env bash
# The operator's side of the relay: init prints the certificate's SPKI pin
# and refuses a second time, run listens with TLS 1.2/1.3 only, status and
# invite work with the relay running and stopped, SIGTERM exits 0. Prints
# one "ok - ..." or "not ok - ..." line per check; always cleans up.
set -u
ROOT=$(cd "$(dirname "$0")/../.." && pwd)
SERVER=$ROOT/bin/liaison-server
T=$(mktemp -d /tmp/liaison-relay-admin.XXXXXX)
RELAY_PID=""
FAILS=0

cleanup() {
	if [ -n "$RELAY_PID" ]; then kill -9 "$RELAY_PID" 2>/dev/null; wait "$RELAY_PID" 2>/dev/null; fi
	rm -rf "$T"
}
trap cleanup EXIT

ok() { echo "ok - $*"; }
notok() { echo "not ok - $*"; FAILS=$((FAILS + 1)); }
expect_eq() { if [ "$2" = "$3" ]; then ok "$1"; else notok "$1: expected '$2', got '$3'"; fi; }

free_port() {
	python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])'
}

start_relay() {
	: >"$T/relay.log"
	"$SERVER" run --data "$T/relay" --listen "127.0.0.1:$PORT" 2>>"$T/relay.log" &
	RELAY_PID=$!
	local i
	for i in $(seq 1 100); do
		grep -q '^listening' "$T/relay.log" && return 0
		kill -0 "$RELAY_PID" 2>/dev/null || break
		sleep 0.1
	done
	return 1
}

PORT=$(free_port)

# --- init ---------------------------------------------------------------
"$SERVER" init --data "$T/relay" --url "wss://127.0.0.1:$PORT" >"$T/init.out" 2>"$T/init.err"
expect_eq "init exits 0" 0 $?
fp=$(awk '$1 == "fingerprint" {print $2}' "$T/init.out")
want="sha256:$(openssl x509 -in "$T/relay/tls.crt" -pubkey -noout | openssl pkey -pubin -outform DER |
	sha256sum | awk '{print $1}')"
expect_eq "the printed fingerprint is the SHA-256 of the certificate's SPKI" "$want" "$fp"
expect_eq "the data directory is 0700" 700 "$(stat -c %a "$T/relay")"
expect_eq "the TLS key is 0600" 600 "$(stat -c %a "$T/relay/tls.key")"
if openssl x509 -in "$T/relay/tls.crt" -noout -ext subjectAltName 2>/dev/null | grep -q 'IP Address:127.0.0.1'; then
	ok "the certificate names the URL's host as SAN"
else
	notok "the certificate names the URL's host as SAN"
fi
"$SERVER" init --data "$T/relay" >"$T/init2.out" 2>"$T/init2.err"
rc=$?
if [ "$rc" -ne 0 ] && grep -q '^liaison-server: init: ' "$T/init2.err"; then
	ok "a second init of the same directory is refused (exit $rc)"
else
	notok "a second init of the same directory is refused: got exit $rc: $(cat "$T/init2.err")"
fi
expect_eq "the refused init left the certificate alone" "$want" \
	"sha256:$(openssl x509 -in "$T/relay/tls.crt" -pubkey -noout | openssl pkey -pubin -outform DER | sha256sum | awk '{print $1}')"

# --- status and invite with no relay running ----------------------------
out=$("$SERVER" status --data "$T/relay" 2>&1)
expect_eq "status works with the relay stopped" "accounts 0" "$(head -1 <<<"$out")"
"$SERVER" invite --data "$T/relay" --authority SECRETARIAT --country UN --name Secretariat \
	>"$T/inv1" 2>"$T/inv1.err"
expect_eq "invite works with the relay stopped" 0 $?

# --- run ----------------------------------------------------------------
if start_relay; then ok "run prints 'listening'"; else notok "run prints 'listening': $(cat "$T/relay.log")"; fi
expect_eq "the admin socket is 0600" 600 "$(stat -c %a "$T/relay/admin.sock" 2>/dev/null)"

if echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_1 >"$T/tls11.out" 2>&1; then
	notok "TLS 1.1 is refused"
else
	ok "TLS 1.1 is refused"
fi
if echo | timeout 10 openssl s_client -connect "127.0.0.1:$PORT" -tls1_2 >"$T/tls12.out" 2>&1 &&
   grep -q 'Protocol *: TLSv1.2' "$T/tls12.out"; then
	ok "TLS 1.2 works"
else
	notok "TLS 1.2 works: $(grep -E 'error|alert' "$T/tls12.out" | head -2)"
fi

json=$("$SERVER" status --data "$T/relay" --json 2>&1)
expect_eq "status --json works with the relay running" \
	'{"accounts":0,"queued":0,"blob_bytes":0,"directory_version":0}' "$json"
"$SERVER" invite --data "$T/relay" --authority SECRETARIAT --country UN --name Secretariat \
	>"$T/inv2" 2>"$T/inv2.err"
expect_eq "invite works with the relay running" 0 $?
"$SERVER" invite --data "$T/relay" --authority SECRETARIAT >"$T/inv3" 2>"$T/inv3.err"
t1=$(cat "$T/inv1") t2=$(cat "$T/inv2") t3=$(cat "$T/inv3")
case "$t2" in liaison1-*) ok "an invite token starts with liaison1-" ;;
	*) notok "an invite token starts with liaison1-: got '$t2' $(cat "$T/inv2.err")" ;; esac
case "$t3" in liaison1-*) ok "a second invite token starts with liaison1-" ;;
	*) notok "a second invite token starts with liaison1-: got '$t3'" ;; esac
if [ "$t1" != "$t2" ] && [ "$t2" != "$t3" ]; then ok "each invite is a new token"; else notok "each invite is a new token"; fi

"$SERVER" revoke --data "$T/relay" aaaaaaaaaaaaaaaaaaaaaaaaaa >/dev/null 2>"$T/revoke.err"
rc=$?
if [ "$rc" -eq 1 ] && grep -q '^liaison-server: revoke: ' "$T/revoke.err"; then
	ok "revoking an unknown account fails with one line (exit 1)"
else
	notok "revoking an unknown account fails with one line: exit $rc: $(cat "$T/revoke.err")"
fi
"$SERVER" revoke --data "$T/relay" NOT-AN-ID >/dev/null 2>&1
expect_eq "revoke refuses a malformed account id (exit 2)" 2 $?

"$SERVER" run --data "$T/relay" --listen "127.0.0.1:$(free_port)" 2>"$T/second.err" &
second=$!
sleep 1
if kill -0 "$second" 2>/dev/null; then
	kill -9 "$second"; wait "$second" 2>/dev/null
	notok "a second relay on the same data directory is refused"
else
	wait "$second"; rc=$?
	if [ "$rc" -ne 0 ]; then ok "a second relay on the same data directory is refused (exit $rc)"
	else notok "a second relay on the same data directory is refused: it exited 0"; fi
fi

kill -TERM "$RELAY_PID"
wait "$RELAY_PID"
rc=$?
RELAY_PID=""
expect_eq "SIGTERM stops the relay with exit 0" 0 "$rc"
if [ -e "$T/relay/admin.sock" ]; then notok "the admin socket is removed at exit"; else ok "the admin socket is removed at exit"; fi
out=$("$SERVER" status --data "$T/relay" 2>&1)
expect_eq "status works again with the relay stopped" "accounts 0" "$(head -1 <<<"$out")"

"$SERVER" --help >"$T/help.out"
expect_eq "--help exits 0" 0 $?
"$SERVER" invite --help >"$T/help2.out"
if [ $? -eq 0 ] && grep -q 'usage: liaison-server invite' "$T/help2.out"; then ok "invite --help prints its usage"; else notok "invite --help prints its usage"; fi
"$SERVER" status >/dev/null 2>&1
expect_eq "a command without --data is a usage error (exit 2)" 2 $?

exit $((FAILS > 0))
