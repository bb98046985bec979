#!/usr/bin/env bash
# make fuzz: every libFuzzer target for FUZZ_SECONDS each, with its corpus.
set -u
cd "$(dirname "$0")/../.."
BUILD=${BUILD:-build}
rc=0
for t in "$BUILD"/fuzz/fuzz_*; do
  [ -x "$t" ] || continue
  name=$(basename "$t" | sed 's/^fuzz_//')
  mkdir -p "var/fuzz/$name"
  echo "== $name for ${FUZZ_SECONDS:-300}s"
  "$t" -max_total_time="${FUZZ_SECONDS:-300}" -rss_limit_mb=2048 "var/fuzz/$name" \
      $( [ -d "tests/fuzz/corpus/$name" ] && echo "tests/fuzz/corpus/$name" ) || rc=1
done
exit $rc
