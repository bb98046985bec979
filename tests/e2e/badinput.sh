#!/usr/bin/env bash
# A malformed, oversized or unknown frame closes that one client's
# connection with an error; every other client goes on being served
# (DESIGN.md §11).
. "$(dirname "$0")/lib.bash"
BADFRAME=$ROOT/${LIAISON_TEST_BUILD:-build}/tools/badframe

network_up alice bruno || { notok "network set-up"; finish; }
PIN=$(awk '$1 == "fingerprint" {print $2}' "$T/init.out")

# Bruno holds a live connection, waiting for a message, the whole time.
liaison bruno sync --wait 30 --json >"$T/live.json" 2>"$T/live.err" &
live=$!
sleep 1

for c in garbage oversized unknown-field no-body wrong-version; do
	if "$BADFRAME" --url "wss://127.0.0.1:$PORT" --pin "$PIN" --case "$c" >"$T/bad.out" 2>&1; then
		ok "a $c frame gets its connection closed ($(head -n 1 "$T/bad.out" | cut -d: -f2-))"
	else
		notok "a $c frame gets its connection closed: $(cat "$T/bad.out")"
	fi
done
for c in garbage unknown-field no-body wrong-version; do
	"$BADFRAME" --url "wss://127.0.0.1:$PORT" --pin "$PIN" --case "$c" >"$T/bad.out" 2>&1
	check "a $c frame is answered with an error item first" grep -q '^error ' "$T/bad.out"
done

liaison alice send "$ACC_bruno" "still served after the bad frames" >/dev/null
expect_eq "another client still sends after the bad frames" 0 $?
wait "$live"
expect_eq "bruno's connection, open all along, ends its sync normally" 0 $?
check "bruno's open connection received the message" \
	grep -q '"text":"still served after the bad frames"' "$T/live.json"
check "the relay is still running" kill -0 "$RELAY_PID"

finish
