#!/usr/bin/env bash
# End to end on loopback, the signed directory: the bootstrap secretariat
# publishes version 1, adds authorities (names with accents and in another
# script), invites members, who stay pending (their sync exits 3) until it
# approves them; they then find each other by folded search and message
# each other. A member cannot approve (exit 3); a wrong --fingerprint is
# refused (exit 4); another secretariat's invite needs --fingerprint (exit
# 2 without); a directory-revoked member can neither send nor be sent to
# (exit 3); a second secretariat, invited with --role secretariat and
# approved by the root holder, can add an authority.
source "$(dirname "$0")/lib.bash"

json_field() { # FIELD: prints FIELD of each JSON line on stdin
	python3 -c 'import json,sys
for line in sys.stdin:
    line=line.strip()
    if line: print(json.loads(line)[sys.argv[1]])' "$1"
}

relay_init && relay_start || { notok "the relay starts"; finish; }
"$BIN/liaison-server" invite --data "$T/relay" --authority GLOBE-SEC --country NL \
	--name "GlobE Secretariat" >"$T/boot.tok" || { notok "bootstrap invite"; finish; }
liaison sec enroll --token-file "$T/boot.tok" --name "Sam Secretariat" --kdf interactive \
	>"$T/sec.out" 2>"$T/err"
expect_eq "the bootstrap secretariat enrolls and publishes version 1" 0 $?
ROOT_FP=$(awk '$1 == "root-fingerprint" {print $2}' "$T/sec.out")
SEC=$(awk '$1 == "account" {print $2}' "$T/sec.out")

liaison sec directory show GLOBE-SEC --json >"$T/show" 2>"$T/err"
expect_eq "the secretariat's own directory lists its authority and itself" \
	"GLOBE-SEC NL secretariat $SEC" \
	"$(python3 -c 'import json,sys
d=json.loads(open(sys.argv[1]).readline())
print(d["authority"], d["country"], d["type"], " ".join(c["account"] for c in d["contacts"]))' "$T/show" 2>&1)"

# --- authorities ---------------------------------------------------------------
check "the secretariat adds a Colombian prosecution office (accents)" \
	liaison sec directory add-authority CO-FGN --country CO --name "Fiscalía General de la Nación" \
	--type prosecution --languages es
check "the secretariat adds a Ukrainian anti-corruption bureau (Cyrillic)" \
	liaison sec directory add-authority UA-NABU --country UA \
	--name "Національне антикорупційне бюро України" --type anti-corruption
check "the secretariat adds a French financial intelligence unit" \
	liaison sec directory add-authority FR-TRACFIN --country FR --name "Tracfin" --type fiu
expect_exit 1 "adding an authority twice is refused" \
	liaison sec directory add-authority FR-TRACFIN --country FR --name "Tracfin" --type fiu
expect_exit 1 "an invite for an authority the directory does not list is refused" \
	liaison sec invite --authority XX-NOWHERE
grep -q "add-authority" "$T/last.err" && ok "the refusal says to add the authority first" ||
	notok "invite refusal: $(cat "$T/last.err")"

# --- members enroll and wait ------------------------------------------------------
enroll_member() { # HOME AUTHORITY NAME
	liaison sec invite --authority "$2" >"$T/$1.tok" 2>"$T/err" || return 1
	liaison "$1" enroll --token-file "$T/$1.tok" --name "$3" --title "Fiscal" \
		--root-fingerprint "$ROOT_FP" --kdf interactive >"$T/$1.out" 2>"$T/err" || return 1
	awk '$1 == "account" {print $2}' "$T/$1.out"
}
ANA=$(enroll_member ana CO-FGN "Ana María Pérez") || notok "Ana enrolls: $(cat "$T/err")"
OKSANA=$(enroll_member oksana UA-NABU "Оксана Шевченко") || notok "Oksana enrolls: $(cat "$T/err")"
LEA=$(enroll_member lea FR-TRACFIN "Léa Martin") || notok "Léa enrolls: $(cat "$T/err")"

