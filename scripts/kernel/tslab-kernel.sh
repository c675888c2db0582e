#!/usr/bin/env bash
# Jupyter starts a kernel in the notebook's own folder, but tslab compiles only files under its working
# folder ("not under rootDir" otherwise). So every notebook kernel runs in the project root, and notebooks
# import local code as './src/...' wherever the .ipynb lives.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
cd "$ROOT"
exec "${STAR_NODE:-node}" --import tsx --require "$ROOT/scripts/kernel/tslab-watch-fix.cjs" "$ROOT/node_modules/tslab/bin/tslab" kernel --config-path "$1"
