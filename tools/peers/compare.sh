#!/usr/bin/env bash
# RawGan's `bench train` and PyTorch's twin (tools/peers/bench_torch.py) side by side, in one run:
# rounds of RawGan, then every PyTorch mode, interleaved, so that a change in the machine's load
# hits both. Prints one row per configuration (median over rounds of each run's median ms/iter)
# with its ratio to each RawGan row (> 1: slower than RawGan), and keeps every JSON line. A run that
# fails (say torch.compile missing) is reported on stderr and left out; the others go on.
#
#   tools/peers/compare.sh --batch 64 --size 32 --device cpu --threads 2
#   tools/peers/compare.sh --batch 128 --size 64 --device cuda --rounds 3 --iters 50
#
# Options: --recipe R (dcgan, tfdcgan, torchfaces, vaegan, began: each has a PyTorch twin in
# tools/peers/torch_recipes), --batch N,
# --size N, --device cpu|cuda, --threads N (CPU: torch.set_num_threads and DOTNET_PROCESSOR_COUNT),
# --rounds N (3), --warmup N (3), --iters N (20), --out FILE (the JSON lines; default a temp file).
# Environment:
#   RAWGAN       the rawgan command (default: the Release build of this checkout, or `rawgan` on PATH)
#   PYTHON       an interpreter with torch (default: /usr/bin/python3 if it imports torch, else python3)
#   RAWGAN_PRECISIONS  RawGan rows (default: fp32 on the CPU, "fp32 tf32 tf32+graph bf16 bf16+graph" on CUDA; +graph: --graph on)
#   TORCH_MODES  PyTorch rows, ';'-separated bench_torch.py flags (defaults below); leading VAR=value
#                words set its environment, e.g. "LD_LIBRARY_PATH=/tmp/openblas/... --precision fp32"
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)

recipe=dcgan batch="" size="" device=cpu threads="" rounds=3 warmup=3 iters=20 out=""
while [ $# -gt 0 ]; do
  case "$1" in
    --recipe) recipe=$2; shift 2 ;;
    --batch) batch=$2; shift 2 ;;
    --size) size=$2; shift 2 ;;
    --device) device=$2; shift 2 ;;
    --threads) threads=$2; shift 2 ;;
    --rounds) rounds=$2; shift 2 ;;
    --warmup) warmup=$2; shift 2 ;;
    --iters) iters=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    -h|--help) sed -n '2,22p' "$0"; exit 0 ;;
    *) echo "compare.sh: unknown argument '$1' (see --help)" >&2; exit 2 ;;
  esac
done
[ -n "$batch" ] || { echo "compare.sh: --batch is required" >&2; exit 2; }
case "$device" in cpu|cuda) ;; *) echo "compare.sh: --device must be cpu or cuda" >&2; exit 2 ;; esac

if [ -z "${RAWGAN:-}" ]; then
  if [ -x "$root/src/RawGan.Train/bin/Release/net10.0/rawgan" ]; then RAWGAN=$root/src/RawGan.Train/bin/Release/net10.0/rawgan
  else RAWGAN=rawgan; fi
fi
if [ -z "${PYTHON:-}" ]; then
  if /usr/bin/python3 -c "import torch" 2>/dev/null; then PYTHON=/usr/bin/python3; else PYTHON=python3; fi
fi
if [ "$device" = cpu ]; then
  precisions=${RAWGAN_PRECISIONS:-fp32}
  default_modes="--precision fp32"
else
  precisions=${RAWGAN_PRECISIONS:-fp32 tf32 tf32+graph bf16 bf16+graph}
  default_modes="--precision fp32;--precision tf32;--precision tf32 --channels-last;--precision bf16 --channels-last;--precision tf32 --compile;--precision bf16 --channels-last --compile;--precision tf32 --graph;--precision bf16 --channels-last --graph"
fi
modes=${TORCH_MODES:-$default_modes}
out=${out:-$(mktemp /tmp/compare-XXXXXX.jsonl)}
: > "$out"

common=(--batch "$batch" --device "$device" --warmup "$warmup" --iters "$iters")
[ -n "$size" ] && common+=(--size "$size")
env_threads=()
torch_threads=()
if [ -n "$threads" ]; then env_threads=(env "DOTNET_PROCESSOR_COUNT=$threads"); torch_threads=(--threads "$threads"); fi