expect_exit 3 "a pending member's sync stops: awaiting approval" liaison ana sync
grep -q "awaiting approval" "$T/last.err" && ok "it says it awaits approval" ||
	notok "pending message: $(cat "$T/last.err")"
expect_exit 3 "a pending member cannot send" liaison ana send "$SEC" "hello?"

liaison sec directory pending --json >"$T/pending" 2>"$T/err"
expect_eq "pending lists the three enrollments" \
	"$(printf '%s\n' "$ANA" "$LEA" "$OKSANA" | sort)" "$(json_field account <"$T/pending" | sort)"
ana_fp=$(liaison ana whoami --json | json_field fingerprint)
expect_eq "pending shows Ana's authority, name and key fingerprint" \
	"CO-FGN|Ana María Pérez|$ana_fp" \
	"$(python3 -c 'import json,sys
for l in open(sys.argv[1]):
    d=json.loads(l)
    if d["account"]==sys.argv[2]: print(d["authority"]+"|"+d["name"]+"|"+d["fingerprint"])' "$T/pending" "$ANA")"

expect_exit 4 "approving with a wrong --fingerprint is refused" \
	liaison sec directory approve "$ANA" --fingerprint "$(printf '%064d' 7)"
expect_exit 2 "--fingerprint with two accounts is a usage error" \
	liaison sec directory approve "$ANA" "$LEA" --fingerprint "$ana_fp"
check "the secretariat approves Ana with her fingerprint read to it" \
	liaison sec directory approve "$ANA" --fingerprint "${ana_fp^^}"
check "the secretariat approves Oksana and Léa together" \
	liaison sec directory approve "$OKSANA" "$LEA"
expect_exit 3 "a member running directory approve is refused" \
	liaison ana directory approve "$OKSANA"
expect_exit 3 "a member cannot add an authority" \
	liaison ana directory add-authority XX-TEST --country XX --name Test --type other

check "Ana's sync works once approved" liaison ana sync

# --- search ------------------------------------------------------------------------
liaison ana directory search fiscalia --json >"$T/s1" 2>"$T/err"
expect_eq "\"fiscalia\" finds the Fiscalía (case and accents folded)" CO-FGN "$(json_field authority <"$T/s1")"
liaison ana directory search "НАЦІОНАЛЬНЕ" --json >"$T/s2" 2>"$T/err"
expect_eq "a Cyrillic query in capitals finds the Ukrainian bureau" UA-NABU "$(json_field authority <"$T/s2")"
liaison ana directory search "oksana" --json >"$T/s3" 2>"$T/err"
expect_eq "a search finds no Latin 'oksana' in a Cyrillic name" "" "$(json_field authority <"$T/s3")"
liaison ana directory search "шевченко" --json >"$T/s4" 2>"$T/err"
expect_eq "a contact point is found by its Cyrillic name, with its key fingerprint" \
	"$OKSANA $(liaison oksana whoami --json | json_field fingerprint)" \
	"$(python3 -c 'import json,sys
d=json.loads(open(sys.argv[1]).readline())
print(" ".join(c["account"]+" "+c["fingerprint"] for c in d["contacts"]))' "$T/s4")"
liaison ana directory list --country fr --json >"$T/l1" 2>"$T/err"
expect_eq "list --country filters (case-insensitive)" FR-TRACFIN "$(json_field authority <"$T/l1")"
liaison ana directory list --type anti-corruption --json >"$T/l2" 2>"$T/err"
expect_eq "list --type filters" UA-NABU "$(json_field authority <"$T/l2")"
expect_exit 1 "show of an authority the directory does not list fails" liaison ana directory show XX-NONE
liaison ana directory show CO-FGN >"$T/show2" 2>"$T/err"
grep -q "^authority CO-FGN CO prosecution Fiscalía General de la Nación$" "$T/show2" &&
	grep -q "^  contact $ANA member active $ana_fp Ana María Pérez, Fiscal$" "$T/show2" &&
	ok "show prints the authority and its contact points for people" ||
	notok "show output: $(cat "$T/show2")"

