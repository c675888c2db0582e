#!/usr/bin/env bash
# Build the optional native kernels (src/backend/native/star_native.cc -> dist/native/star_native.node): convolution
# through OpenBLAS, batch norm, ReLU / max-pool / up-sampling gradients, Add and the STAR moment passes, used by the
# wasm backend when present (src/backend/native-addon.ts). Run by `npm ci` / `npm install` (postinstall) and by `npm run build:native`. Never fails the install: without g++, Node's
# headers or OpenBLAS (apt: g++ libopenblas-dev, in scripts/setup.sh) it says why and the project stays on wasm.
set -uo pipefail
cd "$(dirname "$0")/.."
SRC=src/backend/native/star_native.cc
OUT=dist/native/star_native.node
say() { echo "[build-native] $*"; }
[ "${STAR_NATIVE:-1}" = "0" ] && { say "skipped (STAR_NATIVE=0)"; exit 0; }
command -v g++ >/dev/null || { say "no g++: native kernels not built (wasm kernels will be used)"; exit 0; }
NODE_INC=""
for d in "$(dirname "$(command -v node)")/../include/node" /usr/include/node /usr/local/include/node; do
  [ -f "$d/node_api.h" ] && { NODE_INC="$d"; break; }
done
[ -n "$NODE_INC" ] || { say "no node_api.h (Node's headers): native kernels not built"; exit 0; }
[ -f /usr/include/x86_64-linux-gnu/cblas.h ] || [ -f /usr/include/cblas.h ] || [ -f /usr/include/openblas/cblas.h ] || {
  say "no cblas.h (apt install libopenblas-dev): native kernels not built"; exit 0; }
mkdir -p "$(dirname "$OUT")"
# -march=native: the addon is built on the machine that runs it (install time), so the host's vector units are safe.
if g++ -O3 -march=native -std=c++17 -pthread -shared -fPIC -DNODE_GYP_MODULE_NAME=star_native -I"$NODE_INC" -I/usr/include/openblas \
    "$SRC" -lopenblas -o "$OUT.tmp" 2> dist/native/build.log; then
  mv "$OUT.tmp" "$OUT"
  say "built $OUT"
else
  rm -f "$OUT.tmp"
  say "compile failed (see dist/native/build.log): native kernels not built"
fi
exit 0
