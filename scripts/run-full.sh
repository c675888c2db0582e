#!/usr/bin/env bash
# The full reproduction grid (STAR_PROFILE=full) on a 2-core machine: the synthetic data is generated once, then two
# single-threaded training processes (one per core) work through the same list of experiments seed by seed; run locks
# (<run dir>/.lock) make each skip the run the other is training, so the work balances itself and an interrupted grid
# covers every arm at the first seeds. Resumable: run it again and finished runs are skipped, interrupted ones resume.
# Logs: results/local/full-{a,b}.log. Afterwards: npm run star -- tables <name> --profile full, and the notebooks
# with STAR_PROFILE=full npm run notebooks.
set -euo pipefail
cd "$(dirname "$0")/.."
# One compute thread per process: two processes already fill the two cores (the native pool would oversubscribe them).
# Pinned kernels (AVX2 everywhere): the grid resumes and pairs on any machine type (STAR_ENGINES=fastest for speed).
export STAR_PROFILE=full STAR_BACKEND="${STAR_BACKEND:-wasm-single}" STAR_THREADS="${STAR_THREADS:-1}" STAR_ENGINES="${STAR_ENGINES:-pinned}"
mkdir -p results/local
star() { node --import tsx src/cli/main.ts "$@"; }
star generate --profile full
SEEDS="${STAR_FULL_SEEDS:-1 2 3}"
# STAR_FULL_EXPS: a comma-separated subset or other experiments (e.g. ablation-aam); default the committed grid.
EXPS="${STAR_FULL_EXPS:-main,ablation-distance,ablation-losses,ambiguity-sweep,ablation-omega,ablation-restriction,ablation-aam}"
worker() { for s in $SEEDS; do star experiment "$EXPS" --seeds "$s" || return $?; done; }
worker > results/local/full-a.log 2>&1 &
A=$!
sleep 20 # let the first worker take its first run lock
worker > results/local/full-b.log 2>&1 &
B=$!
# Stop the training processes themselves (children of the worker shells): they checkpoint and exit 130, which ends the
# workers' loops.
trap 'pkill -TERM -P $A; pkill -TERM -P $B; wait' INT TERM
wait $A $B
for n in ${EXPS//,/ }; do star tables "$n" --profile full; done
