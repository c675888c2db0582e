/**
 * Resume and provenance at the level of the experiment runner (what a grid does), on a 40-step spec with a checkpoint
 * every 5 steps: a run stopped mid-way (stopAfter) or SIGKILLed in a child process after its first checkpoint, then
 * resumed by the runner, ends bit-identical to an uninterrupted run; each start is recorded with its provenance; a
 * checkpoint written by other code or kernels is refused (or discarded with restart); tables refuse runs of mixed
 * provenance unless told to.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawn } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';

// Child processes and this one must run the same kernels for their runs to be comparable (and for resume to be allowed).
process.env.STAR_BACKEND = 'wasm-single';
process.env.STAR_THREADS = '1';

import { initBackend } from 'tfjs-wasm-train';
import { gridStatus } from '../src/experiments/grid-status';
import { runExperiment } from '../src/experiments/runner';
import { readSpecFile, scaleSpec, type ExperimentSpec } from '../src/experiments/spec';
import { loadCheckpoint } from '../src/model/checkpoint';
import { aggregateExperiment, MixedProvenanceError } from '../src/runs/aggregate';
import { readMetrics, readRunStarts, readSummary, runDirFor } from '../src/runs/folder';
import type { LossRecord, MetricsRecord, RunEnvironment } from '../src/runs/records';
import { summariseExperiment } from '../src/report/experiment-tables';
import { readJson } from '../src/util/files';

const root = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'star-runner-resume-'));
const quiet = { update() {}, message() {}, done() {} };

/** 40 steps, checkpoint every 5 (the profile's steps/10, at least 5), loss logged every 2, validation at 20 and 40. */
const SPEC_JSON = {
  name: 'resume-test',
  data: { seed: 5, imageSize: 64 },
  model: { preset: 'cpu-tiny' },
  train: { logEvery: 2, statsEvery: 10 },
  seeds: [1],
  dataSeed: 'run',
  profiles: { smoke: { steps: 40, evalEvery: 20, batchSize: 4, seeds: [1], counts: { train: 32, val: 8, test: 8 } } },
  arms: [
    { id: 'coord', label: 'smooth-L1', loss: { kind: 'coord', distance: 'smoothl1' } },
    { id: 'star', label: 'STAR', loss: { kind: 'star' } },
  ],
  comparisons: [['coord', 'star']],
};
const specFile = path.join(tmp, 'resume-test.json');
fs.writeFileSync(specFile, JSON.stringify(SPEC_JSON));
const spec: ExperimentSpec = readSpecFile(specFile);
const coord = spec.arms[0];
const opts = { progress: quiet, handleSignals: false, workers: 1 } as const;
const dirOf = (resultsRoot: string, arm = coord) => runDirFor(resultsRoot, spec, arm, 1);

function maxWeightDiff(a: string, b: string): number {
  const wa = loadCheckpoint(path.join(a, 'checkpoint')).model;
  const wb = loadCheckpoint(path.join(b, 'checkpoint')).model;
  assert.deepEqual([...wa.keys()].sort(), [...wb.keys()].sort());
  let m = 0;
  for (const [k, t] of wa) m = Math.max(m, tf.tidy(() => tf.max(tf.abs(tf.sub(t, wb.get(k)!))).dataSync()[0]));
  [...wa.values(), ...wb.values()].forEach((t) => t.dispose());
  return m;
}

/** metrics.jsonl without the wall-clock field, keyed by kind and step. */
const metricsByStep = (dir: string) => new Map(readMetrics(dir).map((r) => {
  const { time: _time, ...rest } = r as LossRecord;
  return [`${'val' in r ? 'val' : 'loss'} ${r.step}`, JSON.stringify(rest)] as const;
}));
const duplicates = (records: MetricsRecord[]) => {
  const seen = new Set<string>();
  return records.map((r) => `${'val' in r ? 'val' : 'loss'} ${r.step}`).filter((k) => (seen.has(k) ? true : (seen.add(k), false)));
};

