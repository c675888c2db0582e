#!/usr/bin/env bash
# One-time setup: Debian packages (Jupyter, Chromium, PyTorch peer), npm dependencies, tslab kernel spec.
#   npm run setup            (or: bash scripts/setup.sh)
#   STAR_SKIP_APT=1 npm run setup   to skip the apt step (e.g. no root, packages installed another way)
set -euo pipefail
ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
cd "$ROOT"

if [ "${STAR_SKIP_APT:-0}" != "1" ]; then
  bash scripts/install-apt.sh
fi

if [ -f package-lock.json ]; then
  npm ci
else
  npm install
fi

JP="$(bash scripts/kernel/install-kernelspec.sh)"
echo "setup: tslab kernel spec written to $JP/kernels/tslab/kernel.json"
if bash scripts/kernel/check-kernelspec.sh "$JP"; then
  echo "setup: Jupyter sees the tslab kernel (JUPYTER_PATH=$JP)"
else
  echo "setup: warning: /usr/bin/python3 -m jupyter does not list the tslab kernel (is jupyter-client installed?)" >&2
fi
echo "setup: done. Next: npm test | npm run notebooks | npm run jupyter"
