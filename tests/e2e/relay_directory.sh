#!/usr/bin/env bash
# The relay's side of the signed directory (docs/PROTOCOL.md §4), driven by
# the test tool dirpost (its own accounts and keys, no client home): the
# genesis only from the bootstrap account, accounts pending until a change
# lists them, changes refused unless signed in order by the submitter's own
# certified key, revocation ending access at once, and a relay that refuses
# to start on a stored directory that no longer verifies.
. "$(dirname "$0")/lib.bash"
DP=$ROOT/${LIAISON_TEST_BUILD:-build}/tools/dirpost
SERVER=$BIN/liaison-server

relay_init && relay_start || { notok "relay start"; finish; }
PIN=$(awk '$1 == "fingerprint" {print $2}' "$T/init.out")
URL="wss://127.0.0.1:$PORT"
# dp NAME ARGS...: the tool as account NAME (keys in $T/NAME.keys).
dp() { local who=$1; shift; "$DP" --url "$URL" --pin "$PIN" --keys "$T/$who.keys" "$@"; }
# expect_out "what" WANT_PREFIX NAME ARGS...: the tool's first line starts with WANT.
expect_out() {
	local what=$1 want=$2; shift 2
	local got
	got=$(dp "$@" 2>&1 | head -n 1)
	case "$got" in "$want"*) ok "$what ($got)";; *) notok "$what: expected '$want...', got '$got'";; esac
}
status_version() { "$SERVER" status --data "$T/relay" | awk '$1 == "directory-version" {print $2}'; }

"$SERVER" invite --data "$T/relay" --authority SECRETARIAT --country UN --name Secretariat \
	>"$T/boot.invite" || { notok "bootstrap invite"; finish; }
SEC=$(dp sec enroll "$T/boot.invite" "Sam Secretariat" | awk '$1 == "account" {print $2}')
[ -n "$SEC" ] && ok "the bootstrap secretariat enrolls" || { notok "bootstrap enrollment"; finish; }

# --- before the genesis: the transitional rule ---------------------------
expect_out "before any directory the bootstrap account is active" "status active" sec login
dp sec invite member AUTH-EARLY "$T/early.invite" >/dev/null
EARLY=$(dp early enroll "$T/early.invite" "Early Member" | awk '$1 == "account" {print $2}')
expect_out "a member enrolled before any directory exists is active, as before" "status active" early login
expect_out "an empty directory head before version 1" "ok" early request head
expect_out "a member cannot publish the genesis" "error -13" early bad genesis-again
expect_eq "status shows directory version 0 before the genesis" 0 "$(status_version)"

# --- the genesis ----------------------------------------------------------
expect_out "the bootstrap secretariat publishes the genesis" "ok" sec genesis 3600 3
expect_eq "status shows directory version 1" 1 "$(status_version)"
expect_out "a second genesis is refused (out of order)" "error -39" sec bad genesis-again
expect_out "the root holder is still active after the genesis" "status active" sec login
expect_out "an account enrolled before the genesis keeps its access (transitional)" \
	"status active" early login

# --- pending until listed -------------------------------------------------
dp sec invite member AUTH-FR "$T/alice.invite" >/dev/null
ALICE=$(dp alice enroll "$T/alice.invite" "Alice Member" | awk '$1 == "account" {print $2}')
dp sec invite member AUTH-DE "$T/bruno.invite" >/dev/null
BRUNO=$(dp bruno enroll "$T/bruno.invite" "Bruno Member" | awk '$1 == "account" {print $2}')
[ -n "$ALICE" ] && [ -n "$BRUNO" ] && ok "two members enroll after the genesis" || notok "member enrollment"
expect_out "a new member logs in as pending" "status pending" alice login
for r in head changes snapshot fetch pending; do
	expect_out "a pending member's $r request is refused as pending" "error -27" alice request $r
done
expect_out "a pending member cannot send" "error -27" alice request send "$SEC"
expect_out "a bundle for a pending account says pending" "error -27" sec request bundle "$ALICE"
expect_out "a send to a pending account is refused (not listed)" "error -20" sec request send "$ALICE"
expect_out "a member cannot list pending enrollments" "error -13" early request pending
dp sec request pending >/dev/null
expect_out "the secretariat lists pending enrollments" "ok" sec request pending
expect_out "a member cannot register an invite" "error -13" early invite member AUTH-X "$T/x.invite"

# --- approval ---------------------------------------------------------------
expect_out "the secretariat approves alice (add-authority, add-contact)" "ok" sec approve "$ALICE"
expect_out "alice is active once listed" "status active" alice login
expect_out "alice fetches the head" "ok" alice request head
expect_out "alice follows the chain of changes and it verifies" "version 3" alice version
expect_out "bruno is still pending" "status pending" bruno login
expect_out "a member's change is refused" "error -13" alice add-authority MEMBER-AUTH FR
expect_out "a bundle for alice is served" "ok" sec request bundle "$ALICE"

