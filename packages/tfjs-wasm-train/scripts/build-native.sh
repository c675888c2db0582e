#!/usr/bin/env bash
# Build the optional native kernels (native/tfjs_wasm_train.cc -> build/tfjs_wasm_train.node): convolution through
# OpenBLAS (3×3 / 7×7 through oneDNN when libdnnl-dev 2.x is installed), batch norm, ReLU / max-pool / up-sampling
# gradients, Add and the heatmap-moment host reductions, used by the wasm backend when present (src/native-addon.ts). Run by this package's `install` script (so by `npm ci` /
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
# oneDNN (optional, Debian: apt install libdnnl-dev): with its 2.x headers and library, the 3×3 / 7×7 convolutions run
# on its direct kernels (native/dnnl_conv.inc; 1×1 stay on OpenBLAS). The 3.x C++ API differs: 2.x only.
DNNL_FLAGS=()
DNNL_NOTE="without oneDNN (no oneapi/dnnl/dnnl.hpp: apt install libdnnl-dev)"
DNNL_H=""
for d in /usr/include /usr/local/include; do [ -f "$d/oneapi/dnnl/dnnl.hpp" ] && { DNNL_H="$d/oneapi/dnnl/dnnl_version.h"; break; }; done
if [ -n "$DNNL_H" ]; then
  DNNL_MAJOR="$(sed -n 's/^#define DNNL_VERSION_MAJOR \([0-9]*\).*/\1/p' "$DNNL_H")"
  DNNL_VER="$DNNL_MAJOR.$(sed -n 's/^#define DNNL_VERSION_MINOR \([0-9]*\).*/\1/p' "$DNNL_H").$(sed -n 's/^#define DNNL_VERSION_PATCH \([0-9]*\).*/\1/p' "$DNNL_H")"
  if [ "$DNNL_MAJOR" != "2" ]; then
    DNNL_NOTE="without oneDNN (found $DNNL_VER; the addon needs the 2.x API)"
  elif ! compgen -G '/usr/lib/*/libdnnl.so' >/dev/null && ! compgen -G '/usr/lib/libdnnl.so' >/dev/null && ! compgen -G '/usr/local/lib/libdnnl.so' >/dev/null; then
    DNNL_NOTE="without oneDNN (headers $DNNL_VER but no libdnnl.so)"
  else
    DNNL_FLAGS=(-DHAVE_DNNL -fopenmp)
    DNNL_NOTE="with oneDNN $DNNL_VER for 3x3/7x7 convolutions"
  fi
fi
# -march=native: the addon is built on the machine that runs it (install time), so the host's vector units are safe.
TMP=build/tfjs_wasm_train.tmp.node
compile() {
  g++ -O3 -march=native -std=c++17 -pthread -shared -fPIC -DNODE_GYP_MODULE_NAME=tfjs_wasm_train -I"$NODE_INC" -I/usr/include/openblas \
    "$@" "$SRC" -lopenblas ${DNNL_FLAGS[@]+"${DNNL_FLAGS[@]}"} $([ ${#DNNL_FLAGS[@]} -gt 0 ] && echo -ldnnl) -o "$TMP"
}
# The addon must also load (a libdnnl that links but does not load would cost every native kernel, not only oneDNN's).
loads() { node -e "require(require('path').resolve(process.argv[1]))" "$TMP" 2>>build/build.log; }
if compile 2> build/build.log && loads; then
  mv "$TMP" "$OUT"
  say "built $OUT ($DNNL_NOTE)"
elif [ ${#DNNL_FLAGS[@]} -gt 0 ] && { echo "--- retry without oneDNN" >> build/build.log; DNNL_FLAGS=(); compile 2>> build/build.log && loads; }; then
  mv "$TMP" "$OUT"
  say "built $OUT (without oneDNN: its build or load failed, see build/build.log)"
else
  rm -f "$TMP"
  say "compile failed (see build/build.log): native kernels not built"
fi
exit 0
