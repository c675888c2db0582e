#!/usr/bin/env bash
# Resume the regime pilot (experiment regime-pilot, notebook 10) on the commit it started on, across sessions.
#   bash scripts/run-pilot.sh            train what is missing (two single-threaded workers), syncing results back
#   bash scripts/run-pilot.sh --sync     only copy the worktree's runs back into results/runs/regime-{pilot,length}
# The pilot's runs come from commit 5cb5241 (tag pilot-v1; kept in main's history by a merge): a resumed run must
# continue on that code and its kernels, and that commit predates STAR_RESULTS_ROOT, so this script gives it a worktree
# of its own (.grid/pilot-v1, git-ignored, with its own npm ci and native build from the same lockfile), copies the
# committed pilot runs into it — finished ones and the checkpoints of unfinished ones (committed so that a run spans
# sessions) — and copies every run back into this checkout's results/ every 10 minutes and at the end. Commit
# results/runs/regime-{pilot,length} afterwards; `git add -f results/runs/regime-*/*/checkpoint` keeps unfinished runs.
# Order: A and C at 8,000 and 20,000 steps on seeds 1-2 (the first run-length check: 8,000 failed it), the clean-label
# arms (the manipulation check), then the second run-length check — 20,000 against 40,000 steps, experiment
# regime-length (src/experiments/specs/regime-length.json, a spec file the pinned commit reads, so its runs share the
# pilot's code and kernels) — for A and C, then B and D at 20,000 and 40,000. B and D at 8,000 steps are no longer
# trained: 8,000 steps is rejected by A and C already, and those runs would serve only comparisons at that length.
set -euo pipefail
cd "$(dirname "$0")/.."
MAIN=$(pwd)
COMMIT=5cb524166d8b3bd646e963d7d443f4d8196350ca
WT=.grid/pilot-v1
EXPERIMENTS="regime-pilot regime-length"
LENGTH_SPEC="$MAIN/src/experiments/specs/regime-length.json"

