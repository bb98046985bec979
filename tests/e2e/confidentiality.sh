#!/usr/bin/env bash
# The relay cannot read what it carries, and a seized home shows neither
# plaintext nor who talks to whom (DESIGN.md §3, §9).
. "$(dirname "$0")/lib.bash"

network_up alice bruno || { notok "network set-up"; finish; }
MARKER="ZEBRA-$(date +%s)-MARKER-PLAINTEXT"
liaison alice send "$ACC_bruno" "the marker is $MARKER" >/dev/null || notok "send exits 0"

# scan DIR PATTERN: the files under DIR (WAL and journals included) with it.
scan() { grep -rlaF -- "$2" "$1" 2>/dev/null; }

expect_eq "while queued, the marker is nowhere in the relay's data directory" "" "$(scan "$T/relay" "$MARKER")"
liaison bruno sync >"$T/sync.out" || notok "sync exits 0"
check "bruno reads the marker" grep -qF "$MARKER" "$T/sync.out"
relay_stop
expect_eq "after delivery, the marker is nowhere in the relay's data directory" "" "$(scan "$T/relay" "$MARKER")"
expect_eq "the marker is nowhere in clear in alice's home" "" "$(scan "$T/alice" "$MARKER")"
expect_eq "the marker is nowhere in clear in bruno's home" "" "$(scan "$T/bruno" "$MARKER")"
expect_eq "bruno's account id is nowhere in clear in alice's home" "" "$(scan "$T/alice" "$ACC_bruno")"
expect_eq "alice's account id is nowhere in clear in bruno's home" "" "$(scan "$T/bruno" "$ACC_alice")"
# The raw 16 bytes of the peer's id, not only its base32 spelling.
raw_absent() { # HOME ACCOUNT
	python3 - "$T/$1" "$2" <<'PY'
import base64, os, sys
raw = base64.b32decode(sys.argv[2].upper() + "======")
for d, _, fs in os.walk(sys.argv[1]):
    for f in fs:
        if raw in open(os.path.join(d, f), "rb").read():
            print(os.path.join(d, f)); sys.exit(1)
PY
}
check "bruno's raw account id is nowhere in alice's home" raw_absent alice "$ACC_bruno"
# One home made with the default key derivation (Argon2id MODERATE).
relay_start
liaison sec directory add-authority AUTH-dora --country DE --name "Authority of dora" \
	--type police >/dev/null
liaison sec invite --authority AUTH-dora >"$T/dora.invite"
liaison dora enroll --token-file "$T/dora.invite" --name "Dora" --root-fingerprint "$ROOT_FP" >"$T/dora.enroll"
expect_eq "a member enrolls with the default key derivation" 0 $?
ACC_dora=$(awk '$1 == "account" {print $2}' "$T/dora.enroll")
approve dora
liaison dora send "$ACC_bruno" "dora says $MARKER" >/dev/null
expect_eq "a home with the default key derivation sends" 0 $?
relay_stop
expect_eq "the marker is nowhere in clear in that home either" "" "$(scan "$T/dora" "$MARKER")"

perm=$(stat -c %a "$T/alice")
expect_eq "the home directory is private (0700)" 700 "$perm"
loose=$(find "$T/alice" -type f ! -perm 600 ! -name lock)
expect_eq "every file in the home is 0600" "" "$loose"

finish
