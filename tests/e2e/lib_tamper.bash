# Shared by the hostile-relay scripts (sourced after lib.bash, not run): the
# relay's database opened behind its back, tests/tools/tamper_relay serving
# the same data directory (faithful while $CTL is empty), and the checks
# those scripts make. Set DB and CTL first.
TOOLS=$ROOT/${LIAISON_TEST_BUILD:-build}/tools

sql() { sqlite3 "$DB" "$1"; }
hex_of() { python3 -c 'import base64,sys; print(base64.b32decode(sys.argv[1].upper()+"======").hex())' "$1"; }
# save_head FILE: the relay's latest signed head, as stored.
save_head() { sql "SELECT writefile('$1', record) FROM dir_head" >/dev/null; }
q() { "$@" >/dev/null; }
# relay_stop, keeping each relay's log and exit code for the last check.
relay_stop() {
	kill -TERM "$RELAY_PID"; wait "$RELAY_PID"; local rc=$?; RELAY_PID=""
	cat "$T/relay.log" >>"$T/relays.log"
	[ "$rc" -eq 0 ] || echo "a relay exited $rc" >>"$T/relays.log"
	return "$rc"
}
relays_clean() {
	relay_stop
	if grep -Eq 'Sanitizer|runtime error|a relay exited' "$T/relays.log"; then
		notok "the relays (real and tamper) stop cleanly: $(grep -E 'Sanitizer|runtime error|a relay exited' "$T/relays.log" | head -3)"
	else ok "the relays (real and tamper) stopped cleanly, with no sanitizer report"; fi
}
# tamper_start: the same data directory served by the tamper relay.
tamper_start() {
	: >"$T/relay.log"
	"$TOOLS/tamper_relay" --data "$T/relay" --listen "127.0.0.1:$PORT" --control "$CTL" \
		2>>"$T/relay.log" &
	RELAY_PID=$!
	wait_listening "tamper relay"
}
# expect_reason "what" REGEX: the last command's stderr is one line matching REGEX.
expect_reason() {
	local n; n=$(wc -l <"$T/last.err")
	if [ "$n" -eq 1 ] && grep -Eq "$2" "$T/last.err"; then ok "$1: $(cat "$T/last.err")"
	else notok "$1: expected one line matching '$2', got: $(head -c 400 "$T/last.err")"; fi
}
# kept HOME TEXT: how many times the home's history holds TEXT.
kept() { liaison "$1" messages --json 2>/dev/null | grep -c "\"text\":\"$2\""; }
send_ok() { liaison "$1" send "$2" "$3" >/dev/null 2>"$T/send.err" || notok "$1 sends '$3': $(cat "$T/send.err")"; }