/** Final numbers and weights equal the uninterrupted run's, bit for bit. */
function assertSameRun(dir: string, reference: string): void {
  assert.equal(maxWeightDiff(dir, reference), 0, `${dir}: final weights differ from the uninterrupted run`);
  const [a, b] = [readSummary(dir)!, readSummary(reference)!];
  assert.deepEqual(a.test, b.test, 'test metrics differ');
  assert.deepEqual(a.testSoftArgmax, b.testSoftArgmax);
  assert.equal(a.bestStep, b.bestStep);
  assert.equal(a.bestValNme, b.bestValNme);
  const vals = (d: string) => readMetrics(d).filter((r) => 'val' in r).map((r) => JSON.stringify(r));
  assert.deepEqual([...new Set(vals(dir))], vals(reference), 'validation NMEs differ');
}

const uninterrupted = path.join(tmp, 'uninterrupted');
const killed = path.join(tmp, 'sigkill');
let killedAtCheckpoint = -1;

test('uninterrupted grid, and a run stopped at step 10 then resumed by the runner: bit-identical, logs without duplicates', async () => {
  await initBackend({ quiet: true });
  const full = await runExperiment(spec, 'smoke', { ...opts, resultsRoot: uninterrupted });
  assert.equal(full.interrupted, false);
  assert.deepEqual(aggregateExperiment(uninterrupted, full.spec).missing, []);

  const stopped = path.join(tmp, 'stopped');
  const r1 = await runExperiment(spec, 'smoke', { ...opts, resultsRoot: stopped, only: ['coord'], stopAfter: 10 });
  assert.equal(r1.interrupted, true);
  const r2 = await runExperiment(spec, 'smoke', { ...opts, resultsRoot: stopped, only: ['coord'] });
  assert.equal(r2.interrupted, false);
  assertSameRun(dirOf(stopped), dirOf(uninterrupted));
  assert.deepEqual(duplicates(readMetrics(dirOf(stopped))), [], 'metrics.jsonl repeats steps after the resume');
  assert.deepEqual(metricsByStep(dirOf(stopped)), metricsByStep(dirOf(uninterrupted)), 'logged losses or validations differ');
  const starts = readRunStarts(dirOf(stopped));
  assert.deepEqual(starts.map((s) => [s.event, s.step]), [['start', 0], ['resume', 10]]);
  assert.deepEqual(starts[0].provenance, starts[1].provenance);
  assert.match(starts[0].provenance.code.sourceHash ?? '', /^[0-9a-f]{16}$/);
  assert.equal(starts[0].provenance.kernels.backend, 'wasm');
  assert.equal(starts[0].provenance.kernels.threads, 1);
  assert.deepEqual(readJson<RunEnvironment>(path.join(dirOf(stopped), 'env.json')).provenance, starts[1].provenance, 'env.json holds the last start');
});

