#!/usr/bin/env bash
# Jupyter Notebook for the project, on loopback only, with the tslab (TypeScript) kernel.
#   npm run jupyter                      opens the project root; notebooks are in notebooks/
#   npm run jupyter -- --port 9999 --no-browser
# Every kernel runs in the project root whatever folder the .ipynb is in (scripts/kernel/tslab-kernel.sh),
# so notebooks import local code as './src/...'. Extra arguments go to `jupyter notebook`.
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"
PY=/usr/bin/python3   # Debian's Jupyter; the first python3 on PATH may be another interpreter
if ! "$PY" -c 'import notebook' 2>/dev/null; then
  echo "jupyter: $PY cannot import notebook; run npm run setup (apt: jupyter-notebook)" >&2
  exit 1
fi
JP="$(bash scripts/kernel/install-kernelspec.sh)"
export JUPYTER_PATH="$JP${JUPYTER_PATH:+:$JUPYTER_PATH}"
export PYDEVD_DISABLE_FILE_VALIDATION=1
ARGS=(--ip=127.0.0.1 "--notebook-dir=$ROOT" --NotebookApp.default_url=/tree/notebooks)
if [ "$(id -u)" -eq 0 ]; then
  ARGS+=(--allow-root)   # containers often run as root; Jupyter refuses without this flag
fi
exec "$PY" -m notebook "${ARGS[@]}" "$@"
