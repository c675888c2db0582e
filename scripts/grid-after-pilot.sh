#!/usr/bin/env bash
# Finish the regime pilot, apply the declared run-length rule, and start the grid's first stage on the tag whose
# GRID_STEPS matches the rule's outcome — unattended, so a long run spans the gap between sessions.
#   bash scripts/grid-after-pilot.sh <tag-for-40000> [<tag-for-20000>]
# 1. waits for a running scripts/run-pilot.sh to end, or runs it (it resumes whatever is unfinished);
# 2. decides with gridLengthDecision (src/report/pilot.ts) on the committed + synced runs: 40,000 steps as soon as one
#    arm is beyond 2% on seeds 1-2, 20,000 when every arm is within, nothing while undecided (then it says why and
#    stops: B and D need PILOT_BD=1 bash scripts/run-pilot.sh);
# 3. checks that the chosen tag's src/experiments/regime.ts declares that GRID_STEPS (a grid never runs a length
#    other than the one its code declares), then trains stage 1, primary arms, seed-major, 2 workers:
#    GRID_SEEDS="1 2 3 4 5 6 7 8" bash scripts/run-grid.sh <tag> regime 2 -- --only <primary arms>.
# The decision and every step are logged to results/local/grid-after-pilot.log. Commit results/runs/regime-* afterwards
# (unfinished runs' checkpoints are not git-ignored, so they survive into the next session).
set -euo pipefail
cd "$(dirname "$0")/.."
[ $# -ge 1 ] || { echo "usage: $0 <tag-for-40000> [<tag-for-20000>]" >&2; exit 2; }
TAG40=$1
TAG20=${2:-}
PRIMARY=a-coord-high,b-coord-value-high,c-star-high,a-coord-clean,c-star-clean
mkdir -p results/local
LOG=results/local/grid-after-pilot.log
say() { echo "[$(date -u +%FT%TZ)] $*" | tee -a "$LOG"; }

# A run-pilot.sh already running (started by hand) is waited for; its exit status is not ours to see, so the decision
# below reads what it left (an unfinished pilot is "undecided" and starts nothing).
if pgrep -f "bash scripts/run-pilot.sh" >/dev/null; then
  say "waiting for the running scripts/run-pilot.sh"
  while pgrep -f "bash scripts/run-pilot.sh" >/dev/null; do sleep 60; done
  bash scripts/run-pilot.sh --sync
else
  say "running scripts/run-pilot.sh"
  bash scripts/run-pilot.sh || { say "run-pilot.sh failed: no grid"; exit 1; }
fi

DECISION=$(node --import tsx -e "
  const { gridLengthDecision } = require('./src/report/pilot');
  const d = gridLengthDecision('results');
  console.log((d.steps ?? 'none') + ' ' + d.reason);
" 2>>"$LOG") || { say "the decision failed (see above): no grid started"; exit 1; }
STEPS=${DECISION%% *}
say "run-length rule: $DECISION"
case "$STEPS" in
  40000) TAG=$TAG40 ;;
  20000) TAG=$TAG20 ;;
  *) say "undecided: no grid started"; exit 0 ;;
esac
[ -n "$TAG" ] || { say "no tag given for $STEPS steps: no grid started"; exit 1; }
git rev-parse --verify --quiet "refs/tags/$TAG^{commit}" >/dev/null || { say "no tag $TAG: no grid started"; exit 1; }
REGIME_AT_TAG=$(git show "$TAG:src/experiments/regime.ts")
grep -q "^export const GRID_STEPS = $STEPS;" <<< "$REGIME_AT_TAG" || {
  say "tag $TAG does not declare GRID_STEPS = $STEPS: no grid started"; exit 1; }
say "starting the grid: tag $TAG ($(git rev-parse --short "$TAG^{commit}")), stage 1 seeds 1-8, primary arms $PRIMARY"
rc=0
GRID_SEEDS="1 2 3 4 5 6 7 8" bash scripts/run-grid.sh "$TAG" regime 2 -- --only "$PRIMARY" >> "$LOG" 2>&1 || rc=$?
say "run-grid.sh ended (exit $rc)"
exit $rc
