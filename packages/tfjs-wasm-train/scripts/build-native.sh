#!/usr/bin/env bash
# Build the optional native kernels (native/tfjs_wasm_train.cc -> build/tfjs_wasm_train.node): convolution through
# OpenBLAS, batch norm, ReLU / max-pool / up-sampling gradients, Add and the heatmap-moment host reductions, used by
# the wasm backend when present (src/native-addon.ts). Run by this package's `install` script (so by `npm ci` /
# `npm install` of any project that depends on it) and by `npm run build:native`. Never fails the install: without
# g++, Node's headers or OpenBLAS (Debian: apt install g++ libopenblas-dev) it says why and the wasm kernels are used.
# The outcome line is also written to build/outcome.txt: npm hides a dependency's install output, so a project can
# print it afterwards, and the addon loader quotes it when the addon is missing.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=native/tfjs_wasm_train.cc
OUT=build/tfjs_wasm_train.node
mkdir -p build
say() { echo "[tfjs-wasm-train] $*" | tee build/outcome.txt; }
# TFJS_WASM_TRAIN_NATIVE=0 (or the older STAR_NATIVE=0, src/env.ts) skips the build.
[ "${TFJS_WASM_TRAIN_NATIVE:-${STAR_NATIVE:-1}}" = "0" ] && { say "native build skipped (TFJS_WASM_TRAIN_NATIVE or STAR_NATIVE is 0)"; exit 0; }
command -v g++ >/dev/null || { say "no g++: native kernels not built (wasm kernels will be used)"; exit 0; }
NODE_INC=""
for d in "$(dirname "$(command -v node)")/../include/node" /usr/include/node /usr/local/include/node; do
  [ -f "$d/node_api.h" ] && { NODE_INC="$d"; break; }
done
[ -n "$NODE_INC" ] || { say "no node_api.h (Node's headers): native kernels not built"; exit 0; }
[ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] || [ -f /usr/include/openblas/cblas.h ] || {
  say "no cblas.h (apt install libopenblas-dev): native kernels not built"; exit 0; }
# -march=native: the addon is built on the machine that runs it (install time), so the host's vector units are safe.
if g++ -O3 -march=native -std=c++17 -pthread -shared -fPIC -DNODE_GYP_MODULE_NAME=tfjs_wasm_train -I"$NODE_INC" -I/usr/include/openblas \
    "$SRC" -lopenblas -o "$OUT.tmp" 2> build/build.log; then
  mv "$OUT.tmp" "$OUT"
  say "built $OUT"
else
  rm -f "$OUT.tmp"
  say "compile failed (see build/build.log): native kernels not built"
fi
exit 0
