/**
 * The trainer's interrupt path: a SIGINT during training finishes the current step, writes a checkpoint and returns
 * interrupted; a second run resumes from it. Memory: the live tensor count does not grow with steps, and returns to its
 * starting value after each of several train() calls in one process.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend } from 'tfjs-wasm-train';
import { buildHourglass } from '../src/model/hourglass';
import { modelConfig } from '../src/model/config';
import { train } from '../src/train/trainer';
import { quietProgress, randomBatches } from './helpers/random-batches';
import { makeObjective } from '../src/train/objective';


test('SIGINT checkpoints and stops; the next call resumes at that step', async () => {
  await initBackend({ quiet: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-sig-'));
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 1 });
  const cfg = { steps: 10, batchSize: 2, checkpointEvery: 100, logEvery: 1, statsEvery: 0, evalEvery: 0 };
  const r1 = await train(model, makeObjective({ kind: 'star' }), randomBatches(9, (s) => { if (s === 3) process.emit('SIGINT'); }), dir, cfg,
    { progress: quietProgress, handleSignals: true });
  assert.equal(r1.interrupted, true);
  assert.equal(r1.finalStep, 4, 'the step in flight when the signal came is finished');
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint', 'state.json'), 'utf8'));
  assert.equal(state.step, 4);
  assert.equal(process.listenerCount('SIGINT'), 0, 'signal handlers are removed after training');
  const r2 = await train(model, makeObjective({ kind: 'star' }), randomBatches(9), dir, cfg, { progress: quietProgress, handleSignals: false });
  assert.equal(r2.interrupted, false);
  assert.equal(r2.finalStep, 10);
  model.params.dispose();
});

test('a real SIGTERM reaches a training process whose batches are always ready: it checkpoints and exits', async () => {
  const { spawn } = await import('child_process');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-sigterm-'));
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(__dirname, 'helpers', 'train-child.ts'), dir], { stdio: ['ignore', 'pipe', 'pipe'] });
  let out = '';
  const done = new Promise<string>((resolve) => child.on('exit', (code, signal) => resolve(code !== null ? `code ${code}` : `signal ${signal}`)));
  await new Promise<void>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no progress from the child: ${out}`)), 60_000);
    let sent = false;
    child.stdout.on('data', (d) => {
      out += d;
      // Exactly one SIGTERM: `out` keeps matching after step 3, and a second signal means "stop now" (exit 130).
      if (!sent && /step 3\n/.test(out)) {
        sent = true;
        clearTimeout(timer);
        child.kill('SIGTERM');
        resolve();
      }
    });
  });
  const code = await Promise.race([done, new Promise<string>((r) => setTimeout(() => r('timeout'), 30_000))]);
  if (code === 'timeout') child.kill('SIGKILL');
  // tsx's own signal relay may end the process with the signal once our handler is removed; either way it must end
  // after reporting the interruption and writing the checkpoint.
  assert.ok(code === 'code 0' || code === 'signal SIGTERM', `child did not stop on SIGTERM (${code}; output: ${out.slice(-200)})`);
  const m = /interrupted=true at (\d+)/.exec(out);
  assert.ok(m, `no interruption report: ${out.slice(-200)}`);
  const state = JSON.parse(fs.readFileSync(path.join(dir, 'checkpoint', 'state.json'), 'utf8'));
  assert.equal(state.step, Number(m![1]));
});

test('memory stays flat: tensor count after 5 and after 25 steps is the same', async () => {
  await initBackend({ quiet: true });
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'star-mem-'));
  const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 2 });
  const counts: number[] = [];
  const batches = randomBatches(9, (s) => { if (s === 5 || s === 25) counts.push(tf.memory().numTensors); });
  await train(model, makeObjective({ kind: 'star' }), batches, dir, { steps: 26, batchSize: 2, checkpointEvery: 10, logEvery: 5, statsEvery: 0, evalEvery: 0 },
    { progress: quietProgress, handleSignals: false });
  assert.equal(counts.length, 2);
  assert.equal(counts[1], counts[0], `tensor count grew from ${counts[0]} to ${counts[1]}`);
  model.params.dispose();
});

test('several train() calls in one process leave no tensors behind (optimizer and EMA state disposed; resume too)', async () => {
  await initBackend({ quiet: true });
  // One forward pass first: the model keeps its coordinate channels per input size (layers.ts coordChannels).
  const warm = buildHourglass(modelConfig('cpu-tiny'), { seed: 5 });
  tf.tidy(() => { warm.forward(tf.zeros([1, 64, 64, 3]) as tf.Tensor4D, { training: false, bnUpdates: [] }); });
  warm.params.dispose();
  const start = tf.memory().numTensors;
  const cfg = { steps: 3, batchSize: 2, checkpointEvery: 2, logEvery: 1, statsEvery: 0, evalEvery: 0 };
  const runs: [string, object, number | undefined][] = [
    ['plain', { ema: null }, undefined],
    ['ema', { ema: { decay: 0.9 } }, undefined],
    ['ema-interrupted', { ema: { decay: 0.9 } }, 2],
    ['ema-interrupted', { ema: { decay: 0.9 } }, undefined], // resumes the previous one from its checkpoint
  ];
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-leak-'));
  for (const [name, extra, stopAfter] of runs) {
    const model = buildHourglass(modelConfig('cpu-tiny'), { seed: 5 });
    await train(model, makeObjective({ kind: 'star' }), randomBatches(9), path.join(root, name), { ...cfg, ...extra }, { progress: quietProgress, handleSignals: false, stopAfter });
    model.params.dispose();
    assert.equal(tf.memory().numTensors, start, `${name}${stopAfter ? ' (stopped)' : ''}: ${tf.memory().numTensors - start} tensors left behind`);
  }
});
