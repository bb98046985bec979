#!/usr/bin/env bash
# End to end on loopback: a real relay, a bootstrap secretariat and two
# members enrolled by its invites; messages sent while the recipient is
# offline arrive exactly once, replies come back, the history lists both
# sides, a message queued while the relay is down goes out later, and each
# refusal ends with CONTRACT.md's exit code. One "ok"/"not ok" line a check.
set -u
cd "$(dirname "$0")/../.."
SERVER=$PWD/bin/liaison-server
CLIENT=$PWD/bin/liaison
tmp=$(mktemp -d /tmp/liaison-e2e-messaging.XXXXXX)
relay_pid=
bg_pid=
impostor_pid=

cleanup() {
	[ -n "$bg_pid" ] && kill "$bg_pid" 2>/dev/null
	[ -n "$impostor_pid" ] && kill "$impostor_pid" 2>/dev/null
	if [ -n "$relay_pid" ]; then
		kill "$relay_pid" 2>/dev/null
		wait "$relay_pid" 2>/dev/null
	fi
	rm -rf "$tmp"
}
trap cleanup EXIT
trap 'exit 130' INT TERM

failed=0
ok() { echo "ok - $*"; }
not_ok() { echo "not ok - $*"; failed=$((failed + 1)); }
# expect_rc DESCRIPTION WANT GOT
expect_rc() {
	if [ "$3" -eq "$2" ]; then ok "$1 (exit $3)"; else not_ok "$1: expected exit $2, got $3"; fi
}
die() { echo "not ok - $*"; echo "# stopping: later checks depend on this one"; exit 1; }

export LIAISON_PASSPHRASE_FILE=$tmp/pass
unset LIAISON_PASSPHRASE LIAISON_HOME
printf 'correct horse battery staple\n' >"$tmp/pass"
printf 'not the passphrase\n' >"$tmp/wrong"

liaison() { # HOME ARGS...
	local home=$1; shift
	"$CLIENT" --home "$tmp/$home" "$@"
}

json_field() { # FIELD: prints FIELD of each JSON line on stdin
	python3 -c 'import json,sys
for line in sys.stdin:
    line=line.strip()
    if line: print(json.loads(line)[sys.argv[1]])' "$1"
}

# --- a relay on a random high port --------------------------------------
start_relay() {
	local tries=0
	while [ $tries -lt 5 ]; do
		tries=$((tries + 1))
		[ -n "${port:-}" ] || port=$((20000 + RANDOM % 40000))
		: >"$tmp/relay.log"
		"$SERVER" run --data "$tmp/relay" --listen "127.0.0.1:$port" 2>"$tmp/relay.log" &
		relay_pid=$!
		for _ in $(seq 1 100); do
			grep -q '^listening' "$tmp/relay.log" && return 0
			kill -0 "$relay_pid" 2>/dev/null || break
			sleep 0.1
		done
		kill "$relay_pid" 2>/dev/null
		wait "$relay_pid" 2>/dev/null
		relay_pid=
		[ -n "${fixed_port:-}" ] && return 1
		port=
	done
	return 1
}

port=$((20000 + RANDOM % 40000))
if "$SERVER" init --data "$tmp/relay" --url "wss://127.0.0.1:$port" >"$tmp/init.out" 2>&1 &&
	grep -q '^fingerprint sha256:' "$tmp/init.out"; then
	ok "liaison-server init prints the relay's fingerprint"
else
	die "liaison-server init failed: $(cat "$tmp/init.out")"
fi
fixed_port=1 # the certificate and the invites name this port
start_relay || die "the relay did not print 'listening' on 127.0.0.1:$port: $(cat "$tmp/relay.log")"
ok "the relay is listening on 127.0.0.1:$port"

# --- the bootstrap secretariat -------------------------------------------
"$SERVER" invite --data "$tmp/relay" --authority SECRETARIAT --country NL --name "Network secretariat" \
	>"$tmp/boot.tok" 2>"$tmp/err" || die "liaison-server invite failed: $(cat "$tmp/err")"
