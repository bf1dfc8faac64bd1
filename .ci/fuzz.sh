#!/usr/bin/env bash
# Runs every fuzz target in the module for SECONDS each (default 60), one
# after another, and stops at the first crash (go test keeps the input under
# the package's testdata/fuzz/). Usage: .ci/fuzz.sh [SECONDS]
# New coverage is not minimized (-fuzzminimizetime 0): minimizing an 8 KB
# workbook through excelize stalled a run for minutes at a time.
set -euo pipefail
cd "$(dirname "$0")/.."
secs=${1:-60}
fail=0
for pkg in $(go list ./...); do
  dir=$(go list -f '{{.Dir}}' "$pkg")
  for target in $(grep -ho '^func Fuzz[A-Za-z0-9_]*' "$dir"/*_test.go 2>/dev/null | sed 's/^func //' | sort -u); do
    printf '%-40s %-28s ' "${pkg#github.com/hrsync/hrsync/}" "$target"
    if out=$(go test "$pkg" -run '^$' -fuzz "^${target}\$" -fuzztime "${secs}s" -fuzzminimizetime 0 -parallel 1 2>&1); then
      echo "ok, ${secs}s, $(echo "$out" | grep -o 'execs: [0-9]*' | tail -1 | cut -d' ' -f2) execs, 0 crashes"
    else
      echo "CRASH"; echo "$out" | tail -30; fail=1
    fi
  done
done
exit $fail
