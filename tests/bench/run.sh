#!/usr/bin/env bash
# make bench: sets up a real relay and a secretariat on loopback, mints the
# invites the load driver enrolls with, runs every benchmark, and collects
# the "bench NAME VALUE UNIT ..." lines into var/bench/latest.jsonl.
set -euo pipefail
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
PAIRS=${BENCH_PAIRS:-50}
SECONDS_EACH=${BENCH_SECONDS:-5}
T=$(mktemp -d /tmp/liaison-bench.XXXXXX)
RELAY_PID=""
cleanup() { [ -n "$RELAY_PID" ] && kill "$RELAY_PID" 2>/dev/null; wait 2>/dev/null; rm -rf "$T"; }
trap cleanup EXIT
export LIAISON_PASSPHRASE=bench-passphrase
mkdir -p var/bench
out=var/bench/latest.txt
: >"$out"

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1])')
bin/liaison-server init --data "$T/relay" --url "wss://127.0.0.1:$PORT" >"$T/init.out"
PIN=$(awk '$1 == "fingerprint" {print $2}' "$T/init.out")
bin/liaison-server run --data "$T/relay" --listen "127.0.0.1:$PORT" --max-per-address 1024 2>"$T/relay.log" &
RELAY_PID=$!
for _ in $(seq 1 100); do grep -q '^listening' "$T/relay.log" && break; sleep 0.1; done
bin/liaison-server invite --data "$T/relay" --authority BENCH-SEC >"$T/boot.invite"
bin/liaison --home "$T/sec" enroll --token-file "$T/boot.invite" --name Bench --kdf interactive >/dev/null
bin/liaison --home "$T/sec" directory add-authority BENCH --country FR --name Bench \
	--type police >/dev/null
echo "minting $((PAIRS * 4)) invites..." >&2
for _ in $(seq 1 $((PAIRS * 4))); do
	bin/liaison --home "$T/sec" invite --authority BENCH >>"$T/tokens"
done
head -n $((PAIRS * 2)) "$T/tokens" >"$T/tokens.a"
tail -n $((PAIRS * 2)) "$T/tokens" >"$T/tokens.b"

# relay_bench NAME TOKENS [ARGS...]: the driver enrolls its accounts, the
# secretariat approves them (they are pending until then), the driver runs.
relay_bench() {
	local name=$1 tokens=$2; shift 2
	"$BUILD/bench/bench_relay" --url "wss://127.0.0.1:$PORT" --pin "$PIN" --tokens "$tokens" \
		--pairs "$PAIRS" --seconds "$SECONDS_EACH" --accounts-out "$T/$name.accounts" \
		--go-file "$T/$name.go" "$@" >"$T/$name.out" &
	local pid=$!
	for _ in $(seq 1 900); do [ -s "$T/$name.accounts" ] && break; sleep 0.1; done
	# shellcheck disable=SC2046
	bin/liaison --home "$T/sec" directory approve $(cat "$T/$name.accounts") >/dev/null
	touch "$T/$name.go"
	wait "$pid"
	tee -a "$out" <"$T/$name.out"
}
relay_bench full "$T/tokens.a"
relay_bench rate "$T/tokens.b" --rate ${BENCH_RATE:-5000}
kill "$RELAY_PID"; wait "$RELAY_PID" || true; RELAY_PID=""

for b in "$BUILD"/bench/bench_*; do
	[ "$(basename "$b")" = bench_relay ] && continue
	"$b" | tee -a "$out"
done

python3 - "$out" >var/bench/latest.jsonl <<'PY'
import json, sys
for line in open(sys.argv[1]):
    w = line.split()
    if len(w) < 4 or w[0] != "bench":
        continue
    rec = {"name": w[1], "value": float(w[2]), "unit": w[3]}
    rest = w[4:]
    while rest:
        if rest[0] == "baseline" and len(rest) >= 4:
            rec["baseline"] = {"name": rest[1], "value": float(rest[2]), "unit": rest[3]}
            rest = rest[4:]
        elif rest[0] in ("ratio", "cores") and len(rest) >= 2:
            rec[rest[0]] = float(rest[1]) if rest[0] == "ratio" else int(rest[1])
            rest = rest[2:]
        else:
            rest = rest[1:]
    print(json.dumps(rec))
PY
echo "figures in var/bench/latest.jsonl" >&2