liaison sec enroll --token-file "$tmp/boot.tok" --name "Sam Secretary" --kdf interactive \
	>"$tmp/sec.out" 2>"$tmp/err"
rc=$?
sec=$(awk '$1 == "account" {print $2}' "$tmp/sec.out")
root_fp=$(awk '$1 == "root-fingerprint" {print $2}' "$tmp/sec.out")
if [ $rc -eq 0 ] && [[ $sec =~ ^[a-z2-7]{26}$ ]] && [[ $root_fp =~ ^[0-9a-f]{64}$ ]]; then
	ok "the secretariat enrolls with the bootstrap invite and gets the root fingerprint"
else
	die "bootstrap enrollment: exit $rc, output $(cat "$tmp/sec.out") $(cat "$tmp/err")"
fi

role=$(liaison sec whoami --json 2>/dev/null | json_field role)
[ "$role" = secretariat ] && ok "whoami says the secretariat's role" ||
	not_ok "whoami --json role: expected secretariat, got '$role'"

# --- two members ----------------------------------------------------------
liaison sec directory add-authority FR-PNF --country FR --name "Parquet national financier" \
	--type prosecution >/dev/null 2>"$tmp/err" || die "add-authority failed: $(cat "$tmp/err")"
liaison sec directory add-authority DE-BKA --country DE --name "Bundeskriminalamt" \
	--type police >/dev/null 2>"$tmp/err" || die "add-authority failed: $(cat "$tmp/err")"
ok "the secretariat adds two authorities to the directory"
liaison sec invite --authority FR-PNF \
	>"$tmp/a.tok" 2>"$tmp/err" || die "liaison invite failed: $(cat "$tmp/err")"
liaison sec invite --authority DE-BKA >"$tmp/b.tok" 2>"$tmp/err" ||
	die "liaison invite failed: $(cat "$tmp/err")"
[ "$(wc -l <"$tmp/a.tok")" -eq 1 ] && grep -q '^liaison1-' "$tmp/a.tok" &&
	ok "liaison invite prints the token alone" || not_ok "liaison invite output: $(cat "$tmp/a.tok")"

liaison alice enroll --token-file "$tmp/a.tok" --name Alice --kdf interactive \
	--root-fingerprint "$root_fp" >"$tmp/alice.out" 2>"$tmp/err"
rc=$?
alice=$(awk '$1 == "account" {print $2}' "$tmp/alice.out")
[ $rc -eq 0 ] && [[ $alice =~ ^[a-z2-7]{26}$ ]] ||
	die "Alice's enrollment: exit $rc: $(cat "$tmp/err")"
ok "a member enrolls with a minted invite and the circulated root fingerprint"

liaison bob enroll - --name Bob --kdf interactive --root-fingerprint "${root_fp^^}" \
	<"$tmp/b.tok" >"$tmp/bob.out" 2>"$tmp/err"
rc=$?
bob=$(awk '$1 == "account" {print $2}' "$tmp/bob.out")
[ $rc -eq 0 ] && [[ $bob =~ ^[a-z2-7]{26}$ ]] ||
	die "Bob's enrollment from stdin: exit $rc: $(cat "$tmp/err")"
ok "a member enrolls with the token on stdin (fingerprint in upper case)"

liaison sec directory approve "$alice" "$bob" >/dev/null 2>"$tmp/err" ||
	die "the secretariat's approval failed: $(cat "$tmp/err")"
ok "the secretariat approves both members"

# --- three messages while Bob is offline -------------------------------------
sent_ids=()
for i in 1 2 3; do
	out=$(liaison alice send "$bob" "hello Bob, number $i" 2>"$tmp/err")
	rc=$?
	id=$(awk '$1 == "message" {print $2}' <<<"$out")
	if [ $rc -eq 0 ] && [[ $id =~ ^[a-z2-7]{26}$ ]]; then
		sent_ids+=("$id")
	else
		not_ok "Alice's message $i: exit $rc: $(cat "$tmp/err")"
	fi
