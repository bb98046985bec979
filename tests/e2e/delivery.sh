#!/usr/bin/env bash
# Nothing acknowledged is lost, nothing arrives twice: the recipient offline,
# the relay restarted between send and sync, and killed with SIGKILL during a
# burst of sends (DESIGN.md §7).
. "$(dirname "$0")/lib.bash"

network_up alice bruno || { notok "network set-up"; finish; }
ok "relay, secretariat and two members are up"

# --- the recipient is offline; the relay restarts between send and sync ----
ids=()
for i in 1 2 3; do
	out=$(liaison alice send "$ACC_bruno" "offline message $i") || notok "send $i exits 0"
	ids+=("$(awk '$1 == "message" {print $2}' <<<"$out")")
done
relay_stop; expect_eq "the relay stops cleanly on SIGTERM" 0 $?
relay_start || { notok "relay restarts"; finish; }
liaison bruno sync --json >"$T/sync1.json"
for i in 1 2 3; do
	n=$(grep -c "\"id\":\"${ids[$((i-1))]}\"" "$T/sync1.json")
	expect_eq "offline message $i arrives exactly once after a relay restart" 1 "$n"
done
liaison bruno sync --json >"$T/sync2.json"
expect_eq "a second sync brings nothing again" 0 "$(grep -c '"id"' "$T/sync2.json")"

# --- SIGKILL during a burst of sends ---------------------------------------
: >"$T/acked"; : >"$T/failed"
burst() {
	local i out
	for i in $(seq 1 40); do
		if out=$(liaison alice send "$ACC_bruno" "burst $i" --timeout 3 2>/dev/null); then
			echo "$(awk '$1 == "message" {print $2}' <<<"$out") burst $i" >>"$T/acked"
		else
			echo "burst $i" >>"$T/failed"
		fi
	done
}
burst &
burst_pid=$!
# Let some sends land, then kill the relay in the middle of the burst.
for _ in $(seq 1 100); do [ "$(wc -l <"$T/acked")" -ge 8 ] && break; sleep 0.1; done
relay_kill
sleep 1
relay_start || { notok "relay restarts after SIGKILL"; finish; }
wait "$burst_pid"
acked=$(wc -l <"$T/acked"); failed=$(wc -l <"$T/failed")
check "the burst had sends acknowledged before the kill ($acked acked, $failed queued)" [ "$acked" -ge 8 ]
# Whatever was queued in the outbox goes with the next sync.
liaison alice sync >/dev/null || notok "alice's sync after the restart exits 0"
liaison bruno sync --json >"$T/burst.json"
liaison bruno messages --json >"$T/history.json"
missing=0 doubled=0
while read -r id _; do
	n=$(grep -c "\"id\":\"$id\"" "$T/history.json")
	[ "$n" -eq 0 ] && missing=$((missing + 1))
	[ "$n" -gt 1 ] && doubled=$((doubled + 1))
done <"$T/acked"
expect_eq "every acknowledged message of the burst arrived" 0 "$missing"
expect_eq "no acknowledged message arrived twice" 0 "$doubled"
for i in $(seq 1 40); do
	n=$(grep -c "\"text\":\"burst $i\"" "$T/history.json")
	[ "$n" -le 1 ] || { notok "burst $i appears once at most: got $n"; }
done
total=$(grep -c '"text":"burst ' "$T/history.json")
expect_eq "all 40 burst messages arrived, the queued ones after the restart" 40 "$total"

finish
