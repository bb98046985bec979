#!/usr/bin/env bash
# The relay is assumed hostile (DESIGN.md §3, §5): it forges an invite's
# root, swaps a pending account's key, serves another key for a contact,
# rolls the directory back, serves an altered change, a member's change,
# different versions to different accounts, and another history signed
# with a stolen secretariat key. Each time the client refuses (exit 4, one
# line saying why) and keeps what it had received. The relay is edited
# while stopped (sqlite3), or replaced by tests/tools/tamper_relay (the real
# relay with the test hook set), which serves each account what $CTL says.
# Freshness (stale heads, a withheld revocation) is hostile_freshness.sh.
. "$(dirname "$0")/lib.bash"
DB=$T/relay/relay.db
CTL=$T/tamper.ctl
: >"$CTL"
. "$(dirname "$0")/lib_tamper.bash"

dir_version() { sql "SELECT max(version) FROM dir_changes"; }
save_change() { sql "SELECT writefile('$2', record) FROM dir_changes WHERE version = $1" >/dev/null; }

network_up alice bruno carla || { notok "network set-up"; finish; }
send_ok bruno "$ACC_alice" "hello alice"
send_ok alice "$ACC_bruno" "hello bruno"
liaison alice sync >/dev/null 2>&1 && liaison bruno sync >/dev/null 2>&1 ||
	notok "the first messages arrive"
expect_eq "alice has bruno's first message" 1 "$(kept alice "hello alice")"

# --- 1. an invite under a root the relay chose ------------------------------
relay_stop
"$TOOLS/dirforge" --home "$T/sec" invite AUTH-alice "$T/eve.invite" >"$T/eve.forge" ||
	notok "the forged invite is made"
EVE_INV=$(awk '$1 == "invite-id" {print $2}' "$T/eve.forge")
sql "INSERT INTO invites(id, redeem_hash, role, authority, expires, bootstrap)
     VALUES (X'$EVE_INV', X'$(awk '$1 == "redeem-hash" {print $2}' "$T/eve.forge")', 1,
             'AUTH-alice', $(awk '$1 == "expires" {print $2}' "$T/eve.forge"), 0)"
relay_start
expect_exit 4 "1. with --root-fingerprint, an invite under another root is refused" \
	liaison eve enroll --token-file "$T/eve.invite" --name "Eve" --root-fingerprint "$ROOT_FP" \
	--kdf interactive
expect_reason "1. it says the invite is not from the network's root" "not from your network's root"
expect_eq "1. the forged invite was not redeemed" 0 "$(sql "SELECT used FROM invites WHERE id = X'$EVE_INV'")"
liaison eve enroll --token-file "$T/eve.invite" --name "Eve" --kdf interactive >"$T/eve.out" 2>"$T/eve.err"
expect_eq "1. without --root-fingerprint the enrollment goes through" 0 $?
EVE=$(awk '$1 == "account" {print $2}' "$T/eve.out")
EVE_ROOT=$(awk '$1 == "root-fingerprint" {print $2}' "$T/eve.out")
if [ -n "$EVE_ROOT" ] && [ "$EVE_ROOT" != "$ROOT_FP" ]; then ok "1. the root fingerprint it printed is not the network's"
else notok "1. the printed root fingerprint: expected one other than $ROOT_FP, got '$EVE_ROOT'"; fi
expect_exit 3 "1. eve waits for approval" liaison eve sync
eve_fp=$(liaison eve whoami --json | python3 -c 'import json,sys; print(json.load(sys.stdin)["fingerprint"])')
check "1. the secretariat approves eve (her key read to it)" \
	q liaison sec directory approve "$EVE" --fingerprint "$eve_fp"
send_ok alice "$EVE" "welcome eve"
expect_exit 4 "1. eve's first directory fetch fails against the real genesis" liaison eve sync
expect_reason "1. it says the directory is not signed as it should be" "directory|signature|signed"
expect_eq "1. alice's message is kept, undecrypted, in eve's history" 1 \
	"$(liaison eve messages --json 2>/dev/null | grep "\"from\":\"$ACC_alice\"" | grep -c '"untrusted":true')"
expect_exit 4 "1. eve cannot send" liaison eve send "$ACC_alice" "hi"

