#!/usr/bin/env bash
# Publishes what the GPU machine runs (it has no .NET): the test executable, KernelBench and the
# rawgan CLI, each self-contained for linux-x64, plus tools/gpu/run.sh, packed into one archive:
#   .carry/rawgan-gpu.tar.xz   (the .carry/ folder is ignored through .git/info/exclude)
# Identical files of the three publishes (the .NET runtime) are hard-linked before packing, so
# the archive holds the runtime once. Usage: tools/gpu/publish.sh [output-dir]
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
out=${1:-$root/.carry}
stage=$(mktemp -d)
trap 'rm -rf "$stage"' EXIT

grep -qxF '/.carry/' "$(git rev-parse --git-common-dir)/info/exclude" 2>/dev/null ||
  echo '/.carry/' >> "$(git rev-parse --git-common-dir)/info/exclude"

publish() { # project, folder name
  dotnet publish "$1" -c Release -r linux-x64 --self-contained -nologo -clp:ErrorsOnly \
    -p:DebugType=none -p:GenerateDocumentationFile=false -o "$stage/rawgan-gpu/$2"
}
publish tests/RawGan.Tests tests
publish tools/KernelBench bench
publish src/RawGan.Train train
cp tools/gpu/run.sh "$stage/rawgan-gpu/"

# Hard-link duplicates (same relative path, same bytes) to the copy under tests/.
for dir in bench train; do
  (cd "$stage/rawgan-gpu/$dir" && find . -type f) | while read -r f; do
    if [ -f "$stage/rawgan-gpu/tests/$f" ] && cmp -s "$stage/rawgan-gpu/tests/$f" "$stage/rawgan-gpu/$dir/$f"; then
      ln -f "$stage/rawgan-gpu/tests/$f" "$stage/rawgan-gpu/$dir/$f"
    fi
  done
done

mkdir -p "$out"
XZ_OPT=-9 tar -C "$stage" -cJf "$out/rawgan-gpu.tar.xz" rawgan-gpu
echo "$out/rawgan-gpu.tar.xz: $(du -h "$out/rawgan-gpu.tar.xz" | cut -f1) ($(du -sh --apparent-size "$stage/rawgan-gpu" | cut -f1) unpacked, duplicates linked)"
