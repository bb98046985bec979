#!/usr/bin/env bash
# End to end on loopback, two directory paths nothing else exercises:
# 1. A network bootstrapped with --snapshot-every 3 leaves signed snapshots
#    (also after a batch of approvals that steps over a multiple of 3); a new
#    member's first sync starts from the latest one: with every change up to
#    that snapshot hidden from the relay's database it still verifies and
#    lists every authority and contact (a client holding an older state
#    cannot, which shows the hiding bites); a snapshot whose state was
#    tampered with in the relay's database is refused (exit 4) while clients
#    that hold a state are unaffected.
# 2. `directory refresh` waits for the home's lock (for cron) while another
#    command on the same home refuses at once (exit 1).
# The relay's database is edited behind its back with python3's sqlite3
# while it runs; it is never restarted on the edited database.
source "$(dirname "$0")/lib.bash"

DB=$T/relay/relay.db

# sql STATEMENT [ARG...]: runs one statement on the relay's database and
# prints the rows of a query, one value a line.
sql() {
	python3 - "$DB" "$@" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
for row in db.execute(sys.argv[2], sys.argv[3:]):
    print(*row)
db.commit()
EOF
}
snapshot_version() { sql "SELECT version FROM dir_snapshot"; }
relay_version() {
	"$BIN/liaison-server" status --data "$T/relay" --json |
		python3 -c 'import json,sys; print(json.load(sys.stdin)["directory_version"])'
}
# flip_state TEXT: changes the first byte of TEXT in the stored
# snapshot's state (XOR 0x20: a letter's case, so the state still decodes).
flip_state() {
	python3 - "$DB" "$1" <<'EOF'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], timeout=10)
(state,) = db.execute("SELECT state FROM dir_snapshot").fetchone()
state = bytearray(state)
i = state.find(sys.argv[2].encode())
if i < 0:
    sys.exit("not in the snapshot's state: " + sys.argv[2])
state[i] ^= 0x20
db.execute("UPDATE dir_snapshot SET state = ?", (bytes(state),))
db.commit()
EOF
}
# authorities and accounts of a `directory list --json` file, sorted.
listed() {
	python3 -c 'import json,sys
auth, acc = [], []
for line in open(sys.argv[1]):
    d = json.loads(line)
    auth.append(d["authority"])
    acc += [c["account"] for c in d["contacts"]]
print(" ".join(sorted(auth)), "|", " ".join(sorted(acc)))' "$1"
}
# enroll_in HOME AUTHORITY: invited by "sec", enrolled, not yet approved.
enroll_in() {
	liaison sec invite --authority "$2" >"$T/$1.invite" 2>"$T/err" &&
		liaison "$1" enroll --token-file "$T/$1.invite" --name "Member $1" \
			--root-fingerprint "$ROOT_FP" --kdf interactive >"$T/$1.enroll" 2>"$T/err" &&
		printf -v "ACC_$1" '%s' "$(awk '$1 == "account" {print $2}' "$T/$1.enroll")"
}
add_authority() { liaison sec directory add-authority "$1" --country "$2" --name "$3" --type "$4" >/dev/null; }

# --- 1. snapshots ---------------------------------------------------------------
# Version 1 genesis, 2 AUTH-alice, 3 AUTH-bruno (snapshot), 4-5 alice, bruno.
SNAPSHOT_EVERY=3 network_up alice bruno || { notok "the network comes up: $(cat "$T/relay.log")"; finish; }
expect_eq "the relay's directory is at version 5" 5 "$(relay_version)"
expect_eq "with --snapshot-every 3 the relay holds a snapshot at version 3" 3 "$(snapshot_version)"
check "alice syncs (she holds version 5 from now on)" liaison alice sync

check "the secretariat adds CO-FGN (version 6)" add_authority CO-FGN CO "Fiscalía General de la Nación" prosecution
expect_eq "version 6 leaves a snapshot" 6 "$(snapshot_version)"
check "the secretariat adds UA-NABU (version 7)" \
	add_authority UA-NABU UA "Національне антикорупційне бюро України" anti-corruption
check "the secretariat adds FR-TRACFIN (version 8)" add_authority FR-TRACFIN FR Tracfin fiu
expect_eq "version 7 and 8 leave none" 6 "$(snapshot_version)"
enroll_in carla CO-FGN || notok "carla enrolls: $(cat "$T/err")"
enroll_in dora UA-NABU || notok "dora enrolls: $(cat "$T/err")"
check "the secretariat approves carla and dora together (versions 9 and 10)" approve carla dora
expect_eq "a batch that steps over version 9 leaves a snapshot at its end" 10 "$(snapshot_version)"

enroll_in nina FR-TRACFIN || notok "nina enrolls: $(cat "$T/err")"
check "the secretariat approves nina (version 11)" approve nina
expect_eq "the relay is at version 11, its latest snapshot at 10" "11 10" \
	"$(relay_version) $(snapshot_version)"

# Hide every change up to the snapshot: only version 11 can still be served.
sql "CREATE TABLE hidden_changes AS SELECT * FROM dir_changes WHERE version <= 10"
sql "DELETE FROM dir_changes WHERE version <= 10"
expect_eq "the relay's database now holds only change 11" 11 "$(sql "SELECT version FROM dir_changes")"
expect_exit 0 "nina's first sync verifies with changes 1-10 gone: it starts from the snapshot at 10" \
	liaison nina sync
