#!/usr/bin/env bash
# A hostile relay and time (DESIGN.md §3, §5): on a network whose heads live
# a few seconds, a relay that stops serving fresh heads (no refresh, or an
# old copy of its database after a refresh) is caught once the head expires
# (exit 4, stale) and `directory refresh` by the secretariat cures it; a
# revocation withheld from one client (tests/tools/tamper_relay serving it
# the head before the revocation) is caught at once when a peer's message
# carries the newer head (withheld), and otherwise within one head lifetime
# (stale). Nothing received is lost.
. "$(dirname "$0")/lib.bash"
DB=$T/relay/relay.db
CTL=$T/tamper.ctl
: >"$CTL"
. "$(dirname "$0")/lib_tamper.bash"
HEAD_LIFETIME=12

# The expiry (ms) of a head record: LV, key id, signature, u32 length, then
# LV, version, chain hash, issued, expires.
expiry_of() {
	python3 -c 'import sys; r = open(sys.argv[1], "rb").read(); print(int.from_bytes(r[134:142], "big"))' "$1"
}
# wait_past FILE: sleeps until the head in FILE has expired (bounded).
wait_past() {
	local exp now
	exp=$(expiry_of "$1")
	now=$(date +%s%3N)
	if [ $((exp - now)) -gt $(((HEAD_LIFETIME + 2) * 1000)) ]; then
		notok "a head expiring within the lifetime: expires in $((exp - now)) ms"; return
	fi
	[ "$exp" -gt "$now" ] && sleep "$(python3 -c "print(($exp - $now + 300) / 1000)")"
}

network_up alice bruno carla || { notok "network set-up"; finish; }
send_ok bruno "$ACC_alice" "before expiry"
check "a member syncs while the head is fresh" q liaison alice sync

# --- 6. the head frozen past its expiry ---------------------------------------
send_ok bruno "$ACC_alice" "m6"
save_head "$T/s6.head"
wait_past "$T/s6.head"
expect_exit 4 "6. with no refresh, alice's sync refuses the expired head" liaison alice sync
expect_reason "6. it says the directory is stale and what to do" "stale.*directory refresh"
expect_eq "6. the message that waited is kept" 1 "$(kept alice m6)"
expect_exit 4 "6. alice refuses to send" liaison alice send "$ACC_bruno" "x"
relay_stop
mkdir -p "$T/old" "$T/new"
cp -p "$T/relay"/relay.db* "$T/old/"
relay_start
check "6. the secretariat refreshes the expired head" q liaison sec directory refresh
check "6. which cures alice" q liaison alice sync
relay_stop
cp -p "$T/relay"/relay.db* "$T/new/"
rm -f "$T/relay"/relay.db*
cp -p "$T/old"/relay.db* "$T/relay/"
relay_start
expect_exit 4 "6. a relay serving its copy from before the refresh is caught" liaison alice sync
expect_reason "6. it says the directory is stale" "stale"
relay_stop
rm -f "$T/relay"/relay.db*
cp -p "$T/new"/relay.db* "$T/relay/"
relay_start
check "6. with the refreshed head served, alice syncs" q liaison alice sync

# --- 8. a revocation withheld from one client ------------------------------------
relay_stop
V8=$(sql "SELECT max(version) FROM dir_changes")
save_head "$T/s8.head"
printf 'upto %s %s\nhead %s %s\n' "$ACC_alice" "$V8" "$ACC_alice" "$T/s8.head" >"$CTL"
tamper_start || notok "8. the tamper relay starts"
send_ok bruno "$ACC_alice" "m8"
check "8. the secretariat revokes bruno" q liaison sec directory revoke "$ACC_bruno"
check "8. alice, served the head before the revocation, cannot tell yet" q liaison alice sync
expect_eq "8. alice's directory still shows bruno active (withheld)" active \
	"$(liaison alice directory show AUTH-bruno --json 2>/dev/null |
	   python3 -c 'import json,sys; print(json.load(sys.stdin)["contacts"][0]["status"])' 2>&1)"
check "8. carla gets the revocation" q liaison carla sync
send_ok carla "$ACC_alice" "news from carla"
expect_exit 4 "8. carla's message carries the newer head: alice is told at once" liaison alice sync
expect_reason "8. it says the relay withholds changes" "withholds"
expect_eq "8. carla's message is kept" 1 "$(kept alice "news from carla")"
expect_eq "8. bruno's message from before the revocation is kept" 1 "$(kept alice m8)"
# The withholding is remembered: the relay's older head is refused on every
# later run until it supplies the changes, and the revoked bruno gets nothing.
expect_exit 4 "8. alice's next sync still refuses the withheld directory" liaison alice sync
expect_reason "8. it says the relay withholds changes" "withholds"
SENT_BEFORE=$(sql "SELECT count(*) FROM sent_ids WHERE sender = X'$(hex_of "$ACC_alice")'")
expect_exit 4 "8. alice's send to bruno (revoked, withheld) is refused" \
	liaison alice send "$ACC_bruno" "to the revoked bruno"
expect_reason "8. it says the relay withholds changes" "withholds"
expect_eq "8. the refused message is not queued" 0 "$(kept alice "to the revoked bruno")"
wait_past "$T/s8.head"
expect_exit 4 "8. without a peer's message, alice is told within one head lifetime" liaison alice sync
expect_reason "8. it says the directory is stale" "stale"
: >"$CTL"
check "8. once the relay serves the revocation, alice syncs" q liaison alice sync
expect_exit 3 "8. and refuses to send to the revoked bruno" liaison alice send "$ACC_bruno" "y"
expect_eq "8. nothing from alice reached the relay for the revoked bruno" "$SENT_BEFORE" \
	"$(sql "SELECT count(*) FROM sent_ids WHERE sender = X'$(hex_of "$ACC_alice")'")"

relays_clean
finish
