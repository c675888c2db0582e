/**
 * End-to-end training on the synthetic benchmark at smoke size: the loss falls, a run interrupted mid-way and resumed
 * reaches bit-identical weights and metrics, and the experiment runner skips finished runs.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'tfjs-wasm-train';
import { runOne } from '../src/experiments/run';
import { runExperiment } from '../src/experiments/runner';
import { runDirFor } from '../src/runs/folder';
import { aggregateExperiment } from '../src/runs/aggregate';
import { summariseExperiment } from '../src/report/experiment-tables';
import { scaleSpec, type ExperimentSpec } from '../src/experiments/spec';
import { loadCheckpoint } from '../src/model/checkpoint';
import { readJson } from '../src/util/files';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'star-train-'));
const quiet = { update() {}, message() {}, done() {} };

// Declares every size, so it runs as declared in any profile (scaleSpec fills in only the augmentation).
const spec = scaleSpec({
  name: 'test-train',
  title: 'test',
  question: 'test',
  data: { seed: 5, imageSize: 64, counts: { train: 16, val: 8, test: 8 } },
  model: { preset: 'cpu-tiny' },
  train: { steps: 12, batchSize: 4, evalEvery: 6, checkpointEvery: 4, logEvery: 2, statsEvery: 4, schedule: { lr: 2e-3, milestones: [0.8], gamma: 0.1, warmupSteps: 0 } },
  seeds: [7],
  arms: [
    { id: 'star', label: 'STAR', loss: { kind: 'star' } },
    { id: 'mse', label: 'MSE', loss: { kind: 'heatmap-mse' } },
  ],
  comparisons: [['mse', 'star']],
}, 'smoke');

test('a tiny run trains (loss falls), writes its artefacts, and resume after an interruption is exact', async () => {
  await initBackend({ quiet: true });
  const arm = spec.arms[0];
  const opts = { profile: 'smoke' as const, progress: quiet, handleSignals: false, workers: 1 };
  const full = await runOne({ ...spec, train: { ...spec.train, steps: 24 } }, arm, 7, { ...opts, resultsRoot: path.join(tmpRoot, 'a') });
  assert.ok(full);
  const dirA = runDirFor(path.join(tmpRoot, 'a'), spec, arm, 7);
  const losses = fs.readFileSync(path.join(dirA, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((r) => r.loss !== undefined).map((r) => r.loss as number);
  const first = (losses[0] + losses[1]) / 2;
  const last = (losses[losses.length - 1] + losses[losses.length - 2]) / 2;
  assert.ok(last < first, `loss did not fall: first ${first}, last ${last} (${losses.map((l) => l.toFixed(3)).join(' ')})`);
  for (const f of ['config.json', 'env.json', 'summary.json', 'eigen.jsonl', 'distribution-stats.json', 'test-nme.json', 'predictions.json', 'prediction-records.bin']) {
    assert.ok(fs.existsSync(path.join(dirA, f)), `missing ${f}`);
  }
  const stats = readJson<{ ratio: number[] }>(path.join(dirA, 'distribution-stats.json'));
  assert.equal(stats.ratio.length, 98);
  assert.ok(stats.ratio.every((r) => Number.isFinite(r) && r >= 1 - 1e-6));

  // Interrupted after 5 steps (checkpoint written at the stop), then resumed with the same command.
  const rootB = path.join(tmpRoot, 'b');
  const specB = { ...spec, train: { ...spec.train, steps: 24 } };
  const partial = await runOne(specB, arm, 7, { ...opts, resultsRoot: rootB, stopAfter: 5 });
  assert.equal(partial, null, 'an interrupted run returns null');
  const dirB = runDirFor(rootB, spec, arm, 7);
  assert.equal(Number(readJson<{ step: number }>(path.join(dirB, 'checkpoint', 'state.json')).step), 5);
  const resumed = await runOne(specB, arm, 7, { ...opts, resultsRoot: rootB });
  assert.ok(resumed);
  const wa = loadCheckpoint(path.join(dirA, 'checkpoint')).model;
  const wb = loadCheckpoint(path.join(dirB, 'checkpoint')).model;
  let maxDiff = 0;
  for (const [k, t] of wa) {
    const d = tf.tidy(() => tf.max(tf.abs(tf.sub(t, wb.get(k)!))).dataSync()[0]);
    maxDiff = Math.max(maxDiff, d);
  }
  assert.equal(maxDiff, 0, 'resumed weights differ from the uninterrupted run');
  assert.equal(resumed!.test.labels.nme, full!.test.labels.nme);
});

test('a stop request ends the grid: the runner reports interrupted and starts no further run', async () => {
  await initBackend({ quiet: true });
  const root = path.join(tmpRoot, 'stop');
  const small = { ...spec, train: { ...spec.train, steps: 6, evalEvery: 0 } };
  const t = await runExperiment(small, 'smoke', { resultsRoot: root, progress: quiet, handleSignals: false, workers: 0, stopAfter: 2 });
  assert.equal(t.interrupted, true);
  assert.ok(fs.existsSync(path.join(runDirFor(root, small, small.arms[0], 7), 'checkpoint')), 'the stopped run left a checkpoint');
  assert.ok(!fs.existsSync(runDirFor(root, small, small.arms[1], 7)), 'the next arm was started after the stop');
  assert.deepEqual(aggregateExperiment(root, t.spec).missing, ['star-s7', 'mse-s7']);
});

test('the runner executes missing runs only; the paired tables are built from its run folders', async () => {
  await initBackend({ quiet: true });
  const root = path.join(tmpRoot, 'grid');
  const small = { ...spec, train: { ...spec.train, steps: 4, evalEvery: 0 } };
  // The spec declares its sizes (seed 7, 4 steps of batch 4, 16 faces): the smoke profile leaves them as they are.
  const r1 = await runExperiment(small, 'smoke', { resultsRoot: root, progress: quiet, handleSignals: false, workers: 0 });
  const t1 = summariseExperiment(r1.spec, 'smoke', root).tables;
  assert.equal(t1.arms.length, 2);
  assert.equal(t1.missing.length, 0);
  assert.equal(t1.comparisons.length, 2, 'one paired row per NME (clean truth, noisy labels)');
  const summaryFile = path.join(runDirFor(root, small, small.arms[0], 7), 'summary.json');
  assert.equal(readJson<{ train: { steps: number; batchSize: number } }>(path.join(path.dirname(summaryFile), 'config.json')).train.steps, 4);
  const before = fs.statSync(summaryFile).mtimeMs;
  await runExperiment(small, 'smoke', { resultsRoot: root, progress: quiet, handleSignals: false, workers: 0 });
  assert.equal(fs.statSync(summaryFile).mtimeMs, before, 'a finished run was trained again');
  for (const f of ['test-train.json', 'test-train.csv', 'test-train.md', 'test-train-paired.csv']) assert.ok(fs.existsSync(path.join(root, 'tables', f)), f);
  // Another experiment with an identical arm (same data, model, training and loss) reuses the finished run.
  const other: ExperimentSpec = { ...small, name: 'test-other', arms: [{ ...small.arms[0], id: 'star-again', label: 'STAR again' }], comparisons: [] };
  const r2 = await runExperiment(other, 'smoke', { resultsRoot: root, progress: quiet, handleSignals: false, workers: 0 });
  assert.equal(aggregateExperiment(root, r2.spec).missing.length, 0);
  const reused = readJson<{ reusedFrom?: string; test: { labels: { nme: number } } }>(path.join(runDirFor(root, other, other.arms[0], 7), 'summary.json'));
  const original = readJson<{ test: { labels: { nme: number } } }>(summaryFile);
  assert.equal(reused.reusedFrom, path.join('runs', 'test-train', 'star-s7'));
  assert.equal(reused.test.labels.nme, original.test.labels.nme);
  // The same key from other code (or a run recorded before provenance) is not reused: it is trained here instead —
  // a grid at a tagged commit must not take in a pilot's runs of another commit that share its keys.
  // Both finished runs of that key (the original and its copy) are made to record other code, then none.
  const envFiles = [path.dirname(summaryFile), runDirFor(root, other, other.arms[0], 7)].map((d) => path.join(d, 'env.json'));
  const env = readJson<{ provenance: { code: { sourceHash: string | null } } }>(envFiles[0]);
  for (const [name, hash] of [['test-other-code', 'another-source-hash'], ['test-no-provenance', null]] as const) {
    const changed = hash === null ? { ...env, provenance: undefined } : { ...env, provenance: { ...env.provenance, code: { ...env.provenance.code, sourceHash: hash } } };
    for (const f of envFiles) fs.writeFileSync(f, JSON.stringify(changed));
    const third: ExperimentSpec = { ...other, name };
    await runExperiment(third, 'smoke', { resultsRoot: root, progress: quiet, handleSignals: false, workers: 0 });
    const trained = readJson<{ reusedFrom?: string }>(path.join(runDirFor(root, third, third.arms[0], 7), 'summary.json'));
    assert.equal(trained.reusedFrom, undefined, `${name}: a run of other code was reused`);
    // Trained here, with this process's code: a fourth experiment now reuses that run, not the altered ones.
    if (hash !== null) {
      const fourth: ExperimentSpec = { ...other, name: `${name}-again` };
      await runExperiment(fourth, 'smoke', { resultsRoot: root, progress: quiet, handleSignals: false, workers: 0 });
      assert.equal(readJson<{ reusedFrom?: string }>(path.join(runDirFor(root, fourth, fourth.arms[0], 7), 'summary.json')).reusedFrom, path.join('runs', name, 'star-again-s7'));
      fs.rmSync(path.join(root, 'runs', name), { recursive: true });
      fs.rmSync(path.join(root, 'runs', `${name}-again`), { recursive: true });
    }
  }
  for (const f of envFiles) fs.writeFileSync(f, JSON.stringify(env));
});

test('AAM (official combination): point and edge targets reach the loss, the loss falls, the AAM heads are trained', async () => {
  await initBackend({ quiet: true });
  const root = path.join(tmpRoot, 'aam');
  const arm = { id: 'star-aam', label: 'STAR + AAM', loss: { kind: 'star' as const }, model: { aam: true } };
  const s = { ...spec, train: { ...spec.train, steps: 16, evalEvery: 0 } };
  const r = await runOne(s, arm, 3, { profile: 'smoke', progress: quiet, handleSignals: false, workers: 0, resultsRoot: root });
  assert.ok(r);
  const dir = runDirFor(root, s, arm, 3);
  assert.equal(readJson<{ model: { aam: boolean } }>(path.join(dir, 'config.json')).model.aam, true);
  const losses = fs.readFileSync(path.join(dir, 'metrics.jsonl'), 'utf8').trim().split('\n').map((l) => JSON.parse(l)).filter((x) => x.loss !== undefined).map((x) => x.loss as number);
  assert.ok(losses.every(Number.isFinite));
  assert.ok(losses[losses.length - 1] < losses[0], `loss did not fall: ${losses.map((l) => l.toFixed(3)).join(' ')}`);
  // STAR alone is ~1-3 at the start; the 10·AWing terms on point and edge maps make the AAM total much larger.
  assert.ok(losses[0] > 10, `AAM loss terms missing? first loss ${losses[0]}`);
  const w = loadCheckpoint(path.join(dir, 'checkpoint')).model;
  const heads = [...w.keys()].filter((k) => /point_head|edge_head/.test(k));
  assert.ok(heads.length >= 2, `no AAM head weights in the checkpoint: ${[...w.keys()].slice(0, 5)}`);
});

test('EMA: decay from the run length, decay 0 equals the raw weights, best/ holds the EMA weights, resume is exact', async () => {
  await initBackend({ quiet: true });
  const { emaDecay } = await import('../src/train/trainer');
  assert.ok(Math.abs(emaDecay({ ema: { horizon: 0.1 }, steps: 2000 })! - Math.exp(-1 / 200)) < 1e-15);
  assert.equal(emaDecay({ ema: null, steps: 10 }), null);
  assert.throws(() => emaDecay({ ema: { decay: 1 }, steps: 10 }), /ema\.decay must be in \[0, 1\)/);
  assert.throws(() => emaDecay({ ema: { horizon: 0 }, steps: 10 }), /ema\.horizon must be in \(0, 1\]/);
  const arm = spec.arms[0];
  const opts = { profile: 'smoke' as const, progress: quiet, handleSignals: false, workers: 0 };
  const maxDiff = (a: Map<string, tf.Tensor>, b: Map<string, tf.Tensor>) => {
    let m = 0;
    for (const [k, t] of a) m = Math.max(m, tf.tidy(() => tf.max(tf.abs(tf.sub(t, b.get(k)!))).dataSync()[0]));
    return m;
  };
  // decay 0: the average is the current weights.
  const s0 = { ...spec, train: { ...spec.train, steps: 8, evalEvery: 0, ema: { decay: 0 } } };
  await runOne(s0, arm, 2, { ...opts, resultsRoot: path.join(tmpRoot, 'ema0') });
  const c0 = loadCheckpoint(path.join(runDirFor(path.join(tmpRoot, 'ema0'), s0, arm, 2), 'checkpoint'));
  assert.ok(c0.ema, 'the checkpoint carries the EMA weights');
  assert.equal(maxDiff(c0.model, c0.ema!), 0);
  // A real average: differs from the raw weights; best/ (selected at the final validation) holds the EMA weights;
  // interrupted at step 5 and resumed, the EMA is bit-identical to the uninterrupted run's.
  const s1 = { ...spec, train: { ...spec.train, steps: 12, evalEvery: 0, ema: { horizon: 0.25 } } };
  const rootA = path.join(tmpRoot, 'emaA');
  const rootB = path.join(tmpRoot, 'emaB');
  await runOne(s1, arm, 2, { ...opts, resultsRoot: rootA });
  assert.equal(await runOne(s1, arm, 2, { ...opts, resultsRoot: rootB, stopAfter: 5 }), null);
  await runOne(s1, arm, 2, { ...opts, resultsRoot: rootB });
  const a = loadCheckpoint(path.join(runDirFor(rootA, s1, arm, 2), 'checkpoint'));
  const b = loadCheckpoint(path.join(runDirFor(rootB, s1, arm, 2), 'checkpoint'));
  const best = loadCheckpoint(path.join(runDirFor(rootA, s1, arm, 2), 'best'));
  assert.ok(maxDiff(a.model, a.ema!) > 0, 'EMA equals the raw weights');
  assert.equal(maxDiff(best.model, a.ema!), 0, 'best/ does not hold the EMA weights');
  assert.equal(maxDiff(a.ema!, b.ema!), 0, 'resumed EMA differs');
});

test('run locks: a live holder makes other processes skip the run; a dead holder is taken over', async () => {
  const { acquireRunLock } = await import('../src/runs/lock');
  const { spawn, spawnSync } = await import('child_process');
  const dir = path.join(tmpRoot, 'locks', 'a-s1');
  const live = spawn('sleep', ['30']);
  try {
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, '.lock'), String(live.pid));
    const busy = acquireRunLock(dir);
    assert.equal(busy.ok, false);
    assert.equal(busy.holder?.pid, live.pid);
  } finally {
    live.kill();
  }
  const dead = spawnSync('true').pid;
  fs.writeFileSync(path.join(dir, '.lock'), String(dead));
  const mine = acquireRunLock(dir);
  assert.ok(mine.ok);
  const holder = JSON.parse(fs.readFileSync(path.join(dir, '.lock'), 'utf8'));
  assert.equal(holder.pid, process.pid);
  assert.equal(holder.host, os.hostname());
  mine.release();
  assert.ok(!fs.existsSync(path.join(dir, '.lock')));
});

test('run locks across nodes: another host\'s lock holds unless Slurm says its job has ended; release leaves a taken-over lock alone', async () => {
  const { acquireRunLock, holderAlive } = await import('../src/runs/lock');
  const { SlurmUnavailable } = await import('../src/runs/slurm-jobs');
  const elsewhere = { host: `not-${os.hostname()}`, pid: 1, since: '' };
  const inJob = { ...elsewhere, slurm: { jobId: '42', arrayJobId: '41', arrayTaskId: '1' } };
  const asked: string[] = [];
  const state = (s: string | null) => (id: string) => (asked.push(id), s);
  assert.equal(holderAlive(elsewhere, state('COMPLETED')), true, 'no Slurm job: nobody here can tell, so it holds');
  assert.deepEqual(asked, []);
  assert.equal(holderAlive(inJob, state('RUNNING')), true);
  assert.equal(holderAlive(inJob, state('PENDING')), true);
  assert.deepEqual(asked, ['42', '42'], 'Slurm is asked about the task\'s own job id');
  for (const ended of ['COMPLETED', 'CANCELLED', 'FAILED', 'TIMEOUT', 'NODE_FAIL', 'PREEMPTED', null]) assert.equal(holderAlive(inJob, state(ended)), false, String(ended));
  assert.equal(holderAlive(inJob, () => { throw new SlurmUnavailable('no squeue'); }), true, 'Slurm unreachable: the lock holds');

  const dir = path.join(tmpRoot, 'locks', 'b-s1');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify(elsewhere));
  const held = acquireRunLock(dir);
  assert.equal(held.ok, false);
  assert.equal(held.holder?.host, elsewhere.host);
  // A lock this module did not write is nobody's; after a takeover, the first owner's release must not remove the new lock.
  fs.writeFileSync(path.join(dir, '.lock'), 'garbage');
  const first = acquireRunLock(dir);
  assert.ok(first.ok);
  fs.writeFileSync(path.join(dir, '.lock'), JSON.stringify({ ...elsewhere, pid: 2 }));
  first.release();
  assert.equal(JSON.parse(fs.readFileSync(path.join(dir, '.lock'), 'utf8')).pid, 2);
  assert.deepEqual(fs.readdirSync(dir).sort(), ['.lock'], 'drafts or stale copies left behind');
});

test('progress: the ETA follows the recent step rate (warm-up and evaluations excluded, evaluations to come added)', async () => {
  const { EtaEstimator } = await import('../src/train/progress');
  const eta = new EtaEstimator(3);
  eta.recordSteps(10, 5000); // warm-up: 500 ms/step
  assert.equal(eta.msPerStep(), 500, 'one report: all there is');
  eta.recordSteps(10, 500);
  assert.equal(eta.msPerStep(), 50, 'the warm-up report is dropped once a second exists');
  eta.recordSteps(10, 700);
  eta.recordSteps(10, 600);
  eta.recordSteps(10, 600);
  assert.equal(eta.msPerStep(), (700 + 600 + 600) / 30, 'a window of the last 3 reports');
  eta.recordEvaluation(2000);
  assert.equal(eta.etaSeconds(100, 2), (100 * (1900 / 30) + 2 * 2000) / 1000);
});

test('progress: the validation NME shown at a step is that step\'s evaluation, and every report has an ETA', async () => {
  await initBackend({ quiet: true });
  const updates: { step: number; valNme?: number; etaSeconds?: number }[] = [];
  const capture = { update: (u: { step: number; valNme?: number; etaSeconds?: number }) => updates.push(u), message() {}, done() {} };
  const root = path.join(tmpRoot, 'progress');
  const s = { ...spec, train: { ...spec.train, steps: 12, evalEvery: 4, logEvery: 2 } };
  await runOne(s, spec.arms[0], 7, { profile: 'smoke', progress: capture, handleSignals: false, workers: 0, resultsRoot: root });
  const vals = fs.readFileSync(path.join(runDirFor(root, s, spec.arms[0], 7), 'metrics.jsonl'), 'utf8').trim().split('\n')
    .map((l) => JSON.parse(l)).filter((r) => r.val).map((r) => [r.step as number, r.val.nme as number] as const);
  assert.deepEqual(vals.map(([st]) => st), [4, 8, 12]);
  for (const [st, nme] of vals) assert.equal(updates.find((u) => u.step === st)?.valNme, nme, `step ${st}: the progress line shows another evaluation`);
  for (const u of updates) assert.ok(Number.isFinite(u.etaSeconds) && u.etaSeconds! >= 0, `step ${u.step}: ETA ${u.etaSeconds}`);
  assert.equal(updates[updates.length - 1].etaSeconds, 0, 'nothing left at the end');
});
