#!/usr/bin/env bash
# Build the spike's oneDNN addon: build/dnnl_conv.node (needs g++, Node's headers, Debian's libdnnl-dev).
set -euo pipefail
cd "$(dirname "$0")"
NODE_INC=""
for d in "$(dirname "$(command -v node)")/../include/node" /usr/include/node /usr/local/include/node; do
  [ -f "$d/node_api.h" ] && { NODE_INC="$d"; break; }
done
[ -n "$NODE_INC" ] || { echo "no node_api.h"; exit 1; }
[ -f /usr/include/oneapi/dnnl/dnnl.hpp ] || { echo "no oneDNN headers (apt install libdnnl-dev)"; exit 1; }
mkdir -p build
g++ -O3 -march=native -std=c++17 -fopenmp -shared -fPIC -DNODE_GYP_MODULE_NAME=dnnl_conv -I"$NODE_INC" dnnl_conv.cc -ldnnl -o build/dnnl_conv.node
echo "built $(pwd)/build/dnnl_conv.node"