# --- 2. a pending account's key swapped before approval ---------------------
liaison sec invite --authority AUTH-bruno >"$T/dave.invite" &&
	liaison dave enroll --token-file "$T/dave.invite" --name "Dave" --root-fingerprint "$ROOT_FP" \
		--kdf interactive >"$T/dave.out" || notok "dave enrolls"
DAVE=$(awk '$1 == "account" {print $2}' "$T/dave.out")
DAVE_HEX=$(hex_of "$DAVE")
send_ok bruno "$ACC_sec" "to the secretariat"
relay_stop
ORIG=$(sql "SELECT hex(enrollment) || ' ' || hex(signature) || ' ' || hex(identity_key) FROM accounts WHERE id = X'$DAVE_HEX'")
read -r ORIG_ENR ORIG_SIG ORIG_KEY <<<"$ORIG"
"$TOOLS/dirforge" reenroll "$ORIG_ENR" >"$T/dave.swap" || notok "the swapped enrollment is made"
swap() { awk -v k="$1" '$1 == k {print $2}' "$T/dave.swap"; }
sql "UPDATE accounts SET enrollment = X'$(swap enrollment)', signature = X'$(swap signature)',
     identity_key = X'$(swap identity-key)' WHERE id = X'$DAVE_HEX'"
relay_start
expect_exit 4 "2. approve refuses dave's enrollment re-signed by a key the relay swapped in" \
	liaison sec directory approve "$DAVE"
expect_reason "2. it says the enrollment does not match the invite (bind MAC)" "does not match"
relay_stop
# The original enrollment with only its key changed: the self-signature fails.
BAD_ENR=$(python3 -c 'import sys; e, k = sys.argv[1], sys.argv[2]; n = "05" + "ab" * 32
assert e.count(k) == 1; print(e.replace(k, n.upper()))' "$ORIG_ENR" "$ORIG_KEY")
sql "UPDATE accounts SET enrollment = X'$BAD_ENR', signature = X'$ORIG_SIG' WHERE id = X'$DAVE_HEX'"
relay_start
expect_exit 4 "2. approve refuses dave's enrollment with its key bytes replaced" \
	liaison sec directory approve "$DAVE"
expect_reason "2. it says the enrollment is not signed by its key" "not signed by its key|signature"
liaison sec directory pending --json >"$T/pending" 2>/dev/null
expect_eq "2. dave is still pending, not listed" 1 "$(grep -c "\"account\":\"$DAVE\"" "$T/pending")"
liaison sec sync --json >"$T/sec.sync" 2>&1
expect_eq "2. the secretariat still receives its mail" 1 "$(kept sec "to the secretariat")"
relay_stop
sql "UPDATE accounts SET enrollment = X'$ORIG_ENR', signature = X'$ORIG_SIG', identity_key = X'$ORIG_KEY'
     WHERE id = X'$DAVE_HEX'"
relay_start
check "2. with the genuine enrollment back, approve succeeds" q liaison sec directory approve "$DAVE"

# --- 3. a contact's identity key replaced -----------------------------------
# (Editing accounts.identity_key is not enough: the real relay then holds
# the account pending, since its key is not the directory's. The tamper
# relay serves another key in carla's bundles instead.)
send_ok carla "$ACC_alice" "carla speaking"
relay_stop
# carla's message (a session built on carla's key) handed to alice as bruno's
sql "UPDATE mailbox SET sender = X'$(hex_of "$ACC_bruno")' WHERE sender = X'$(hex_of "$ACC_carla")'"
echo "key $ACC_alice $ACC_carla 05$(python3 -c 'import os; print(os.urandom(32).hex())')" >"$CTL"
tamper_start || notok "3. the tamper relay starts"
expect_exit 4 "3. alice refuses to send to carla while the relay serves another key" \
	liaison alice send "$ACC_carla" "is this carla?"
expect_reason "3. it says the key differs" "key differs"
liaison alice sync --json >"$T/s3.json" 2>"$T/s3.err"
expect_eq "3. alice's sync goes on (nothing stuck)" 0 $?
expect_eq "3. the message from a session on another key is quarantined as untrusted" 1 \
	"$(grep "\"from\":\"$ACC_bruno\"" "$T/s3.json" | grep -c '"untrusted":true')"
