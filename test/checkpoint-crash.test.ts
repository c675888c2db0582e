/**
 * Kill-safety of run folders (issue 14 item 4): checkpoint writes survive a kill at either rename of their swap
 * (a real SIGKILL in a child process), stale temporaries are removed, and the resumed run ends with the weights and
 * the metrics files of an uninterrupted run: no duplicate entries, the same logged losses (windows included).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'child_process';
import fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'tfjs-wasm-train';
import { COMPLETE_MARKER, recoverDir, replaceDirAtomic } from '../src/util/files';
import { checkpointExists, loadCheckpoint, saveCheckpoint } from '../src/model/checkpoint';
import { trainingLog } from '../src/runs/folder';
import { trainResumeJob } from './helpers/resume-run';

const tmpRoot = fs.mkdtempSync(path.join(os.tmpdir(), 'star-crash-'));

/** A pid that is certainly not running (a child that has exited). */
const deadPid = (() => spawnSync(process.execPath, ['-e', '0']).pid!)();

function writeDir(dir: string, files: Record<string, string>, complete: boolean): void {
  fs.mkdirSync(dir, { recursive: true });
  for (const [name, text] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), text);
  if (complete) fs.writeFileSync(path.join(dir, COMPLETE_MARKER), '');
}

test('recoverDir: the two-copies state restores the newer complete copy; partial and stale temporaries go', async () => {
  const root = fs.mkdtempSync(path.join(tmpRoot, 'dirs-'));
  const dir = path.join(root, 'ck');
  // Killed between the renames: no dir, the previous copy at .old, the new complete one at .tmp.
  writeDir(`${dir}.old-${deadPid}`, { 'v.txt': 'old' }, true);
  writeDir(`${dir}.tmp-${deadPid}`, { 'v.txt': 'new' }, true);
  const r = recoverDir(dir);
  assert.equal(r.restored, `${dir}.tmp-${deadPid}`);
  assert.equal(fs.readFileSync(path.join(dir, 'v.txt'), 'utf8'), 'new');
  assert.deepEqual(fs.readdirSync(root), ['ck']);
  // Killed during a build: the partial copy (no marker) is removed, the current one kept.
  writeDir(`${dir}.tmp-${deadPid}`, { 'v.txt': 'half' }, false);
  recoverDir(dir);
  assert.deepEqual(fs.readdirSync(root), ['ck']);
  assert.equal(fs.readFileSync(path.join(dir, 'v.txt'), 'utf8'), 'new');
  // No dir, only a partial new copy and the old one: the old one comes back.
  fs.renameSync(dir, `${dir}.old-${deadPid}`);
  writeDir(`${dir}.tmp-${deadPid}`, { 'v.txt': 'half' }, false);
  recoverDir(dir);
  assert.equal(fs.readFileSync(path.join(dir, 'v.txt'), 'utf8'), 'new');
  assert.deepEqual(fs.readdirSync(root), ['ck']);
  // A live other process's temporary is left alone (it may be writing); replaceDirAtomic leaves nothing of its own.
  writeDir(`${dir}.tmp-${process.ppid}`, { 'v.txt': 'busy' }, false);
  await replaceDirAtomic(dir, (tmp) => fs.writeFileSync(path.join(tmp, 'v.txt'), 'newer'));
  assert.deepEqual(fs.readdirSync(root).sort(), ['ck', `ck.tmp-${process.ppid}`]);
  assert.equal(fs.readFileSync(path.join(dir, 'v.txt'), 'utf8'), 'newer');
});

