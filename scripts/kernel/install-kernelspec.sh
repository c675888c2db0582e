#!/usr/bin/env bash
# Writes the tslab kernel spec into the project-local Jupyter path <root>/.jupyter (git-ignored).
# `npx tslab install` fails here (it wants IPython in the first python3 on PATH); a hand-written spec plus
# JUPYTER_PATH=<root>/.jupyter works. Paths are absolute, so rerun after moving the checkout (every
# `npm run notebooks` / `npm run jupyter` does). Prints the JUPYTER_PATH to use.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/../.." && pwd)"
if [ ! -f "$ROOT/node_modules/tslab/bin/tslab" ]; then
  echo "install-kernelspec: $ROOT/node_modules/tslab is missing; run npm ci (npm run setup) first" >&2
  exit 1
fi
# Pin the node that runs this script, so the kernel uses the same Node as npm even when Jupyter's PATH differs.
NODE_BIN="$(command -v node)"
DIR="$ROOT/.jupyter/kernels/tslab"
mkdir -p "$DIR"
TMP="$DIR/kernel.json.tmp.$$"
# JSON.stringify escapes any odd characters in the checkout path.
"$NODE_BIN" -e '
const [out, node, script] = process.argv.slice(1);
const spec = {
  argv: ["/usr/bin/env", "STAR_NODE=" + node, "bash", script, "{connection_file}"],
  display_name: "TypeScript (tslab)",
  language: "typescript",
};
require("fs").writeFileSync(out, JSON.stringify(spec, null, 2) + "\n");
' "$TMP" "$NODE_BIN" "$ROOT/scripts/kernel/tslab-kernel.sh"
mv "$TMP" "$DIR/kernel.json"   # atomic: a parallel run never reads a half-written spec
echo "$ROOT/.jupyter"