expect_eq "3. and never shown as text" 0 "$(grep -c 'carla speaking' "$T/s3.json")"
expect_eq "3. bruno's earlier message is still in alice's history" 1 "$(kept alice "hello alice")"
: >"$CTL"
relay_stop
relay_start

# --- 4. the directory rolled back --------------------------------------------
relay_stop
mkdir -p "$T/old" "$T/new"
cp -p "$T/relay"/relay.db* "$T/old/"
relay_start
check "4. the secretariat adds an authority" \
	q liaison sec directory add-authority AUTH-S4 --country DE --name "Authority four" --type police
send_ok bruno "$ACC_alice" "m4"
liaison alice sync >/dev/null 2>&1 || notok "4. alice syncs to the new version"
relay_stop
cp -p "$T/relay"/relay.db* "$T/new/"
rm -f "$T/relay"/relay.db*
cp -p "$T/old"/relay.db* "$T/relay/"
relay_start
expect_exit 4 "4. alice, who saw the newer version, refuses the older copy" liaison alice sync
expect_reason "4. it says the directory was rolled back" "rolled back"
expect_exit 4 "4. and refuses to send" liaison alice send "$ACC_bruno" "still there?"
expect_reason "4. the send says the directory was rolled back" "rolled back"
expect_eq "4. what alice received is still there" 1 "$(kept alice m4)"
relay_stop
rm -f "$T/relay"/relay.db*
cp -p "$T/new"/relay.db* "$T/relay/"
relay_start
check "4. with the current database back, alice syncs again" q liaison alice sync
# A send refused with exit 4 was not queued: it never goes out later.
liaison bruno sync >/dev/null 2>&1
expect_eq "4. the refused message was never delivered to bruno" 0 "$(kept bruno "still there?")"
expect_eq "4. nor kept in alice's history as queued" 0 "$(kept alice "still there?")"

# --- 5. a change altered without a valid signature ---------------------------
check "5. the secretariat adds an authority" \
	q liaison sec directory add-authority AUTH-S5 --country IT --name "Authority five" --type police
V5=$(dir_version)
send_ok bruno "$ACC_alice" "m5"
relay_stop
save_change "$V5" "$T/s5.orig"
python3 - "$T/s5.orig" "$T/s5.rec" <<'EOF'
import sys
rec = open(sys.argv[1], "rb").read()
assert rec.count(b"Authority five") == 1
open(sys.argv[2], "wb").write(rec.replace(b"Authority five", b"Authority evil"))
EOF
echo "change $ACC_alice $V5 $T/s5.rec" >"$CTL"
tamper_start || notok "5. the tamper relay starts"
expect_exit 4 "5. alice refuses the edited change" liaison alice sync
expect_reason "5. it says the directory the relay serves was tampered with" "tampered"
expect_eq "5. the message that came with it is kept" 1 "$(kept alice m5)"
expect_exit 4 "5. alice refuses to send" liaison alice send "$ACC_bruno" "x"
check "5. bruno, served the genuine change, syncs" q liaison bruno sync
: >"$CTL"
check "5. once the relay serves the genuine change, alice syncs" q liaison alice sync

# --- 7. a change posted by a member --------------------------------------------
"$TOOLS/dirforge" --home "$T/alice" member-change "$T/s7.rec" "$T/s7.head" >/dev/null ||
	notok "7. alice's change is signed with a key of her own"
check "7. the secretariat adds an authority" \
	q liaison sec directory add-authority AUTH-S7 --country ES --name "Authority seven" --type police
V7=$(dir_version)
send_ok alice "$ACC_bruno" "m7"
printf 'change %s %s %s\nhead %s %s\n' "$ACC_bruno" "$V7" "$T/s7.rec" "$ACC_bruno" "$T/s7.head" >"$CTL"
expect_exit 4 "7. bruno refuses a change signed by a member" liaison bruno sync
expect_reason "7. it says the change is not signed by a secretariat" "not signed by an active, certified secretariat"
expect_eq "7. the message that came with it is kept" 1 "$(kept bruno m7)"
: >"$CTL"
check "7. once the relay serves the genuine change, bruno syncs" q liaison bruno sync

