#!/usr/bin/env bash
# Builds RawGan and runs every test. Ends with one line: "N passed, N failed, N skipped".
# Exit status is non-zero if the build or any test fails.
#
# Two runs: every test on this machine as it is (without a GPU the CUDA tests skip), then, with no
# arguments given, the CUDA test classes again on the host emulation of the CUDA stack
# (tests/CudaEmulator: our kernels and backend run on the CPU; it proves no GPU works, see its
# README). The last line adds both runs up; the line before it gives each.
set -uo pipefail
cd "$(dirname "$0")"

if ! dotnet build RawGan.sln -c Release -nologo -clp:ErrorsOnly; then
  echo "build failed"
  echo "0 passed, 1 failed, 0 skipped"
  exit 1
fi

passed=0 failed=0 skipped=0 status=0 runs=""
# Runs the test project with the given arguments and adds its xunit summary to the totals.
run_tests() {
  local what=$1; shift
  local log summary total errors fail skip notrun
  log=$(mktemp)
  dotnet run --project tests/RawGan.Tests -c Release --no-build -- -noColor "$@" 2>&1 | tee "$log"
  [ "${PIPESTATUS[0]}" -eq 0 ] || status=1
  # xunit v3 prints: "RawGan.Tests  Total: T, Errors: E, Failed: F, Skipped: S, Not Run: R, Time: ..."
  summary=$(grep -E 'Total: [0-9]+, Errors: [0-9]+, Failed: [0-9]+, Skipped: [0-9]+' "$log" | tail -n 1)
  rm -f "$log"
  if [ -z "$summary" ]; then
    echo "the test runner printed no summary ($what)"
    failed=$((failed + 1)) status=1
    return
  fi
  num() { echo "$summary" | sed -E "s/.*$1: ([0-9]+).*/\1/"; }
  total=$(num Total) errors=$(num Errors) fail=$(num Failed) skip=$(num Skipped) notrun=$(num 'Not Run')
  fail=$((fail + errors))
  passed=$((passed + total - fail - skip - notrun)) failed=$((failed + fail)) skipped=$((skipped + skip))
  runs="$runs${runs:+; }$what: $((total - fail - skip - notrun)) passed, $fail failed, $skip skipped"
}

run_tests "this machine" "$@"

if [ $# -eq 0 ]; then
  emulation=tests/CudaEmulator/bin
  reason=$(tests/CudaEmulator/build.sh "$emulation" 2>&1); built=$?
  if [ $built -eq 0 ]; then
    # Kernels compiled once stay in the emulation's own cache. Its NVRTC always reports version 0.0,
    # so the cache is named by what compiles them (the prelude and the compile command): a change
    # there starts an empty one.
    cache="cache-$(cat tests/CudaEmulator/kernel_prelude.h tests/CudaEmulator/nvrtc.cpp | sha256sum | cut -c1-16)"
    find "$emulation" -maxdepth 1 -name 'cache*' ! -name "$cache" -exec rm -rf {} +
    RAWGAN_LIBCUDA="$PWD/$emulation/libcuda.so.1" RAWGAN_LIBNVRTC="$PWD/$emulation/libnvrtc.so.13" \
    RAWGAN_LIBCUBLAS="$PWD/$emulation/libcublas.so.13" RAWGAN_LIBCUDNN="$PWD/$emulation/libcudnn.so.9" \
    RAWGAN_CACHE="$PWD/$emulation/$cache" \
      run_tests "CUDA tests on the host emulation" -class 'RawGan.Tests.Cuda*'
  elif [ $built -eq 2 ]; then  # a machine the emulation cannot run on: said, not failed
    runs="$runs; CUDA host emulation not run: $(echo "$reason" | tail -n 1)"
  else
    echo "$reason"
    echo "the CUDA host emulation failed to build"
    failed=$((failed + 1)) status=1
  fi
fi

echo "$runs"
echo "$passed passed, $failed failed, $skipped skipped"
[ "$status" -eq 0 ] && [ "$failed" -eq 0 ]
