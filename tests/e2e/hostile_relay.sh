#!/usr/bin/env bash
# The relay is assumed hostile (DESIGN.md §3, §7): these scenarios edit a
# stopped relay's database and show the clients refusing. A replayed
# message is a duplicate, not a second message; a message whose sender or
# id the relay changed is never shown as genuine; nothing genuine is lost.
. "$(dirname "$0")/lib.bash"
DB=$T/relay/relay.db

network_up alice bruno carla || { notok "network set-up"; finish; }
hex_of() { python3 -c 'import base64,sys; print(base64.b32decode(sys.argv[1].upper()+"======").hex())' "$1"; }
sql() { sqlite3 "$DB" "$1"; }
texts() { grep -c "\"text\":\"$2\"" "$1"; }

# --- replay: the relay delivers the same ciphertexts again -----------------
liaison alice send "$ACC_bruno" "first" >/dev/null && liaison alice send "$ACC_bruno" "second" >/dev/null
relay_stop
sql "CREATE TABLE saved AS SELECT * FROM mailbox"
relay_start
liaison bruno sync --json >"$T/s1.json"
expect_eq "bruno gets both messages" 2 "$(grep -c '"id"' "$T/s1.json")"
relay_stop
sql "INSERT INTO mailbox(recipient, sender, message_id, type, ciphertext, received_at)
     SELECT recipient, sender, message_id, type, ciphertext, received_at FROM saved"
expect_eq "the relay's database now holds the replayed copies" 2 "$(sql 'SELECT count(*) FROM mailbox')"
relay_start
liaison bruno sync --json >"$T/s2.json"
expect_eq "a replayed message is taken as a duplicate: the sync succeeds" 0 $?
expect_eq "a replayed message is not shown again" 0 "$(grep -c '"id"' "$T/s2.json")"
liaison bruno messages --json >"$T/h1.json"
expect_eq "bruno's history holds 'first' once" 1 "$(texts "$T/h1.json" first)"
expect_eq "bruno's history holds 'second' once" 1 "$(texts "$T/h1.json" second)"
expect_eq "the replayed copies were acknowledged and deleted" 0 "$(sql 'SELECT count(*) FROM mailbox')"

# --- the relay names another sender --------------------------------------
liaison alice send "$ACC_bruno" "third" >/dev/null
relay_stop
sql "UPDATE mailbox SET sender = X'$(hex_of "$ACC_carla")'"
relay_start
liaison bruno sync --json >"$T/s3.json"
expect_eq "the sync still succeeds (nothing lost, nothing stuck)" 0 $?
expect_eq "alice's text is never shown as carla's" 0 "$(grep '"text":"third"' "$T/s3.json" | grep -c "\"from\":\"$ACC_carla\"")"
check "the message is kept and marked as not decrypted" grep -q '"error"' "$T/s3.json"

# --- the relay changes a message id (envelope and inner header differ) ----
liaison alice send "$ACC_bruno" "fourth" >/dev/null
relay_stop
sql "UPDATE mailbox SET message_id = randomblob(16)"
relay_start
liaison bruno sync --json >"$T/s4.json"
expect_eq "the sync still succeeds" 0 $?
expect_eq "a message whose id the relay changed is not accepted as text" 0 "$(texts "$T/s4.json" fourth)"
check "it is kept with its error" grep -q '"error"' "$T/s4.json"

# --- genuine traffic goes on ----------------------------------------------
liaison alice send "$ACC_bruno" "fifth" >/dev/null
liaison bruno sync --json >"$T/s5.json"
expect_eq "the next genuine message arrives" 1 "$(texts "$T/s5.json" fifth)"
liaison bruno send "$ACC_alice" "reply" >/dev/null && liaison alice sync --json >"$T/a.json"
expect_eq "and bruno's reply reaches alice" 1 "$(texts "$T/a.json" reply)"

finish