test('replaceDirAtomic: a crash injected between the two renames is recovered by the next checkpoint reader', async () => {
  await initBackend({ quiet: true });
  const dir = path.join(fs.mkdtempSync(path.join(tmpRoot, 'ckpt-')), 'checkpoint');
  const save = async (v: number) => {
    const w = tf.scalar(v);
    try {
      await saveCheckpoint(dir, { model: new Map([['w', w]]), state: { step: v } });
    } finally {
      w.dispose();
    }
  };
  await save(1);
  const rename = fs.renameSync;
  fs.renameSync = ((from: fs.PathLike, to: fs.PathLike) => {
    rename(from, to);
    if (String(to).includes('.old-')) throw new Error('injected crash');
  }) as typeof fs.renameSync;
  try {
    await assert.rejects(save(2), /injected crash/);
  } finally {
    fs.renameSync = rename;
  }
  assert.equal(fs.existsSync(dir), false, 'the crash left no checkpoint folder');
  assert.ok(checkpointExists(dir));
  const c = loadCheckpoint(dir);
  assert.equal(c.state.step, 2, 'the newer complete copy is the one restored');
  c.model.forEach((t) => t.dispose());
  assert.deepEqual(fs.readdirSync(path.dirname(dir)), ['checkpoint']);
});

/** Metrics and eigen records without wall-clock fields. */
function logs(dir: string) {
  const read = (f: string) => fs.readFileSync(path.join(dir, f), 'utf8').trim().split('\n').map((l) => {
    const { time: _time, ...r } = JSON.parse(l);
    return r;
  });
  return { metrics: read('metrics.jsonl'), eigen: read('eigen.jsonl') };
}

async function finalWeights(dir: string): Promise<Float32Array[]> {
  const c = loadCheckpoint(path.join(dir, 'checkpoint'));
  const out = [...c.model.values(), ...c.ema!.values()].map((t) => t.dataSync() as Float32Array);
  for (const m of [c.model, c.optimizer, c.ema]) m?.forEach((t) => t.dispose());
  return out;
}

test('SIGKILL inside a checkpoint write, then resume: same weights, no duplicate or missing log entries, same losses', async () => {
  await initBackend({ quiet: true });
  const full = path.join(tmpRoot, 'full');
  const a = await trainResumeJob(full);
  a.model.params.dispose();
  const want = logs(full);
  const steps = want.metrics.filter((r) => 'loss' in r).map((r) => r.step);
  assert.deepEqual(steps, [3, 6, 9, 10]);
  const wantWeights = await finalWeights(full);

  for (const mode of ['first-rename', 'between-renames']) {
    const dir = path.join(tmpRoot, mode);
    const child = spawnSync(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'crash-child.ts'), dir, mode, '8'], { encoding: 'utf8', timeout: 300_000 });
    assert.equal(child.signal, 'SIGKILL', `${mode}: the child was not killed (${child.status}: ${child.stderr.slice(-400)})`);
    const left = fs.readdirSync(dir);
    if (mode === 'between-renames') assert.ok(!left.includes('checkpoint') && left.some((f) => f.startsWith('checkpoint.old-')), `two-copies state: ${left}`);
    // What the kill left: logs up to step 8 (the window of step 9 not yet logged).
    assert.equal(Math.max(...logs(dir).metrics.map((r) => r.step)), 8);
    const b = await trainResumeJob(dir);
    b.model.params.dispose();
    assert.equal(b.result.finalStep, 10);
    assert.deepEqual(logs(dir), want, `${mode}: logs differ from the uninterrupted run's`);
    const got = await finalWeights(dir);
    got.forEach((w, k) => assert.deepEqual(w, wantWeights[k], `${mode}: tensor ${k} differs`));
    assert.deepEqual(fs.readdirSync(dir).filter((f) => /\.(tmp|old)-\d+$/.test(f)), [], `${mode}: stale temporaries left`);
  }
});

test('a resume drops log records written after the checkpoint and a line cut short by the kill', () => {
  const dir = fs.mkdtempSync(path.join(tmpRoot, 'log-'));
  const log = trainingLog(dir);
  for (const step of [3, 4, 6]) log.appendMetrics({ step, loss: step, lr: 1, time: 0 });
  log.appendMetrics({ step: 4, val: { nme: 1 } });
  fs.appendFileSync(log.metricsFile, '{"step": 7, "lo');
  log.truncateAfter(4);
  assert.deepEqual(fs.readFileSync(log.metricsFile, 'utf8').trim().split('\n').map((l) => JSON.parse(l).step), [3, 4, 4]);
  fs.writeFileSync(log.metricsFile, '{"step": 1}\nnot json\n{"step": 2}\n');
  assert.throws(() => log.truncateAfter(4), /metrics\.jsonl:2: not JSON/);
});
