/**
 * The grid's pace line: training time is steps × ms/step per finished run (a summary's wall time covers only the
 * segment after the last resume), unfinished runs are extrapolated from their arm's finished runs, less their
 * checkpoint's share, and the sum is divided among the runs training now. Values worked out by hand below.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { formatGridStatus, gridPace, type RunStatus } from '../src/experiments/grid-status';

const run = (arm: string, seed: number, state: RunStatus['state'], extra: Partial<RunStatus> = {}): RunStatus =>
  ({ run: `${arm}-s${seed}`, arm, seed, state, detail: '', ...extra });

test('gridPace: per-arm means, the grid mean for an arm without finished runs, checkpoints and running ETAs', () => {
  const now = Date.now();
  const runs: RunStatus[] = [
    run('a', 1, 'done', { trainedSeconds: 3000 }),
    run('a', 2, 'done', { trainedSeconds: 5000 }), // a: mean 4000
    run('c', 1, 'done', { trainedSeconds: 8000 }), // grid mean (3000 + 5000 + 8000) / 3 = 16000 / 3
    run('a', 3, 'running', { progress: { step: 10, total: 40, msPerStep: 100, etaSeconds: 600, time: now } }),
    run('a', 4, 'failed', { checkpointStep: 10 }), // 4000 × (1 − 10/40) = 3000
    run('b', 1, 'missing'), // 16000 / 3
    run('c', 2, 'missing'), // 8000
  ];
  const p = gridPace(runs, 40, () => 1)!;
  assert.equal(p.done, 3);
  assert.equal(p.trainedSeconds, 16000);
  assert.equal(p.workers, 1);
  const expected = 600 + 3000 + 16000 / 3 + 8000;
  assert.ok(Math.abs(p.remainingSeconds - expected) < 1, `${p.remainingSeconds} vs ${expected}`);
  assert.equal(p.etaSeconds, p.remainingSeconds);
  // A longer arm (stepsScale 2) needs twice its share of steps: the checkpoint at 10 of 80 leaves 7/8 of its mean.
  const long = gridPace([run('a', 1, 'done', { trainedSeconds: 4000 }), run('a', 2, 'failed', { checkpointStep: 10 })], 40, () => 2)!;
  assert.equal(long.remainingSeconds, 3500);
});

test('gridPace: nothing finished, nothing to extrapolate; a reused run (0 s) does not count; two runners halve the wall time', () => {
  assert.equal(gridPace([run('a', 1, 'missing'), run('a', 2, 'running')], 40, () => 1), undefined);
  assert.equal(gridPace([run('a', 1, 'done', { trainedSeconds: 0 })], 40, () => 1), undefined);
  const t = Date.now();
  const p = gridPace([
    run('a', 1, 'done', { trainedSeconds: 1000 }),
    run('a', 2, 'running', { progress: { step: 1, total: 2, msPerStep: 1, etaSeconds: 500, time: t } }),
    run('a', 3, 'running', { progress: { step: 1, total: 2, msPerStep: 1, etaSeconds: 500, time: t } }),
    run('a', 4, 'missing'),
  ], 40, () => 1)!;
  assert.equal(p.workers, 2);
  assert.ok(Math.abs(p.remainingSeconds - 2000) < 1 && Math.abs(p.etaSeconds - 1000) < 1);
  assert.match(formatGridStatus({ experiment: 'x', runs: [], pace: p }, 'here'), /pace: 1 finished run trained ≈ 16m40s in all; ≈ 33m\d\ds of training left, ≈ 16m\d\ds of wall time on 2 workers/);
});

test('gridPaceLine: training hours from each finished run\'s own pace, the primary stage-1 runs left, and the status command', async () => {
  const fs = await import('node:fs');
  const os = await import('node:os');
  const path = await import('node:path');
  const { gridPaceLine } = await import('../src/report/readme');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'grid-pace-'));
  // Run a-s1: 3,600 steps at 1 s/step, logged every 100 steps, with a 10-hour interruption between steps 1,800 and 1,900
  // (left out as a gap: the run trained 3,500 of its steps inside kept intervals, at 1 s per step → 3,600 steps = 1.00 h).
  // Run c-s1: 3,600 steps at 2 s/step (2.00 h). Run a-s9 is a stage-2 seed; b-s1 has no summary (not finished).
  const write = (run: string, sPerStep: number, gapAfter?: number) => {
    const dir = path.join(root, 'runs', 'g', run);
    fs.mkdirSync(dir, { recursive: true });
    let t = 0;
    const lines: string[] = [];
    for (let step = 100; step <= 3600; step += 100) {
      t += 100 * sPerStep * 1000 + (gapAfter !== undefined && step === gapAfter + 100 ? 36_000_000 : 0);
      lines.push(JSON.stringify({ step, loss: 0.1, lr: 1e-3, time: t }));
    }
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.join('\n') + '\n');
    return dir;
  };
  fs.writeFileSync(path.join(write('a-s1', 1, 1800), 'summary.json'), JSON.stringify({ steps: 3600 }));
  fs.writeFileSync(path.join(write('c-s1', 2), 'summary.json'), JSON.stringify({ steps: 3600 }));
  fs.writeFileSync(path.join(write('a-s9', 1), 'summary.json'), JSON.stringify({ steps: 3600 }));
  write('b-s1', 1);
  const line = gridPaceLine(root, { experiment: 'g', primaryArms: ['a', 'b', 'c'], seeds: 8, workers: 2, status: 'star status' })!;
  // A run copied from another experiment (reusedFrom) is finished but cost nothing: not in the hours nor the means.
  fs.writeFileSync(path.join(write('c-s2', 5), 'summary.json'), JSON.stringify({ steps: 3600, reusedFrom: 'other/c-s2' }));
  const reused = gridPaceLine(root, { experiment: 'g', primaryArms: ['a', 'b', 'c'], seeds: 8, workers: 2, status: 'star status' })!;
  // Left: 21 runs, 7 × 1 + 8 × 4/3 + 6 × 2 = 29.67 h / 2 = 14.8 h → "15 h".
  assert.match(reused, /: 4\.0 h of training in all, 1\.00–2\.00 h per run; the 21 primary stage-1 runs not finished need ≈ 15 h/);
  fs.rmSync(path.join(root, 'runs', 'g', 'c-s2'), { recursive: true });
  // Finished: 1 + 2 + 1 = 4 h. Left: the primary stage-1 runs, 3 arms × 8 seeds − 2 finished (a-s1, c-s1) = 22, each at
  // its arm's mean (a 1 h over a-s1 and a-s9; c 2 h; b none finished: the grid's mean 4/3 h):
  // 7 × 1 + 8 × 4/3 + 7 × 2 = 31.67 h, / 2 workers = 15.8 h → "16 h" (what `--status` says with no checkpoint).
  assert.match(line, /^Pace of the grid's 3 finished runs .*: 4\.0 h of training in all, 1\.00–2\.00 h per run; the 22 primary stage-1 runs not finished need ≈ 16 h on 2 workers at each arm's mean pace \(partly trained checkpoints not counted: `--status` subtracts them\)\. Where each run stands: `star status`\.$/);
  assert.equal(gridPaceLine(root, { experiment: 'none', primaryArms: ['a'], seeds: 8, workers: 2, status: '' }), null);
  fs.rmSync(root, { recursive: true, force: true });
});

test('stageProgress groups the listed runs by the staged seed rule; the status names the stages and the open stage\'s pace', async () => {
  const { stageProgress } = await import('../src/experiments/grid-status');
  const runs = [1, 2, 3, 4].flatMap((seed) => [run('a', seed, seed === 1 ? 'done' : 'missing', seed === 1 ? { trainedSeconds: 100 } : {}), run('c', seed, 'missing')]);
  const st = stageProgress(runs, [1, 2, 3, 4], [2, 4])!;
  assert.deepEqual(st, [{ stage: 1, seeds: [1, 2], done: 1, total: 4 }, { stage: 2, seeds: [3, 4], done: 0, total: 4 }]);
  assert.equal(stageProgress(runs, [1, 2, 3, 4], undefined), undefined);
  // Only the first stage's seeds were listed (--seeds): stage 2 has no runs and is not shown.
  assert.deepEqual(stageProgress(runs.filter((r) => r.seed <= 2), [1, 2, 3, 4], [2, 4])!.map((s) => s.stage), [1]);
  const text = formatGridStatus({ experiment: 'x', runs: [], stages: st, pace: gridPace(runs.filter((r) => r.seed <= 2), 40, () => 1)!, paceStage: 1 }, 'here');
  assert.match(text, /stage 1 \(seeds 1–2\): 1 of 4 done; stage 2 \(seeds 3–4, only if the stopping rule calls for it\): 0 of 4 done/);
  // Stage 1's three unfinished runs at the 100 s mean: 300 s left in stage 1.
  assert.match(text, /≈ 5m00s of training left in stage 1/);
});