expect_exit 4 "alice, who holds version 5 and needs changes 6-11, cannot update now (the hiding bites)" \
	liaison alice sync
liaison nina directory list --json >"$T/nina.list" 2>"$T/err"
liaison sec directory list --json >"$T/sec.list" 2>>"$T/err"
expect_eq "nina's directory lists every authority and contact, also those added before the snapshot" \
	"AUTH-alice AUTH-bruno CO-FGN FR-TRACFIN SECRETARIAT UA-NABU | $(printf '%s\n' "$ACC_sec" \
	"$ACC_alice" "$ACC_bruno" "$ACC_carla" "$ACC_dora" "$ACC_nina" | sort | tr '\n' ' ' | sed 's/ $//')" \
	"$(listed "$T/nina.list")"
cmp -s "$T/nina.list" "$T/sec.list" && ok "nina's directory is exactly the secretariat's" ||
	notok "nina's directory differs from the secretariat's: $(diff "$T/nina.list" "$T/sec.list" | head -c 400)"
sql "INSERT INTO dir_changes SELECT * FROM hidden_changes"
sql "DROP TABLE hidden_changes"
expect_exit 0 "with the changes back, alice catches up from version 5" liaison alice sync

# A snapshot whose state the relay altered: version 12 leaves a new one.
enroll_in olga FR-TRACFIN || notok "olga enrolls: $(cat "$T/err")"
check "the secretariat approves olga (version 12)" approve olga
expect_eq "version 12 leaves a snapshot" 12 "$(snapshot_version)"
if flip_state "Authority of alice"; then
	ok "the relay's stored snapshot state now says 'authority of alice'"
else
	notok "tampering with the stored snapshot state"
fi
expect_exit 4 "olga's first sync refuses the tampered snapshot" liaison olga sync
check "the refusal says the directory was tampered with and what to do" \
	grep -q "tampered with.*tell the secretariat" "$T/last.err"
expect_exit 1 "olga keeps no directory from it" liaison olga directory list
check "nina, who holds version 11, still syncs (change 12 only)" liaison nina sync
check "alice still syncs" liaison alice sync
check "the secretariat can still refresh the head" liaison sec directory refresh
liaison nina directory show AUTH-alice --json 2>"$T/err" | grep -q '"name": *"Authority of alice"' &&
	ok "nina's directory keeps the genuine name" || notok "nina's AUTH-alice: $(cat "$T/err")"
flip_state "authority of alice" || notok "restoring the stored snapshot state"
expect_exit 0 "with the genuine snapshot back, olga's sync starts from it" liaison olga sync
liaison olga directory list --json >"$T/olga.list" 2>"$T/err"
liaison sec directory list --json >"$T/sec.list" 2>>"$T/err"
cmp -s "$T/olga.list" "$T/sec.list" && ok "olga's directory is exactly the secretariat's" ||
	notok "olga's directory differs: $(diff "$T/olga.list" "$T/sec.list" | head -c 400)"

# --- 2. refresh waits for the home's lock ---------------------------------------------
head_record() { sql "SELECT hex(record) FROM dir_head"; }
head0=$(head_record)
flock "$T/sec/lock" -c "touch '$T/held'; sleep 3" &
FLOCK_PID=$!
for i in $(seq 1 50); do [ -e "$T/held" ] && break; sleep 0.1; done
[ -e "$T/held" ] && ok "flock(1) holds the secretariat's home lock for 3 s" || notok "flock did not take the lock"
start=$(date +%s.%N)
expect_exit 1 "whoami on the held home refuses" liaison sec whoami
grep -q "in use by another liaison process" "$T/last.err" &&
	ok "it says the home is in use by another liaison process" || notok "whoami said: $(cat "$T/last.err")"
took=$(python3 -c "import sys,time; print(time.time() - float(sys.argv[1]) < 1.5)" "$start")
expect_eq "it refuses at once, without waiting" True "$took"
start=$(date +%s.%N)
expect_exit 0 "directory refresh started meanwhile succeeds" liaison sec directory refresh
took=$(python3 -c "import sys,time; print(time.time() - float(sys.argv[1]) >= 1.5)" "$start")
expect_eq "it waited for the lock's release" True "$took"
wait "$FLOCK_PID"
head1=$(head_record)
[ -n "$head1" ] && [ "$head1" != "$head0" ] && ok "the relay holds the newly signed head" ||
	notok "the relay's head did not change"

# The same with a liaison process holding the lock: a sync waiting 4 s.
liaison sec sync --wait 4 >/dev/null 2>"$T/sync.err" &
SYNC_PID=$!
# Watched in /proc/locks: probing with flock -n could itself take the lock
# at the moment the sync asks for it.
lock_inode=$(stat -c %i "$T/sec/lock")
held=0
for i in $(seq 1 50); do
	grep -Eq "FLOCK .*:$lock_inode " /proc/locks && { held=1; break; }
	sleep 0.1
done
expect_eq "a waiting sync holds the secretariat's home lock" 1 "$held"
expect_exit 0 "directory refresh started during the sync succeeds once it ends" \
	liaison sec directory refresh
wait "$SYNC_PID"
expect_eq "the sync itself ended well" 0 "$?"
[ "$(head_record)" != "$head1" ] && ok "the relay holds the head signed after the sync" ||
	notok "the relay's head did not change after the second refresh"

finish