# --- 9. two clients shown different versions ----------------------------------
V9=$(dir_version)
save_head "$T/s9.head"
printf 'upto %s %s\nhead %s %s\n' "$ACC_bruno" "$V9" "$ACC_bruno" "$T/s9.head" >"$CTL"
check "9. the secretariat adds an authority" \
	q liaison sec directory add-authority AUTH-S9 --country PT --name "Authority nine" --type police
check "9. bruno, kept on the older version, cannot tell yet" q liaison bruno sync
expect_exit 1 "9. bruno's directory lacks the new authority" liaison bruno directory show AUTH-S9
liaison alice sync >/dev/null 2>&1
check "9. alice sees the new version" q liaison alice directory show AUTH-S9
send_ok alice "$ACC_bruno" "m9"
expect_exit 4 "9. a message carrying alice's newer head shows bruno the relay withholds it" \
	liaison bruno sync
expect_reason "9. it says the relay withholds changes" "withholds"
expect_eq "9. the message is kept" 1 "$(kept bruno m9)"
: >"$CTL"
check "9. once the relay serves the change, bruno syncs" q liaison bruno sync

# --- 10. another history signed with the secretariat's own (stolen) key --------
"$TOOLS/dirforge" --home "$T/sec" fork "$T/s10.rec" "$T/s10.head" >"$T/s10.out" ||
	notok "10. the other history is signed with the secretariat's key"
FORGED=$(awk '{print $3}' "$T/s10.out")
check "10. the secretariat adds an authority (the genuine version)" \
	q liaison sec directory add-authority AUTH-S10 --country GR --name "Authority ten" --type police
V10=$(dir_version)
printf 'change %s %s %s\nhead %s %s\n' "$ACC_bruno" "$V10" "$T/s10.rec" "$ACC_bruno" "$T/s10.head" >"$CTL"
check "10. bruno takes the other history (validly signed: it cannot tell alone)" q liaison bruno sync
check "10. bruno's directory shows the forged authority" q liaison bruno directory show "$FORGED"
liaison alice sync >/dev/null 2>&1
check "10. alice has the genuine version" q liaison alice directory show AUTH-S10
send_ok alice "$ACC_bruno" "m10"
# The other way round: bruno's message (sent before he knows) carries the
# forged head to alice.
send_ok bruno "$ACC_alice" "m10b"
expect_exit 4 "10. alice's message carrying the genuine head shows bruno the fork" liaison bruno sync
expect_reason "10. it says the directory forked, to tell the secretariat" "forked.*secretariat"
expect_eq "10. the message is kept" 1 "$(kept bruno m10)"
expect_exit 4 "10. bruno's message carrying the forged head shows alice the fork" liaison alice sync
expect_reason "10. it says the directory forked, to tell the secretariat" "forked.*secretariat"
expect_eq "10. bruno's message is kept" 1 "$(kept alice m10b)"
# The fork is remembered: every later networked command refuses with the
# same reason, and mail still arrives and is kept (nothing lost).
send_ok carla "$ACC_bruno" "m10c"
expect_exit 4 "10. bruno's next sync still refuses the forked directory" liaison bruno sync
expect_reason "10. with the same reason" "forked.*secretariat"
expect_eq "10. a message that arrives meanwhile is kept" 1 "$(kept bruno m10c)"
expect_exit 4 "10. bruno's send is refused" liaison bruno send "$ACC_alice" "after the fork"
expect_reason "10. with the same reason" "forked.*secretariat"
expect_eq "10. the refused message is not queued" 0 "$(kept bruno "after the fork")"
expect_exit 4 "10. alice's next sync refuses too" liaison alice sync
expect_reason "10. with the same reason" "forked.*secretariat"
expect_exit 4 "10. alice's send is refused" liaison alice send "$ACC_bruno" "after the fork too"
expect_exit 4 "10. a relay serving the other history again changes nothing for bruno" liaison bruno sync
: >"$CTL"
expect_exit 4 "10. a faithful relay changes nothing for bruno either" liaison bruno sync
expect_reason "10. with the same reason" "forked.*secretariat"
liaison alice sync >/dev/null 2>&1
expect_eq "10. neither refused message ever reached anyone" 0 \
	"$(( $(kept alice "after the fork") + $(kept bruno "after the fork too") ))"

relays_clean
finish
