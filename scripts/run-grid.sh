#!/usr/bin/env bash
# Train an experiment grid from a git worktree at a tagged commit, so that a grid never mixes code versions, while the
# results land in this checkout's results/ (STAR_RESULTS_ROOT). Resumable: run the same command again and finished
# runs are skipped, interrupted ones resume from their checkpoints (the runner refuses a checkpoint of other code).
#   bash scripts/run-grid.sh <tag> <experiment|spec.json|name1,name2> [workers] [-- experiment options]
#   e.g. git tag grid-regime-1 && bash scripts/run-grid.sh grid-regime-1 regime-pilot 2
#   The regime's stage 1, primary arms first (its verdicts need only them; the secondary arms follow with the same
#   command without --only): GRID_SEEDS="1 2 3 4 5 6 7 8" bash scripts/run-grid.sh grid-regime-1 regime 2 -- \
#     --only a-coord-high,b-coord-value-high,c-star-high,a-coord-clean,c-star-clean
# - the worktree: .grid/<tag>/ (git-ignored), created at the tag's commit and checked to be clean and still there;
# - its node_modules: links to this checkout's packages, except the workspace packages, which link to the worktree's
#   own packages/ (a plain link to ../node_modules would load this checkout's tfjs-wasm-train instead); the native
#   kernels are built once for the worktree (packages/tfjs-wasm-train/scripts/build-native.sh);
# - data/cache is shared with this checkout (generated data depends only on its config);
# - [workers] single-threaded training processes (default 2, one per core) work through the grid seed by seed, as
#   scripts/run-full.sh does; run locks make each skip the run another holds.
# Environment: STAR_PROFILE (default full), STAR_BACKEND (default wasm-single), STAR_THREADS (default 1), STAR_ENGINES
# (default pinned), GRID_SEEDS
# (train only these of the profile's seeds, e.g. one stage of a staged design).
# Logs: results/local/grid-<tag>-<worker>.log. Tables at the end: results/tables/ (the profile's results folder).
set -euo pipefail
[ $# -ge 2 ] || { echo "usage: $0 <tag> <experiment|spec.json> [workers] [-- experiment options]" >&2; exit 2; }
TAG=$1
EXP=$2
WORKERS=2
shift 2
if [ $# -gt 0 ] && [ "$1" != "--" ]; then WORKERS=$1; shift; fi
[ "${1:-}" = "--" ] && shift
[[ $WORKERS =~ ^[1-9][0-9]*$ ]] || { echo "run-grid: workers must be a positive number, got \"$WORKERS\" (options for star experiment go after --)" >&2; exit 2; }
EXTRA=("$@") # passed to every `star experiment` call (e.g. --only a,b)
for a in "${EXTRA[@]}"; do [ "$a" != "--seeds" ] || { echo "run-grid: --seeds is the workers' own option: set GRID_SEEDS instead" >&2; exit 2; }; done
cd "$(dirname "$0")/.."
MAIN=$(pwd)
COMMIT=$(git rev-parse --verify --quiet "refs/tags/$TAG^{commit}") || {
  echo "run-grid: no tag \"$TAG\" (a grid runs from a tagged commit: git tag $TAG <commit>)" >&2; exit 2; }
WT=".grid/$TAG"

# A spec file is read from this checkout (it is data, not code): give the worktree its absolute path.
case "$EXP" in *.json) EXP=$(cd "$(dirname "$EXP")" && pwd)/$(basename "$EXP") ;; esac

if [ ! -d "$WT" ]; then
  git worktree add --detach "$WT" "$COMMIT" >/dev/null
  echo "run-grid: worktree $WT at $TAG ($COMMIT)"
fi
[ "$(git -C "$WT" rev-parse HEAD)" = "$COMMIT" ] || { echo "run-grid: $WT is not at $TAG ($COMMIT): remove it (git worktree remove $WT)" >&2; exit 1; }
grep -qs STAR_RESULTS_ROOT "$WT/src/config/profile.ts" || {
  echo "run-grid: the code at $TAG predates STAR_RESULTS_ROOT (it would write its results into the worktree): tag a later commit" >&2; exit 1; }
[ -z "$(git -C "$WT" status --porcelain --untracked-files=normal -- src packages)" ] || {
  echo "run-grid: $WT has changes under src/ or packages/: a grid runs the tagged code only" >&2; exit 1; }

# node_modules: everything from this checkout, the workspace packages from the worktree.
if [ ! -d "$WT/node_modules" ]; then
  mkdir "$WT/node_modules"
  for entry in node_modules/* node_modules/.bin; do
    ln -s "../../../$entry" "$WT/node_modules/$(basename "$entry")"
  done
  for pkg in "$WT/packages/"*/; do
    name=$(node -p "require('./$pkg/package.json').name")
    rm -f "$WT/node_modules/$name"
    ln -s "../packages/$(basename "$pkg")" "$WT/node_modules/$name"
  done
  for pkg in "$WT/packages/"*/; do
    [ -f "$pkg/scripts/build-native.sh" ] && bash "$pkg/scripts/build-native.sh"
  done
fi
mkdir -p "$WT/data"
[ -e "$WT/data/cache" ] || ln -s ../../../data/cache "$WT/data/cache"

# A grid pins its kernels (AVX2 on every machine: the same bits on Intel and AMD), so that it resumes, and its runs
# pair, on whatever machine type the next session or node has; STAR_ENGINES=fastest trades that for speed.
export STAR_PROFILE="${STAR_PROFILE:-full}" STAR_BACKEND="${STAR_BACKEND:-wasm-single}" STAR_THREADS="${STAR_THREADS:-1}" STAR_ENGINES="${STAR_ENGINES:-pinned}"
export STAR_RESULTS_ROOT="$MAIN/results"
mkdir -p results/local
star() { node --import tsx "$WT/src/cli/main.ts" "$@"; }
# The profile's seeds of every experiment named, as the tagged code scales them.
SEEDS=$(cd "$WT" && node --import tsx -e "
  const { experimentsArgument } = require('./src/cli/project-args');
  const { scaleSpec } = require('./src/experiments/spec');
  experimentsArgument(process.argv[1], { refuseBuiltInNames: false }).then((specs) =>
    console.log([...new Set(specs.flatMap((s) => scaleSpec(s, process.env.STAR_PROFILE).seeds))].sort((a, b) => a - b).join(' ')));
" "$EXP")
# GRID_SEEDS: train only these of the profile's seeds (e.g. the first stage of a staged design: GRID_SEEDS="1 2 3 4 5 6 7 8").
if [ -n "${GRID_SEEDS:-}" ]; then
  for s in $GRID_SEEDS; do
    [[ " $SEEDS " == *" $s "* ]] || { echo "run-grid: GRID_SEEDS has $s, which is not among the profile's seeds ($SEEDS)" >&2; exit 2; }
  done
  SEEDS=$GRID_SEEDS
fi
echo "run-grid: $EXP at $TAG, profile $STAR_PROFILE, seeds $SEEDS, $WORKERS workers${EXTRA[*]:+, options ${EXTRA[*]}}; results in $STAR_RESULTS_ROOT"
worker() { for s in $SEEDS; do star experiment "$EXP" --seeds "$s" --train-only "${EXTRA[@]}" || return $?; done; }
pids=()
for w in $(seq 1 "$WORKERS"); do
  worker > "results/local/grid-$TAG-$w.log" 2>&1 &
  pids+=($!)
  [ "$w" -lt "$WORKERS" ] && sleep 20 # let this worker take its first run lock
done
# Stop the training processes (children of the worker shells): they checkpoint and exit 130, which ends the loops.
trap 'for p in "${pids[@]}"; do pkill -TERM -P "$p"; done; wait' INT TERM
rc=0
for p in "${pids[@]}"; do wait "$p" || rc=$?; done
[ $rc -eq 0 ] || { echo "run-grid: a worker stopped (exit $rc); see results/local/grid-$TAG-*.log; run the same command to resume" >&2; exit $rc; }
star tables "$EXP"