test('a training process SIGKILLed after its first checkpoint: the runner resumes it to the same weights and numbers', async () => {
  const dir = dirOf(killed);
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), 'experiment', specFile, '--profile', 'smoke', '--results', killed, '--only', 'coord', '--train-only'], {
    cwd: root, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env },
  });
  let out = '';
  child.stdout.on('data', (d) => (out += d));
  child.stderr.on('data', (d) => (out += d));
  const exited = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? `code ${code}`)));
  // Killed once a loss is logged after the checkpoint: the steps between the checkpoint and the kill are trained twice.
  const deadline = Date.now() + 150_000;
  for (;;) {
    assert.ok(Date.now() < deadline, `no checkpoint from the child in time: ${out.slice(-400)}`);
    const state = path.join(dir, 'checkpoint', 'state.json');
    if (fs.existsSync(state)) {
      killedAtCheckpoint = readJson<{ step: number }>(state).step;
      if (readMetrics(dir).some((r) => r.step > killedAtCheckpoint && !('val' in r))) break;
    }
    await new Promise((r) => setTimeout(r, 30));
  }
  child.kill('SIGKILL');
  assert.equal(await exited, 'SIGKILL');
  const checkpointAtKill = readJson<{ step: number }>(path.join(dir, 'checkpoint', 'state.json')).step;
  assert.ok(checkpointAtKill > 0 && checkpointAtKill < 40, `checkpoint at ${checkpointAtKill}`);
  // Its lock names a dead process: the status calls it failed and says where it resumes.
  const status = gridStatus(killed, scaleSpec(spec, 'smoke'));
  assert.deepEqual(status.runs.map((r) => [r.run, r.state]), [['coord-s1', 'failed'], ['star-s1', 'missing']]);
  assert.match(status.runs[0].detail, new RegExp(`started here but neither finished nor running; its checkpoint at step ${checkpointAtKill} is kept`));
  const r = await runExperiment(spec, 'smoke', { ...opts, resultsRoot: killed, only: ['coord'] });
  assert.equal(r.interrupted, false);
  assertSameRun(dir, dirOf(uninterrupted));
  assert.deepEqual(readRunStarts(dir).map((s) => [s.event, s.step]), [['start', 0], ['resume', checkpointAtKill]]);
  killedAtCheckpoint = checkpointAtKill;
});

// Before issue 14's fix the trainer appended the steps it redid after a resume again, and the first loss logged after it
// averaged fewer steps (trainingLog.truncateAfter and the stored loss window in src/train/ fix both).
test('after the SIGKILL and resume, metrics.jsonl has no duplicate steps and the same losses as the uninterrupted run', () => {
  assert.ok(killedAtCheckpoint > 0, 'the SIGKILL test did not run');
  assert.deepEqual(duplicates(readMetrics(dirOf(killed))), []);
  assert.deepEqual(metricsByStep(dirOf(killed)), metricsByStep(dirOf(uninterrupted)));
});

test('a checkpoint written by other code or kernels is not resumed: a clear error, or a restart from step 0 when asked', async () => {
  const other = path.join(tmp, 'other-code');
  await runExperiment(spec, 'smoke', { ...opts, resultsRoot: other, only: ['coord'], stopAfter: 10 });
  const envFile = path.join(dirOf(other), 'env.json');
  const env = readJson<RunEnvironment>(envFile);
  fs.writeFileSync(envFile, JSON.stringify({ ...env, provenance: { ...env.provenance!, code: { ...env.provenance!.code, commit: 'a'.repeat(40), sourceHash: '0123456789abcdef' } } }));
  await assert.rejects(runExperiment(spec, 'smoke', { ...opts, resultsRoot: other, only: ['coord'] }),
    /will not resume the checkpoint at step 10: it was written by other code or kernels than this process runs \(sources 0123456789abcdef vs [0-9a-f]{16}\)[\s\S]*checkpoint: +commit aaaaaaa[\s\S]*--restart to discard the checkpoint/);
  fs.writeFileSync(envFile, JSON.stringify({ ...env, provenance: { ...env.provenance!, kernels: { ...env.provenance!.kernels, threads: 2 } } }));
  await assert.rejects(runExperiment(spec, 'smoke', { ...opts, resultsRoot: other, only: ['coord'] }), /threads 2 vs 1/);
  // Other BLAS kernels (a checkpoint of pinned engines met by this CPU's own, or the reverse): the error says which setting.
  fs.writeFileSync(envFile, JSON.stringify({ ...env, provenance: { ...env.provenance!, kernels: { ...env.provenance!.kernels, blas: 'NoSuchCore' } } }));
  await assert.rejects(runExperiment(spec, 'smoke', { ...opts, resultsRoot: other, only: ['coord'] }),
    /OpenBLAS kernels NoSuchCore vs [\s\S]*The engines differ: STAR_ENGINES=pinned runs AVX2 kernels on every machine/);
  // Asked to restart: the checkpoint and the logs go, training starts at step 0 (stopped again at 3 to keep this short).
  await runExperiment(spec, 'smoke', { ...opts, resultsRoot: other, only: ['coord'], restart: true, stopAfter: 3 });
  assert.equal(readJson<{ step: number }>(path.join(dirOf(other), 'checkpoint', 'state.json')).step, 3);
  assert.deepEqual(readRunStarts(dirOf(other)).map((s) => [s.event, s.step]), [['start', 0], ['restart', 0]]);
  assert.ok(readMetrics(dirOf(other)).every((m) => m.step <= 3), 'the earlier attempt\'s logs were kept');
});