done
[ ${#sent_ids[@]} -eq 3 ] && ok "Alice sends Bob three messages while he is offline"

liaison bob sync --json >"$tmp/bob.sync" 2>"$tmp/err"
rc=$?
expect_rc "Bob's sync" 0 $rc
got_ids=$(json_field id <"$tmp/bob.sync" | sort)
want_ids=$(printf '%s\n' "${sent_ids[@]}" | sort)
[ "$got_ids" = "$want_ids" ] && ok "Bob gets each of the three messages exactly once, by id" ||
	not_ok "Bob's ids: expected [$want_ids], got [$got_ids]"
texts=$(json_field text <"$tmp/bob.sync")
[ "$texts" = "$(printf 'hello Bob, number %s\n' 1 2 3)" ] && ok "the texts arrive intact and in order" ||
	not_ok "Bob's texts: got [$texts]"
froms=$(json_field from <"$tmp/bob.sync" | sort -u)
[ "$froms" = "$alice" ] && ok "the sender is Alice" || not_ok "from: expected $alice, got [$froms]"

liaison bob sync --json >"$tmp/bob.sync2" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ ! -s "$tmp/bob.sync2" ] && ok "a second sync brings nothing again" ||
	not_ok "second sync: exit $rc, output $(cat "$tmp/bob.sync2") $(cat "$tmp/err")"

# --- Bob replies -------------------------------------------------------------
out=$(liaison bob send "$alice" - <<<"thanks Alice" 2>"$tmp/err")
rc=$?
reply=$(awk '$1 == "message" {print $2}' <<<"$out")
[ $rc -eq 0 ] && [[ $reply =~ ^[a-z2-7]{26}$ ]] && ok "Bob replies (text from stdin)" ||
	not_ok "Bob's reply: exit $rc: $(cat "$tmp/err")"
liaison alice sync --wait 5 --json >"$tmp/alice.sync" 2>"$tmp/err"
rc=$?
[ $rc -eq 0 ] && [ "$(json_field id <"$tmp/alice.sync")" = "$reply" ] &&
	[ "$(json_field text <"$tmp/alice.sync")" = "thanks Alice" ] &&
	ok "Alice syncs and gets Bob's reply" ||
	not_ok "Alice's sync: exit $rc, output $(cat "$tmp/alice.sync") $(cat "$tmp/err")"

# --- both histories -------------------------------------------------------------
liaison alice messages --json >"$tmp/alice.hist" 2>"$tmp/err"
hist=$(python3 - "$tmp/alice.hist" "$alice" "$bob" "${sent_ids[@]}" "$reply" <<'EOF'
import json, sys
path, alice, bob, *ids = sys.argv[1:]
rows = [json.loads(l) for l in open(path) if l.strip()]
assert [r["id"] for r in rows] == ids, [r["id"] for r in rows]
for r in rows[:3]:
    assert r["from"] == alice and r["conversation"] == bob and r["status"] == "sent", r
    assert r["kind"] == "text" and r["verified"] is False and r["sent_at"].endswith("Z"), r
last = rows[3]
assert last["from"] == bob and last["conversation"] == bob and "status" not in last, last
print("fine")
EOF
)
[ "$hist" = fine ] && ok "Alice's history lists both sides, oldest first, her own marked sent" ||
	not_ok "Alice's history: $hist $(cat "$tmp/alice.hist")"
n=$(liaison bob messages "$alice" 2>/dev/null | grep -c '^message ')
[ "$n" -eq 4 ] && ok "Bob's history with Alice has four messages" || not_ok "Bob's history: $n lines"

liaison bob contacts --json >"$tmp/bob.contacts" 2>"$tmp/err"
[ "$(json_field account <"$tmp/bob.contacts")" = "$alice" ] && ok "Bob's contacts list Alice" ||
	not_ok "Bob's contacts: $(cat "$tmp/bob.contacts") $(cat "$tmp/err")"

# --- a message queued while the relay is down goes out later ----------------------
kill "$relay_pid"
wait "$relay_pid" 2>/dev/null
relay_pid=
liaison alice send "$bob" "sent while the relay was down" --timeout 2 >/dev/null 2>"$tmp/err"
expect_rc "sending while the relay is down fails" 1 $?
grep -q queued "$tmp/err" && ok "the error says the message is queued" || not_ok "error: $(cat "$tmp/err")"
start_relay || die "the relay did not restart: $(cat "$tmp/relay.log")"
liaison alice sync >/dev/null 2>"$tmp/err"
expect_rc "Alice's next sync flushes her outbox" 0 $?
status=$(liaison alice messages "$bob" --json 2>/dev/null | tail -n 1 | json_field status)
[ "$status" = sent ] && ok "the queued message is marked sent" || not_ok "status: expected sent, got '$status'"
texts=$(liaison bob sync --json 2>"$tmp/err" | json_field text)
[ "$texts" = "sent while the relay was down" ] && ok "Bob gets the queued message once" ||
	not_ok "Bob's sync after the outage: [$texts] $(cat "$tmp/err")"

# --- a relay with another key on the same address is refused -----------------------
kill "$relay_pid"
wait "$relay_pid" 2>/dev/null
relay_pid=
"$SERVER" init --data "$tmp/impostor" --url "wss://127.0.0.1:$port" >/dev/null 2>&1 ||
	die "a second relay directory could not be made"
"$SERVER" run --data "$tmp/impostor" --listen "127.0.0.1:$port" 2>"$tmp/impostor.log" &
impostor_pid=$!
for _ in $(seq 1 100); do grep -q '^listening' "$tmp/impostor.log" && break; sleep 0.1; done
liaison alice sync >/dev/null 2>"$tmp/err"
expect_rc "a relay whose certificate does not match the pin is refused" 4 $?
kill "$impostor_pid"
wait "$impostor_pid" 2>/dev/null
impostor_pid=
start_relay || die "the relay did not restart: $(cat "$tmp/relay.log")"

# --- refusals ---------------------------------------------------------------------
liaison carol enroll --token-file "$tmp/a.tok" --name Carol --kdf interactive \
	--root-fingerprint "$root_fp" >/dev/null 2>"$tmp/err"
expect_rc "a reused invite is refused" 3 $?

liaison dave enroll --token-file "$tmp/b.tok" --name Dave --kdf interactive \
	--root-fingerprint "$(printf '%064d' 0)" >/dev/null 2>"$tmp/err"
expect_rc "a root fingerprint that does not match is refused" 4 $?

"$CLIENT" --home "$tmp/alice" --passphrase-file "$tmp/wrong" whoami >/dev/null 2>"$tmp/err"
expect_rc "a wrong passphrase is refused" 3 $?

liaison bob sync --wait 5 >/dev/null 2>&1 &
bg_pid=$!
sleep 0.5
liaison bob whoami >/dev/null 2>"$tmp/err"
expect_rc "a second process on a home is refused" 1 $?
kill "$bg_pid" 2>/dev/null
wait "$bg_pid" 2>/dev/null
bg_pid=
impostor_pid=

liaison alice send aaaaaaaaaaaaaaaaaaaaaaaaaa "anyone there?" >/dev/null 2>"$tmp/err"
expect_rc "sending to an unknown account is refused" 4 $?

liaison alice enroll --token-file "$tmp/b.tok" --name Alice2 --kdf interactive \
	--root-fingerprint "$root_fp" >/dev/null 2>"$tmp/err"
expect_rc "enrolling into a home that has an account is refused" 1 $?

liaison alice invite --authority XX-TEST >/dev/null 2>"$tmp/err"
expect_rc "a member may not mint invites" 3 $?

[ $failed -eq 0 ]
