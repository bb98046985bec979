#!/usr/bin/env bash
# Refusals with their exit codes, and nothing stored is lost: a reused
# invite, a relay-revoked account, an impostor relay with another key.
. "$(dirname "$0")/lib.bash"

network_up alice bruno || { notok "network set-up"; finish; }

expect_exit 3 "a reused invite is refused" \
	liaison carla enroll --token-file "$T/alice.invite" --name Carla --kdf interactive
check "the refusal is one line on stderr naming liaison" grep -q '^liaison: ' "$T/last.err"
expect_exit 3 "a wrong passphrase is refused" \
	env LIAISON_PASSPHRASE=wrong "$BIN/liaison" --home "$T/alice" send "$ACC_bruno" hello
expect_exit 4 "sending to an unknown account is refused" \
	liaison alice send aaaaaaaaaaaaaaaaaaaaaaaaaa hello
expect_exit 2 "a malformed account id is a usage error" \
	liaison alice send NOT-AN-ID hello

liaison alice send "$ACC_bruno" "before revocation" >/dev/null || notok "send before revocation exits 0"
"$BIN/liaison-server" revoke --data "$T/relay" "$ACC_alice" >/dev/null 2>"$T/revoke.err"
expect_eq "the relay revokes alice while running" 0 $?
expect_exit 3 "a relay-revoked account cannot send" \
	liaison alice send "$ACC_bruno" "after revocation"
liaison bruno sync --json >"$T/bruno.json"
check "what alice sent before her revocation still arrives" grep -q '"text":"before revocation"' "$T/bruno.json"

# An impostor relay on the same address with another key: refused (exit 4)
# before a single application byte is sent.
relay_stop
openssl req -x509 -newkey ec -pkeyopt ec_paramgen_curve:P-256 -nodes -days 1 \
	-subj /CN=127.0.0.1 -keyout "$T/imp.key" -out "$T/imp.crt" 2>/dev/null
openssl s_server -accept "127.0.0.1:$PORT" -cert "$T/imp.crt" -key "$T/imp.key" -quiet \
	>"$T/impostor.out" 2>/dev/null </dev/null &
imp=$!
for _ in $(seq 1 50); do (echo >/dev/tcp/127.0.0.1/"$PORT") 2>/dev/null && break; sleep 0.1; done
expect_exit 4 "a relay whose key differs from the pin is refused" \
	liaison bruno send "$ACC_alice" "to the impostor" --timeout 5
check "the refusal names the certificate pin" grep -qi 'pin' "$T/last.err"
kill "$imp" 2>/dev/null; wait "$imp" 2>/dev/null
expect_eq "the impostor received no application byte" 0 "$(wc -c <"$T/impostor.out")"
relay_start || notok "the real relay starts again"
liaison bruno messages --json >"$T/after.json"
check "bruno's stored history is intact after the refusals" grep -q '"text":"before revocation"' "$T/after.json"

finish