echo "# $(date -u '+%Y-%m-%d %H:%M UTC'), $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg); rawgan: $RAWGAN; python: $PYTHON" >&2
for r in $(seq 1 "$rounds"); do
  for p in $precisions; do
    graph=off; [[ $p == *+graph ]] && graph=on
    echo "# round $r/$rounds: rawgan $recipe --precision ${p%+graph} --graph $graph" >&2
    # shellcheck disable=SC2086  # RAWGAN may be a command with arguments
    line=$("${env_threads[@]}" $RAWGAN bench train "$recipe" "${common[@]}" --precision "${p%+graph}" --graph "$graph" --json) &&
      tail -n 1 <<< "$line" >> "$out" || echo "# FAILED: rawgan --precision $p (exit $?)" >&2
  done
  IFS=';' read -r -a mode_list <<< "$modes"
  for m in "${mode_list[@]}"; do
    read -r -a words <<< "$m"
    envs=() flags=()
    for w in "${words[@]}"; do
      if [ ${#flags[@]} -eq 0 ] && [[ $w == *=* && $w != -* ]]; then envs+=("$w"); else flags+=("$w"); fi
    done
    echo "# round $r/$rounds: pytorch $m" >&2
    line=$(env "${envs[@]}" "$PYTHON" "$root/tools/peers/bench_torch.py" --recipe "$recipe" "${common[@]}" "${torch_threads[@]}" "${flags[@]}" --json) &&
      tail -n 1 <<< "$line" >> "$out" || echo "# FAILED: pytorch $m (exit $?)" >&2
  done
done
echo "# load after: $(cut -d' ' -f1-3 /proc/loadavg); JSON lines in $out" >&2

[ -s "$out" ] || { echo "compare.sh: every run failed" >&2; exit 1; }
"$PYTHON" - "$out" <<'EOF'
import json, statistics, sys
rows = {}
for line in open(sys.argv[1]):
    r = json.loads(line)
    key = ("rawgan " + r["precision"] + (" graph" if r.get("graph") else "")) if r["engine"] == "rawgan" else ("pytorch " + r["mode"])
    if "blas" in r["versions"]:  # Debian's torch: netlib's libblas.so.3 unless OpenBLAS was put first
        blas = r["versions"]["blas"]
        key += " [" + ("OpenBLAS" if "openblas" in blas else "netlib BLAS" if "libblas.so.3" in blas else blas) + "]"
    rows.setdefault(key, []).append(r)
first = next(iter(rows.values()))[0]
print(f"{first['recipe']}, batch {first['batch']}, {first['size']}x{first['size']}, {first['device']} ({first['device_name']})")
for engine in ("rawgan", "pytorch"):
    for k, v in rows.items():
        if k.startswith(engine):
            print(f"{k}: " + ", ".join(f"{name} {value}" for name, value in v[0]["versions"].items()))
summary = {k: (statistics.median(r["ms_per_iter"] for r in v), min(r["ms_per_iter"] for r in v), v) for k, v in rows.items()}
refs = [k for k in summary if k.startswith("rawgan")]
# On the CPU, also the processor time of all threads per iteration: other processes taking turns on
# the cores inflate wall-clock time much more than this.
cpu = all("cpu_ms_per_iter" in r for v in rows.values() for r in v)
cpu_ms = {k: statistics.median(r["cpu_ms_per_iter"] for r in v) for k, v in rows.items()} if cpu else {}
head = (f"{'configuration':<44} {'ms/iter':>9} {'best':>9}" + (f" {'cpu ms':>9}" if cpu else "") +
        f" {'img/s':>8} {'TFLOP/s':>8} {'peak MB':>8}" + "".join(f" {'x ' + k:>14}" for k in refs) +
        "".join(f" {'cpu x ' + k:>18}" for k in refs if cpu))
print(head)
print("-" * len(head))
for k, (ms, best, v) in summary.items():
    tflops = v[0]["gflop_per_image"] * v[0]["batch"] / ms  # GFLOP per ms = TFLOP/s
    peak = statistics.median(r["peak_mem_mb"] for r in v)
    line = f"{k:<44} {ms:>9.2f} {best:>9.2f}" + (f" {cpu_ms[k]:>9.1f}" if cpu else "")
    line += f" {v[0]['batch'] / ms * 1e3:>8.1f} {tflops:>8.4g} {peak:>8.0f}"
    line += "".join(f" {ms / summary[ref][0]:>14.2f}" for ref in refs)
    if cpu:
        line += "".join(f" {cpu_ms[k] / cpu_ms[ref]:>18.2f}" for ref in refs)
    print(line)
print(f"({len(next(iter(rows.values())))} rounds; ms/iter: median over rounds of each run's median; best: the lowest run median;"
      " x rawgan P: ms/iter over that RawGan row's" + ("; cpu: processor time of all threads per iteration" if cpu else "") + ")")
EOF
