/**
 * The Slurm executor against a real Slurm: a one-node cluster on this machine (scripts/slurm-local.sh, started here
 * when it does not run yet, installed when missing). A grid of 4 runs (40 steps, a checkpoint every 5) is submitted as
 * one job array; one task is cancelled with scancel once its first checkpoint exists; `--status` reports it failed
 * (exit 130); resubmitting submits only that run, which resumes after its checkpoint; every run completes once; the
 * dependent job builds the tables; and every run's final weights and numbers equal a local run of the same grid.
 * Prints what it measured (submission time, per-task overhead, the killed task's recovery).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { execFileSync, spawn, spawnSync } from 'child_process';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';

// The tasks inherit this environment through sbatch (--export=ALL): the same kernels as the local reference run
// (the tasks pin their engines unless STAR_ENGINES is set; the local run would otherwise take this CPU's own).
process.env.STAR_BACKEND = 'wasm-single';
process.env.STAR_THREADS = '1';
process.env.STAR_ENGINES = 'pinned';

import { initBackend } from 'tfjs-wasm-train';
import { loadCheckpoint } from '../src/model/checkpoint';
import { readMetrics, readRunStarts, readSummary, runDirFor } from '../src/runs/folder';
import { readSpecFile } from '../src/experiments/spec';
import { readSubmissions } from '../src/experiments/slurm';
import { holderAlive, readLockHolder } from '../src/runs/lock';
import { requireSetup } from './helpers/setup';

const root = path.resolve(__dirname, '..');
const tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'star-slurm-test-'));
const script = path.join(root, 'scripts', 'slurm-local.sh');

const SPEC_JSON = {
  name: 'slurm-test',
  data: { seed: 5, imageSize: 64 },
  model: { preset: 'cpu-tiny' },
  train: { logEvery: 2, statsEvery: 10 },
  seeds: [1, 2],
  dataSeed: 'run',
  profiles: { smoke: { steps: 40, evalEvery: 20, batchSize: 4, seeds: [1, 2], counts: { train: 32, val: 8, test: 8 } } },
  arms: [
    { id: 'coord', label: 'smooth-L1', loss: { kind: 'coord', distance: 'smoothl1' } },
    { id: 'star', label: 'STAR', loss: { kind: 'star' } },
  ],
  comparisons: [['coord', 'star']],
};
const specFile = path.join(tmp, 'slurm-test.json');
fs.writeFileSync(specFile, JSON.stringify(SPEC_JSON));
const spec = readSpecFile(specFile);
const RUNS = [1, 2].flatMap((seed) => spec.arms.map((arm) => ({ arm, seed })));

const slurmInstalled = spawnSync('sh', ['-c', 'command -v sbatch slurmctld munged'], { stdio: 'ignore' }).status === 0;
const canInstall = process.getuid?.() === 0;
// CI always runs it (as root: the script installs and starts the cluster); elsewhere it needs root or an installed Slurm.
const skip = !slurmInstalled && !canInstall ? 'Slurm is not installed and this user cannot install it: run `sudo bash scripts/slurm-local.sh start` once (CI does it as root)' : false;

function star(args: string[], env: NodeJS.ProcessEnv): Promise<{ code: number | null; out: string; seconds: number }> {
  const t0 = Date.now();
  return new Promise((resolve) => {
    const c = spawn(process.execPath, ['--import', 'tsx', path.join(root, 'src', 'cli', 'main.ts'), ...args], { cwd: root, env });
    let out = '';
    c.stdout.on('data', (d) => (out += d));
    c.stderr.on('data', (d) => (out += d));
    c.on('close', (code) => resolve({ code, out, seconds: (Date.now() - t0) / 1000 }));
  });
}

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

async function waitFor(what: string, done: () => boolean, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!done()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

function maxWeightDiff(a: string, b: string): number {
  const wa = loadCheckpoint(path.join(a, 'checkpoint')).model;
  const wb = loadCheckpoint(path.join(b, 'checkpoint')).model;
  let m = 0;
  for (const [k, t] of wa) m = Math.max(m, tf.tidy(() => tf.max(tf.abs(tf.sub(t, wb.get(k)!))).dataSync()[0]));
  [...wa.values(), ...wb.values()].forEach((t) => t.dispose());
  return m;
}

/** "star-slurm: task 4_0 trains coord seed 1 on vm at 2026-…Z" and "star-slurm: ended at …": ms since the epoch. */
function taskTimes(log: string): { start: number; end: number } {
  const start = /trains .* at (\S+Z)$/m.exec(log)?.[1];
  const end = /^star-slurm: ended at (\S+Z)$/m.exec(log)?.[1];
  return { start: Date.parse(start ?? ''), end: Date.parse(end ?? '') };
}

