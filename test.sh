#!/usr/bin/env bash
# Builds RawGan and runs every test. Ends with one line: "N passed, N failed, N skipped".
# Exit status is non-zero if the build or any test fails.
set -uo pipefail
cd "$(dirname "$0")"

if ! dotnet build RawGan.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

log=$(mktemp)
dotnet run --project tests/RawGan.Tests -c Release --no-build -- -noColor "$@" 2>&1 | tee "$log"
status=${PIPESTATUS[0]}

# xunit v3 prints: "RawGan.Tests  Total: T, Errors: E, Failed: F, Skipped: S, Not Run: R, Time: ..."
summary=$(grep -E 'Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+' "$log" | tail -n 1)
rm -f "$log"
if [ -z "$summary" ]; then
  echo "the test runner printed no summary"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi
num() { echo "$summary" | sed -E "s/.*$1: ([0-9]+).*/\1/"; }
total=$(num Total); errors=$(num Errors); failed=$(num Failed); skipped=$(num Skipped); notrun=$(num 'Not Run')
failed=$((failed + errors))
passed=$((total - failed - skipped - notrun))
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