sync_back() {
  local RUNS
  for e in $EXPERIMENTS; do RUNS=results/runs/$e; sync_runs; done
  return 0
}
sync_runs() {
  [ -d "$WT/$RUNS" ] || return 0
  mkdir -p "$RUNS"
  for d in "$WT/$RUNS"/*/; do
    name=$(basename "$d")
    # cp of a checkpoint being replaced (two renames) can fail halfway: retry once, the next sync catches up.
    cp -r "$d" "$RUNS/" 2>/dev/null || cp -r "$d" "$RUNS/" || true
    # Locks and progress records come along (git-ignored): `star experiment regime-pilot --status` run here then shows
    # the worktree's runs as running, with step and ETA; a finished run's are dropped.
    [ -e "$d/.lock" ] || rm -rf "$RUNS/$name"/.lock* "$RUNS/$name"/progress.json
    # A finished run keeps its best/ weights, not its training checkpoint.
    [ -f "$RUNS/$name/summary.json" ] && rm -rf "$RUNS/$name/checkpoint"
  done
  return 0
}

if [ "${1:-}" = "--sync" ]; then sync_back; exit 0; fi

git cat-file -e "$COMMIT^{commit}" 2>/dev/null || { echo "run-pilot: commit $COMMIT is not in this clone" >&2; exit 1; }
if [ ! -d "$WT" ]; then
  git worktree add --detach "$WT" "$COMMIT" >/dev/null
  (cd "$WT" && npm ci --no-audit --no-fund >/dev/null)
fi
# The pinned commit predates the resume check on kernels, and its install never fails: an `npm ci` that ran before
# OpenBLAS was installed (e.g. beside a first `npm run setup`) leaves it on the wasm kernels, which would continue the
# committed checkpoints with other arithmetic. Build the addon if it is missing, and refuse to train without it.
ADDON="$WT/dist/native/star_native.node"
[ -f "$ADDON" ] || (cd "$WT" && npm run build:native >/dev/null 2>&1) || true
[ -f "$ADDON" ] || { echo "run-pilot: the pinned commit's native kernels did not build ($ADDON missing; apt install g++ libopenblas-dev, then run this again): the pilot's runs used them" >&2; exit 1; }
mkdir -p "$WT/data" "$WT/results/runs" results/local data/cache # data/cache: the link below must not dangle in a fresh clone
[ -e "$WT/data/cache" ] || ln -s ../../../data/cache "$WT/data/cache"
# The committed runs go in first (never overwriting the worktree's newer state of a run it is training).
for e in $EXPERIMENTS; do
  RUNS=results/runs/$e
  [ -d "$RUNS" ] || continue
  for d in "$RUNS"/*/; do
    name=$(basename "$d")
    [ -e "$WT/$RUNS/$name" ] || { mkdir -p "$WT/$RUNS"; cp -r "$d" "$WT/$RUNS/"; }
  done
done

export STAR_PROFILE=full STAR_BACKEND="${STAR_BACKEND:-wasm-single}" STAR_THREADS="${STAR_THREADS:-1}"
# OpenBLAS picks its kernels by CPU (SkylakeX on AVX-512 Intel, Haswell-class on AMD Zen), and they round differently:
# the pilot's first runs were trained with Haswell kernels, and a restart on an AVX-512 machine diverged from step 10.
# Pinned, every AVX2 machine computes the same bits (measured: step-10..40 losses of a-coord-s1 reproduced exactly on
# an AVX-512 Xeon with it, not without). The pinned commit predates the backend's own pinning, so it is set here.
if ! grep -qw avx2 /proc/cpuinfo || ! grep -qw fma /proc/cpuinfo; then
  echo "run-pilot: this CPU has no AVX2/FMA, so OpenBLAS cannot run the Haswell kernels the pilot's runs used: its numbers would differ" >&2; exit 1
fi
[ -z "${OPENBLAS_CORETYPE:-}" ] || [ "$OPENBLAS_CORETYPE" = Haswell ] || {
  echo "run-pilot: OPENBLAS_CORETYPE=$OPENBLAS_CORETYPE, but the pilot's runs used Haswell kernels (unset it)" >&2; exit 1; }
export OPENBLAS_CORETYPE=Haswell
x() { (cd "$WT" && node --import tsx src/cli.ts experiment "$@"); }
worker() {
  for s in 1 2; do x regime-pilot --seeds "$s" --only a-coord,c-star,a-coord-long,c-star-long || return $?; done
  for s in 1 2; do x regime-pilot --seeds "$s" --only a-coord-clean,c-star-clean || return $?; done
  for s in 1 2; do x "$LENGTH_SPEC" --seeds "$s" --only a-coord-40k,c-star-40k || return $?; done
  # B and D at 20,000 and 40,000 steps only if A and C both pass (src/experiments/regime.ts, GRID_STEPS: one failing
  # arm decides the rule, so their runs could not change it). PILOT_BD=1 trains them regardless.
  [ "${PILOT_BD:-0}" = 1 ] || return 0
  for s in 1 2; do x regime-pilot --seeds "$s" --only b-coord-value-long,d-star-detach-long || return $?; done
  for s in 1 2; do x "$LENGTH_SPEC" --seeds "$s" --only b-coord-value-40k,d-star-detach-40k || return $?; done
}
worker > results/local/pilot-1.log 2>&1 &
A=$!
sleep 60 # let the first worker take its first run lock
worker > results/local/pilot-2.log 2>&1 &
B=$!
(while sleep 600; do sync_back; done) &
S=$!
trap 'pkill -TERM -P $A; pkill -TERM -P $B; kill $S; wait $A $B; sync_back' INT TERM
rc=0
wait $A || rc=$?
wait $B || rc=$?
kill $S 2>/dev/null || true
sync_back
echo "run-pilot: workers stopped (exit $rc); results in results/runs/regime-pilot and results/runs/regime-length — commit them"
exit $rc