test('a grid as one Slurm job array: scancel one task after its first checkpoint, resubmit, every run completes once and equals the local run bit for bit', { timeout: 600_000 }, async () => {
  requireSetup(skip);
  await initBackend({ quiet: true }); // only to read the checkpoints
  const wasUp = spawnSync('bash', [script, 'status'], { stdio: 'ignore' }).status === 0;
  const t0 = Date.now();
  const up = spawnSync('bash', [script, 'start'], { encoding: 'utf8', timeout: 600_000 });
  assert.equal(up.status, 0, `slurm-local.sh start failed:\n${up.stdout}\n${up.stderr}`);
  const conf = /export SLURM_CONF=(\S+)/.exec(up.stdout)?.[1];
  assert.ok(conf, up.stdout);
  const startSeconds = (Date.now() - t0) / 1000;
  const env = { ...process.env, SLURM_CONF: conf };
  process.env.SLURM_CONF = conf;
  const queued = (job: string) => execFileSync('squeue', ['-h', '-j', job, '-o', '%i'], { env, encoding: 'utf8' }).trim() !== '';
  try {
    const sRoot = path.join(tmp, 'slurm');
    const lRoot = path.join(tmp, 'local');
    const common = ['experiment', specFile, '--profile', 'smoke'];

    const sub1 = await star([...common, '--results', sRoot, '--executor', 'slurm'], env);
    assert.equal(sub1.code, 0, sub1.out);
    assert.match(sub1.out, /slurm-test: submitted 4 runs as job array (\d+) \(tasks 0-3: coord-s1, star-s1, coord-s2, star-s2\); tables job (\d+) after it/);
    const [first] = readSubmissions(sRoot, 'slurm-test');
    const sbatchSeconds = Number(/sbatch took ([\d.]+) s/.exec(sub1.out)![1]);
    // The local reference grid, meanwhile, in its own process (its own event loop: this one watches the cluster).
    const local = star([...common, '--results', lRoot, '--train-only'], env);

    // The victim: task 0 (coord, seed 1), cancelled once its first checkpoint exists.
    const victim = runDirFor(sRoot, spec, spec.arms[0], 1);
    const stateFile = path.join(victim, 'checkpoint', 'state.json');
    await waitFor('the first checkpoint of task 0', () => fs.existsSync(stateFile), 240_000);
    const checkpointAtCancel = JSON.parse(fs.readFileSync(stateFile, 'utf8')).step as number;
    // The lock names the task; seen from another node, it holds while Slurm runs the job, and is stale after.
    const holder = readLockHolder(victim);
    assert.equal(holder?.slurm?.arrayJobId, first.arrayJobId);
    assert.equal(holder?.slurm?.arrayTaskId, '0');
    const fromElsewhere = { ...holder!, host: `not-${os.hostname()}` };
    assert.equal(holderAlive(fromElsewhere), true, 'a running task\'s lock is stale for another node');
    const cancelledAt = Date.now();
    execFileSync('scancel', [`${first.arrayJobId}_0`], { env });
    await waitFor('the first job array', () => !queued(first.arrayJobId), 300_000);
    await waitFor('the first tables job', () => !queued(first.tablesJobId), 120_000);
    assert.equal(holderAlive(fromElsewhere), false, 'the cancelled task\'s lock still holds for another node');

    const status1 = await star([...common, '--results', sRoot, '--status'], env);
    assert.equal(status1.code, 0, status1.out);
    console.log(`--status after the scancel:\n${status1.out}`);
    assert.match(status1.out, new RegExp(`coord-s1 +failed +Slurm job ${first.arrayJobId}_0: exit 130 \\(stopped by a signal after a checkpoint\\); its checkpoint at step \\d+ is kept`));
    assert.equal((status1.out.match(/ done /g) ?? []).length, 3, status1.out);

    const resubmitAt = Date.now();
    const sub2 = await star([...common, '--results', sRoot, '--executor', 'slurm'], env);
    assert.equal(sub2.code, 0, sub2.out);
    assert.match(sub2.out, /submitted 1 run as job array (\d+) \(tasks 0-0: coord-s1\)/);
    const second = readSubmissions(sRoot, 'slurm-test')[1];
    await waitFor('the resubmitted task', () => !queued(second.arrayJobId), 300_000);
    await waitFor('the second tables job', () => !queued(second.tablesJobId), 120_000);
    const recoveredAt = Date.now();
    const l = await local;
    assert.equal(l.code, 0, l.out);

    const status2 = await star([...common, '--results', sRoot, '--status'], env);
    assert.match(status2.out, /4 runs — 4 done/, status2.out);
    const nothing = await star([...common, '--results', sRoot, '--executor', 'slurm'], env);
    assert.match(nothing.out, /nothing to submit \(4 done, 0 running, 0 queued\)/, nothing.out);

    // Every run completed once: one start each, plus one resume for the cancelled run; one completion line in all logs.
    const logs = [first, second].flatMap((s) => s.runs.map((run, i) => ({ run, text: fs.readFileSync(path.join(sRoot, s.folder, 'logs', `${s.arrayJobId}_${i}.out`), 'utf8') })));
    for (const { arm, seed } of RUNS) {
      const dir = runDirFor(sRoot, spec, arm, seed);
      const starts = readRunStarts(dir);
      const completions = logs.filter((x) => x.run === `${arm.id}-s${seed}`).filter((x) => x.text.includes(`slurm-test/${arm.id} s${seed}: test NME`));
      assert.equal(completions.length, 1, `${arm.id}-s${seed} completed ${completions.length} times`);
      if (dir === victim) {
        assert.deepEqual(starts.map((s) => s.event), ['start', 'resume']);
        const resume = starts[1];
        assert.ok(resume.step >= checkpointAtCancel, `resumed at ${resume.step}, before the checkpoint at ${checkpointAtCancel}`);
        assert.equal(resume.slurm?.arrayJobId, second.arrayJobId);
        const firstAfter = readMetrics(dir).find((m) => !('val' in m) && m.time >= Date.parse(resume.time));
        assert.ok(firstAfter && firstAfter.step > resume.step, `first logged step after the restart: ${firstAfter?.step}, checkpoint ${resume.step}`);
      } else {
        assert.deepEqual(starts.map((s) => s.event), ['start'], `${arm.id}-s${seed}`);
      }
      // Bit for bit against the local grid.
      const ref = runDirFor(lRoot, spec, arm, seed);
      assert.equal(maxWeightDiff(dir, ref), 0, `${arm.id}-s${seed}: weights differ from the local run`);
      assert.deepEqual(readSummary(dir)!.test, readSummary(ref)!.test, `${arm.id}-s${seed}: test metrics differ`);
      assert.equal(readSummary(dir)!.bestValNme, readSummary(ref)!.bestValNme);
    }
    // The dependent jobs built the tables from all four runs, of one provenance.
    const tables = JSON.parse(fs.readFileSync(path.join(sRoot, 'tables', 'slurm-test.json'), 'utf8'));
    assert.deepEqual(tables.missing, []);
    assert.equal(tables.provenance.mixed, false);

    // What it took (this machine: 2 cores shared with other jobs).
    const overhead = logs.filter((x) => x.text.includes(': test NME')).map((x) => {
      const t = taskTimes(x.text);
      const [arm, seed] = [x.run.replace(/-s\d+$/, ''), Number(/-s(\d+)$/.exec(x.run)![1])];
      return (t.end - t.start) / 1000 - readSummary(runDirFor(sRoot, spec, { id: arm }, seed))!.wallSeconds;
    });
    const resumedTask = taskTimes(logs.find((x) => x.run === 'coord-s1' && x.text.includes(': test NME'))!.text);
    console.log([
      `cluster start ${startSeconds.toFixed(1)} s${wasUp ? ' (already up)' : ''}`,
      `submission: star experiment --executor slurm ${sub1.seconds.toFixed(1)} s (sbatch x2: ${sbatchSeconds.toFixed(2)} s)`,
      `per-task overhead (task wall time minus the run's own): ${overhead.map((o) => o.toFixed(1)).join(', ')} s`,
      `killed task: cancelled at checkpoint step ${checkpointAtCancel}, resumed at step ${readRunStarts(victim)[1].step}; `
        + `resubmission to finished ${((recoveredAt - resubmitAt) / 1000).toFixed(1)} s (task ${((resumedTask.end - resumedTask.start) / 1000).toFixed(1)} s); `
        + `scancel to finished ${((recoveredAt - cancelledAt) / 1000).toFixed(1)} s`,
      `whole test ${((Date.now() - t0) / 1000).toFixed(0)} s`,
    ].join('\n'));
  } finally {
    if (!wasUp) spawnSync('bash', [script, 'stop'], { stdio: 'ignore' });
  }
});