test('tables refuse runs of one experiment with different provenance, listing the groups; --allow-mixed builds them and says so', async () => {
  const mixed = path.join(tmp, 'mixed');
  fs.cpSync(uninterrupted, mixed, { recursive: true });
  const envFile = path.join(dirOf(mixed, spec.arms[1]), 'env.json');
  const env = readJson<RunEnvironment>(envFile);
  fs.writeFileSync(envFile, JSON.stringify({ ...env, provenance: { ...env.provenance!, kernels: { ...env.provenance!.kernels, customKernels: ['Conv2DBackpropFilter'] } } }));
  const scaled = scaleSpec(spec, 'smoke');
  assert.throws(() => aggregateExperiment(mixed, scaled), (e: unknown) => {
    assert.ok(e instanceof MixedProvenanceError);
    assert.equal(e.groups.length, 2);
    assert.match(e.message, /resume-test: its finished runs come from 2 different code versions or kernel sets/);
    assert.match(e.message, /1\. 1 run \(coord-s1\): commit [0-9a-f]{7}[\s\S]*2\. 1 run \(star-s1\): commit [\s\S]*1 custom kernels: Conv2DBackpropFilter/);
    assert.match(e.message, /differ in: custom kernels only in the first: .*Conv2DBackpropInput/);
    assert.match(e.message, /--allow-mixed/);
    return true;
  });
  const t = summariseExperiment(scaled, 'smoke', mixed, { allowMixed: true }).tables;
  assert.equal(t.provenance.mixed, true);
  assert.equal(t.provenance.groups.length, 2);
  assert.match(fs.readFileSync(path.join(mixed, 'tables', 'resume-test.md'), 'utf8'), /^\*\*MIXED: these runs come from 2 code versions or kernel sets/);
  // A run recorded before provenance existed (env.json with a short commit only) is its own group.
  const legacyEnv = path.join(dirOf(mixed, spec.arms[1]), 'env.json');
  fs.writeFileSync(legacyEnv, JSON.stringify({ backend: 'wasm', threads: 1, customKernels: env.provenance!.kernels.customKernels, gitCommit: '7d5b6d2' }));
  assert.throws(() => aggregateExperiment(mixed, scaled), /2\. 1 run \(star-s1\): commit 7d5b6d2, sources not recorded/);
  // The command line: star tables refuses (exit 1, the groups listed), --allow-mixed writes the tables.
  const cli = (extra: string[]) => new Promise<{ code: number | null; text: string }>((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), 'tables', specFile, '--profile', 'smoke', '--results', mixed, ...extra], { cwd: root });
    let text = '';
    c.stdout.on('data', (d) => (text += d));
    c.stderr.on('data', (d) => (text += d));
    c.on('close', (code) => resolve({ code, text }));
  });
  const [refused, allowed] = await Promise.all([cli([]), cli(['--allow-mixed'])]);
  assert.equal(refused.code, 1, refused.text);
  assert.match(refused.text, /star tables: resume-test: its finished runs come from 2 different code versions/);
  assert.equal(allowed.code, 0, allowed.text);
  assert.match(allowed.text, /"mixed": true/);
});