# --- messaging between approved members --------------------------------------------------
out=$(liaison ana send "$LEA" "hola Léa" 2>"$T/err")
[ $? -eq 0 ] && ok "Ana sends Léa a message" || notok "Ana's send: $(cat "$T/err")"
liaison lea sync --json >"$T/lea.sync" 2>"$T/err"
expect_eq "Léa gets it, unverified" "hola Léa False" \
	"$(python3 -c 'import json,sys
d=json.loads(open(sys.argv[1]).readline()); print(d["text"], d["verified"])' "$T/lea.sync" 2>&1)"
liaison lea send "$ANA" "bonjour Ana" >/dev/null 2>"$T/err"
expect_eq "Léa replies" 0 $?
expect_eq "Ana gets the reply" "bonjour Ana" "$(liaison ana sync --json 2>/dev/null | json_field text)"

# --- a second secretariat -------------------------------------------------------------------
liaison sec invite --authority GLOBE-SEC --role secretariat >"$T/sec2.tok" 2>"$T/err"
expect_eq "the root holder invites a second secretariat" 0 $?
expect_exit 3 "a member cannot invite a secretariat" liaison ana invite --authority GLOBE-SEC --role secretariat
liaison sec2 enroll --token-file "$T/sec2.tok" --name "Sofia Second" --root-fingerprint "$ROOT_FP" \
	--kdf interactive >"$T/sec2.out" 2>"$T/err"
expect_eq "the second secretariat enrolls" 0 $?
SEC2=$(awk '$1 == "account" {print $2}' "$T/sec2.out")
expect_exit 3 "the pending secretariat cannot sync" liaison sec2 sync
check "the root holder approves the second secretariat (certifying its key)" \
	liaison sec directory approve "$SEC2"
check "the second secretariat can add an authority" \
	liaison sec2 directory add-authority BR-PF --country BR --name "Polícia Federal" --type police
liaison sec2 invite --authority BR-PF >"$T/bia.tok" 2>"$T/err"
expect_eq "the second secretariat mints a member invite" 0 $?
liaison bia enroll --token-file "$T/bia.tok" --name "Bia" --root-fingerprint "$ROOT_FP" \
	--kdf interactive >"$T/bia.out" 2>"$T/err"
BIA=$(awk '$1 == "account" {print $2}' "$T/bia.out")
expect_exit 2 "the first secretariat cannot approve another's invitee without --fingerprint" \
	liaison sec directory approve "$BIA"
check "with the fingerprint read to it, it can" \
	liaison sec directory approve "$BIA" --fingerprint "$(liaison bia whoami --json | json_field fingerprint)"
expect_exit 3 "the second secretariat may not revoke the first (root holder only)" \
	liaison sec2 directory revoke "$SEC"
check "the secretariat re-signs the head (refresh)" liaison sec directory refresh
check "the root holder renews the second secretariat's certificate" liaison sec directory certify "$SEC2"

# --- revocation -----------------------------------------------------------------------------
check "the secretariat revokes Léa in the directory" liaison sec directory revoke "$LEA"
expect_exit 3 "Ana cannot send to the revoked Léa" liaison ana send "$LEA" "still there?"
expect_exit 3 "the revoked Léa cannot send" liaison lea send "$ANA" "me again"
liaison ana directory show FR-TRACFIN --json >"$T/show3" 2>"$T/err"
expect_eq "the directory shows Léa revoked" revoked \
	"$(python3 -c 'import json,sys
print(json.loads(open(sys.argv[1]).readline())["contacts"][0]["status"])' "$T/show3" 2>&1)"

finish