# --- bad publications -------------------------------------------------------
expect_out "an unsigned change is refused" "error -5" sec bad unsigned
expect_out "a change signed by another key under the secretariat's key id is refused" "error -5" sec bad missigned
expect_out "a change signed by an unknown key is refused" "error -38" sec bad foreign-key
expect_out "a change out of order is refused" "error -39" sec bad out-of-order
expect_out "a replayed change is refused" "error -39" sec bad replay
expect_out "an expired head is refused" "error -41" sec bad stale-head
expect_out "a head for the state before the change is refused" "error -34" sec bad head-behind
expect_out "a change without a head is refused" "error -2" sec bad no-head
expect_out "a snapshot of another state is refused" "error -5" sec bad bad-snapshot
expect_eq "nothing of the refused publications was stored" 3 "$(status_version)"
expect_out "a head alone (refresh) is accepted" "ok" sec refresh
expect_out "the secretariat adds an authority" "ok" sec add-authority AUTH-IT IT
expect_out "the snapshot made at version 3 is served" "ok" alice request snapshot

# --- a second secretariat ---------------------------------------------------
expect_out "only the root holder mints secretariat invites" "ok" sec invite secretariat SECRETARIAT "$T/sec2.invite"
SEC2=$(dp sec2 enroll "$T/sec2.invite" "Second Secretariat" | awk '$1 == "account" {print $2}')
expect_out "a second secretariat is pending until approved" "status pending" sec2 login
expect_out "the root holder approves the second secretariat" "ok" sec approve "$SEC2"
expect_out "the second secretariat publishes with its own key" "ok" sec2 add-authority AUTH-ES ES
expect_out "the second secretariat approves bruno" "ok" sec2 approve "$BRUNO"
expect_out "bruno is active" "status active" bruno login
expect_out "a secretariat that is not the root holder cannot mint a secretariat invite" \
	"error -13" sec2 invite secretariat SECRETARIAT "$T/sec3.invite"

# --- revocation ---------------------------------------------------------------
dp bruno hold 15 >"$T/hold.out" 2>&1 &
HOLD=$!
sleep 1
expect_out "the secretariat revokes bruno in the directory" "ok" sec2 revoke "$BRUNO"
wait "$HOLD"
expect_eq "bruno's open connection is closed with REVOKED" "closed error -21" \
	"$(head -n 1 "$T/hold.out" | cut -d' ' -f1-3)"
expect_out "bruno can no longer log in" "error -21" bruno login
expect_out "a bundle for bruno is refused as revoked" "error -21" alice request bundle "$BRUNO"
expect_out "bruno's identity key is still served" "ok" alice request identity "$BRUNO"
expect_out "a send to bruno is refused as revoked" "error -21" alice request send "$BRUNO"
expect_out "the root holder revokes the second secretariat" "ok" sec revoke "$SEC2"
expect_out "the revoked secretariat cannot log in" "error -21" sec2 login
FINAL=$(status_version)

# --- restart: the stored directory is verified again --------------------------
relay_stop
relay_start || { notok "restart"; finish; }
grep -q "directory version $FINAL verified in" "$T/relay.log" &&
	ok "at start the relay verifies the stored directory (version $FINAL) and logs the time" ||
	notok "restart log: $(cat "$T/relay.log")"
expect_out "alice is still active after the restart" "status active" alice login
expect_out "bruno is still revoked after the restart" "error -21" bruno login
relay_stop

# A damaged change record: the relay refuses to start, with one clear line.
python3 - "$T/relay/relay.db" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
rec = bytearray(db.execute("SELECT record FROM dir_changes WHERE version = 2").fetchone()[0])
rec[-1] ^= 1
db.execute("UPDATE dir_changes SET record = ? WHERE version = 2", (bytes(rec),))
db.commit()
EOF
"$SERVER" run --data "$T/relay" --listen "127.0.0.1:$PORT" >"$T/bad.out" 2>"$T/bad.err" &
BADPID=$!
for i in $(seq 1 50); do kill -0 "$BADPID" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$BADPID" 2>/dev/null; then
	kill -9 "$BADPID"; notok "a relay with a damaged directory must not start"
else
	wait "$BADPID"; rc=$?
	expect_eq "a relay with a damaged directory exits 1" 1 "$rc"
	grep -q "^liaison-server: run: the stored directory does not verify (change at version 2" \
		"$T/bad.err" && ok "and says so in one line: $(grep '^liaison-server' "$T/bad.err")" ||
		notok "the refusal line: $(cat "$T/bad.err")"
fi
finish
