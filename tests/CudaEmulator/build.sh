#!/usr/bin/env bash
# Builds the host emulation of the CUDA stack into the folder given (default: tests/CudaEmulator/bin):
# libcuda.so.1, libnvrtc.so.13, libcublas.so.13, libcudnn.so.9, and kernel_prelude.h beside them.
# Needs clang++ (or g++) on x86-64 Linux; prints why and exits 2 where the emulation cannot run.
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
out="$(mkdir -p "${1:-$here/bin}" && cd "${1:-$here/bin}" && pwd)"

if [ "$(uname -s)-$(uname -m)" != "Linux-x86_64" ]; then
  echo "the CUDA emulation runs on x86-64 Linux only (its fibers switch x86-64 registers)"
  exit 2
fi
cxx=""
for candidate in "${CXX:-}" clang++-14 clang++ g++; do
  if [ -n "$candidate" ] && command -v "$candidate" >/dev/null; then cxx="$(command -v "$candidate")"; break; fi
done
if [ -z "$cxx" ]; then
  echo "the CUDA emulation needs a C++17 compiler (clang++ or g++)"
  exit 2
fi

flags=(-std=c++17 -O3 -fPIC -shared -pthread -Wall -Wextra -Werror)
cp "$here/kernel_prelude.h" "$out/"
"$cxx" "${flags[@]}" -Wl,-soname,libcuda.so.1 -o "$out/libcuda.so.1" "$here/cuda.cpp" -ldl
"$cxx" "${flags[@]}" -Wl,-soname,libnvrtc.so.13 -DRAWGAN_EMU_CXX="\"$cxx\"" -o "$out/libnvrtc.so.13" "$here/nvrtc.cpp" -ldl
for library in cublas:libcublas.so.13 cudnn:libcudnn.so.9; do
  "$cxx" "${flags[@]}" -Wl,-soname,"${library#*:}" -o "$out/${library#*:}" "$here/${library%%:*}.cpp" \
    -L"$out" -l:libcuda.so.1 -Wl,-rpath,'$ORIGIN'
done
echo "$out"
