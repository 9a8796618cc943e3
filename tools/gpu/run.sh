#!/usr/bin/env bash
# Runs ON the GPU machine (no .NET needed): unpacks the archive made by tools/gpu/publish.sh,
# then `rawgan doctor`, the CUDA tests, KernelBench, `bench train` of dcgan (batch 128) and
# began (batch 16) in tf32 and bf16, eager and CUDA graph, their GPU profiles (--profile), and 300 steps of `rawgan train dcgan`
# (batch 128, eager and graph) for the training loop's images/s, writing every log to $OUT (or ./gpu-logs).
# Usage: bash run.sh path/to/rawgan-gpu.tar.xz [extra xunit arguments, e.g. -method '*Conv*']
# PARTS (default "tests kernelbench bench profile train") picks sections, so that the whole can be split
# over two calls of at most 10 minutes each: PARTS="tests kernelbench", then PARTS="bench profile train".
set -uo pipefail
parts=" ${PARTS:-tests kernelbench bench profile train} "
part() { [[ $parts == *" $1 "* ]]; }
tests=0 bench=0
archive=${1:?usage: run.sh rawgan-gpu.tar.xz [xunit arguments]}
shift
out=${OUT:-$(pwd)/gpu-logs}
mkdir -p "$out"
work=$(mktemp -d)
tar -C "$work" -xJf "$archive"
app=$work/rawgan-gpu
export RAWGAN_CACHE=${RAWGAN_CACHE:-$work/cache}
export DOTNET_CLI_TELEMETRY_OPTOUT=1

nvidia-smi > "$out/nvidia-smi.txt" 2>&1
"$app/train/rawgan" doctor > "$out/doctor.txt" 2>&1
echo "== doctor"; cat "$out/doctor.txt"

if part tests; then
echo "== tests"
# Every CUDA test class (Cuda*), as ./test.sh runs them on the host emulation: a new class is not missed.
"$app/tests/RawGan.Tests" -noColor -class 'RawGan.Tests.Cuda*' "$@" > "$out/tests.txt" 2>&1
tests=$?
grep -E '\[FAIL\]|Total:' "$out/tests.txt"
# The second start must compile nothing: the NVRTC cache is on disk now.
echo "== kernel cache"; ls "$RAWGAN_CACHE/kernels" | head -50 > "$out/kernel-cache.txt"; wc -l < "$out/kernel-cache.txt"
fi

if part kernelbench; then
echo "== bench"
"$app/bench/KernelBench" --json "$out/kernelbench.json" > "$out/kernelbench.txt" 2>&1
bench=$?
cat "$out/kernelbench.txt"
fi

if part bench; then
echo "== bench train: tf32 and bf16, eager and CUDA graph"
for args in "dcgan --batch 128" "began --batch 16"; do
  for precision in tf32 bf16; do
    for graph in off on; do
      # shellcheck disable=SC2086  # args holds several words
      "$app/train/rawgan" bench train $args --device cuda --precision $precision --graph $graph --json >> "$out/bench-train.jsonl" 2>> "$out/bench-train.err" ||
        echo "bench train $args --precision $precision --graph $graph failed (see bench-train.err)"
    done
  done
done
cat "$out/bench-train.jsonl"
fi

if part profile; then
echo "== bench train --profile: GPU time per kernel and cuDNN/cuBLAS call (eager steps)"
for args in "dcgan --batch 128" "began --batch 16"; do
  for precision in tf32 bf16; do
    # shellcheck disable=SC2086  # args holds several words
    "$app/train/rawgan" bench train $args --device cuda --precision $precision --iters 5 --profile >> "$out/profile.txt" 2>&1 ||
      echo "bench train $args --precision $precision --profile failed (see profile.txt)"
    echo >> "$out/profile.txt"
  done
done
grep -E '^(bench train|profile )' "$out/profile.txt"
fi

if part train; then
echo "== train dcgan b128 on synthetic faces: the whole loop (loader, upload, step, metrics), beside bench train's step alone"
for graph in off on; do
  log="$out/train-dcgan-graph-$graph.log"
  "$app/train/rawgan" train dcgan --device cuda --batch 128 --steps 300 --sample-every 1000 --checkpoint-every 1000 \
    --graph $graph --out "$work/train-$graph" > "$log" 2>&1 || echo "train dcgan --graph $graph failed (see $log)"
  # The median over steps 51-300: the first steps search cuDNN's algorithms and capture the graph.
  grep -o '"images_per_s":[0-9.eE+-]*' "$work/train-$graph/metrics.jsonl" 2>/dev/null | tail -n 250 | cut -d: -f2 | sort -g |
    awk -v g=$graph '{ v[NR] = $1 } END { if (NR) print "train dcgan b128 graph " g ": median images_per_s " v[int((NR + 1) / 2)] }' | tee -a "$log"
done
fi
echo "tests exit $tests, bench exit $bench"
[ "$tests" -eq 0 ] && [ "$bench" -eq 0 ]
