#!/usr/bin/env bash
# Runs the whole suite and adds it up: cmocka unit tests (each test case
# counts), end-to-end and TUI scripts (each "ok"/"not ok" line counts), and
# a bounded short run of every fuzz target. Ends with "N passed, N failed".
set -u
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
export LIAISON_TEST_BUILD=$BUILD
passed=0 failed=0
failures=()
log_dir=$(mktemp -d /tmp/liaison-test-logs.XXXXXX)

count_cmocka() { # file name
  local p f
  p=$(grep -Eo '^\[  PASSED  \] [0-9]+' "$1" | awk '{s+=$4} END {print s+0}')
  f=$(grep -Eo '^\[  FAILED  \] [0-9]+' "$1" | awk '{s+=$4} END {print s+0}')
  passed=$((passed + p)); failed=$((failed + f))
  [ "$f" -gt 0 ] && failures+=("$2")
}

run_unit() {
  local t name out rc
  for t in "$BUILD"/tests/test_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t"); out="$log_dir/$name.log"
    echo "== unit $name"
    timeout 300 "$t" >"$out" 2>&1; rc=$?
    grep -E '^\[ +(OK|FAILED|PASSED) +\]|^\[  ERROR   \]' "$out" | grep -v '^\[       OK \]' | sed 's/^/   /'
    count_cmocka "$out" "unit $name"
    if [ $rc -ne 0 ] && ! grep -q '^\[  FAILED  \]' "$out"; then
      echo "   $name exited $rc without a result:"; tail -n 20 "$out" | sed 's/^/   | /'
      failed=$((failed + 1)); failures+=("unit $name (exit $rc)")
    fi
  done
}

run_scripts() { # dir kind
  local s name out rc p f
  for s in "$1"/*.sh; do
    [ -f "$s" ] || continue
    name=$(basename "$s" .sh); out="$log_dir/$2-$name.log"
    echo "== $2 $name"
    timeout 900 bash "$s" >"$out" 2>&1; rc=$?
    grep -E '^(not )?ok ' "$out" | sed 's/^/   /'
    p=$(grep -cE '^ok ' "$out"); f=$(grep -cE '^not ok ' "$out")
    passed=$((passed + p)); failed=$((failed + f))
    [ "$f" -gt 0 ] && failures+=("$2 $name")
    if [ $rc -ne 0 ] && [ "$f" -eq 0 ]; then
      echo "   $name exited $rc after $p passing checks:"; tail -n 30 "$out" | sed 's/^/   | /'
      failed=$((failed + 1)); failures+=("$2 $name (exit $rc)")
    fi
  done
}

run_fuzz() {
  local t name out
  for t in "$BUILD"/fuzz/fuzz_*; do
    [ -x "$t" ] || continue
    name=$(basename "$t"); out="$log_dir/$name.log"
    echo "== fuzz $name (short run)"
    corpus=tests/fuzz/corpus/${name#fuzz_}
    mkdir -p "$log_dir/corpus-$name"
    if timeout 300 "$t" -max_total_time="${FUZZ_SHORT_SECONDS:-20}" -rss_limit_mb=2048 \
        "$log_dir/corpus-$name" $( [ -d "$corpus" ] && echo "$corpus" ) >"$out" 2>&1; then
      echo "ok - $name ran $(grep -Eo 'stat::number_of_executed_units: [0-9]+|#[0-9]+' "$out" | tail -1) without a crash" | sed 's/^/   /'
      passed=$((passed + 1))
    else
      echo "   not ok - $name crashed:"; grep -E 'ERROR|SUMMARY' "$out" | head -5 | sed 's/^/   | /'
      failed=$((failed + 1)); failures+=("fuzz $name")
    fi
  done
}

run_unit
run_scripts tests/e2e e2e
run_scripts tests/tui tui
[ "${SKIP_FUZZ:-0}" = 1 ] || run_fuzz

echo
if [ ${#failures[@]} -gt 0 ]; then
  echo "failed: ${failures[*]}"
  echo "(logs in $log_dir)"
else
  rm -rf "$log_dir"
fi
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ] && [ "$passed" -gt 0 ]
