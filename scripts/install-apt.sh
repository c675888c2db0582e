#!/usr/bin/env bash
# Idempotent install of the Debian packages the notebooks, the browser test and the PyTorch benchmark need.
# Jupyter comes from Debian, not pip (PyPI is unreachable on the project's machines); Chromium renders
# static figures and drives the browser test; python3-torch is the side-by-side benchmark peer; g++ and
# libopenblas-dev build the native conv/batch-norm kernels (packages/tfjs-wasm-train/scripts/build-native.sh, run by npm ci),
# and libdnnl-dev (oneDNN 2.x) their 3x3 / 7x7 convolutions (optional there: without it they stay on OpenBLAS);
# slurm-wlm and munge make the one-node Slurm cluster the Slurm executor's test runs against (scripts/slurm-local.sh).
# Fast path: when every package is already installed, nothing touches apt (no root needed).
set -euo pipefail

PACKAGES=(
  chromium
  jupyter-nbconvert
  jupyter-client
  python3-nbclient
  jupyter-notebook
  python3-ipykernel
  python3-torch
  python3-scipy
  g++
  libopenblas-dev
  libdnnl-dev
  slurm-wlm
  munge
)
# Seconds to keep retrying while another process (unattended-upgrades, a parallel setup) holds the dpkg/apt lock.
LOCK_WAIT_S="${STAR_APT_LOCK_WAIT_S:-900}"

missing=()
for p in "${PACKAGES[@]}"; do
  if [ "$(dpkg-query -W -f='${Status}' "$p" 2>/dev/null || true)" != "install ok installed" ]; then
    missing+=("$p")
  fi
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-apt: all ${#PACKAGES[@]} packages already installed"
  exit 0
fi
echo "install-apt: missing: ${missing[*]}"

if [ "$(id -u)" -eq 0 ]; then
  SUDO=()
elif command -v sudo >/dev/null 2>&1; then
  SUDO=(sudo)
else
  echo "install-apt: not root and no sudo; install these yourself: apt-get install -y --no-install-recommends ${missing[*]}" >&2
  exit 1
fi

# apt-get itself fails fast (exit 100) when the lock is held; retry until LOCK_WAIT_S is spent.
# DPkg::Lock::Timeout (apt >= 1.9) also makes each attempt wait on the dpkg frontend lock.
apt_retry() {
  local start now
  start=$(date +%s)
  until "${SUDO[@]}" env DEBIAN_FRONTEND=noninteractive apt-get -o DPkg::Lock::Timeout=60 "$@"; do
    now=$(date +%s)
    if [ $((now - start)) -ge "$LOCK_WAIT_S" ]; then
      echo "install-apt: apt-get $* still failing after ${LOCK_WAIT_S}s (lock held, or a real error above)" >&2
      return 1
    fi
    echo "install-apt: apt-get $1 failed (another apt/dpkg may hold the lock); retrying in 10 s" >&2
    sleep 10
  done
}

# Only refresh the package lists when they are missing (a fresh container); otherwise a slow mirror
# would make every setup pay for an update.
if [ -z "$(ls -A /var/lib/apt/lists 2>/dev/null | grep -v -e '^lock$' -e '^partial$' || true)" ]; then
  apt_retry update
fi
if ! apt_retry install -y --no-install-recommends "${missing[@]}"; then
  # Stale lists (404 on a superseded version) are the usual cause: update once and try again.
  apt_retry update
  apt_retry install -y --no-install-recommends "${missing[@]}"
fi
echo "install-apt: done"
