/**
 * Threaded wasm in Node, checked in child processes (a process can start wasm only once, and "exits by itself" can
 * only be observed from outside): the threaded pool starts with the requested size, its conv forward and gradients
 * are bitwise equal to single-threaded wasm (native kernels, when built, stay on one thread under a forced
 * 'wasm-threaded'), initBackend is idempotent, and the child exits without being killed.
 *
 * This file is also the child: with TFJS_WASM_TRAIN_TEST_CHILD=1 it runs one computation and prints one JSON line.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import * as tf from '@tensorflow/tfjs-core';
import { backendInfo, initBackend } from '../src/backend';
import { wasmIsThreaded } from '../src/wasm-threads';
import { nativeKernels } from '../src/native-addon';

async function child(): Promise<void> {
  const info = await initBackend({ quiet: true });
  const again = await initBackend({ backend: 'cpu', quiet: true });
  const n = (s: number[]) => s.reduce((a, b) => a * b, 1);
  const vals = (k: number, seed: number) => Float32Array.from({ length: k }, (_, i) => Math.sin(i * 12.9898 + seed) * 0.5);
  const x = tf.tensor4d(vals(n([2, 33, 31, 16]), 1), [2, 33, 31, 16]);
  const f = tf.tensor4d(vals(n([3, 3, 16, 32]), 2), [3, 3, 16, 32]);
  const g = tf.grads((a: tf.Tensor, b: tf.Tensor) => tf.sum(tf.square(tf.conv2d(a as tf.Tensor4D, b as tf.Tensor4D, 2, 'same'))));
  const y = tf.conv2d(x, f, 1, 'same');
  const [gx, gf] = g([x, f]);
  const hash = createHash('sha256');
  for (const t of [y, gx, gf]) hash.update(Buffer.from((await t.data() as Float32Array).buffer));
  process.stdout.write(JSON.stringify({
    name: info.name, threads: info.threads, threaded: wasmIsThreaded(), same: again === info && backendInfo() === info,
    hash: hash.digest('hex'), blas: info.blas ?? null, envAfter: process.env.OPENBLAS_CORETYPE ?? null,
  }) + '\n');
}

/** `env`: variables for the child; undefined removes one the parent has. */
function runChild(env: Record<string, string | undefined>) {
  const childEnv: NodeJS.ProcessEnv = { ...process.env, TFJS_WASM_TRAIN_TEST_CHILD: '1', ...env };
  for (const [k, v] of Object.entries(env)) if (v === undefined) delete childEnv[k];
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename], { env: childEnv, encoding: 'utf8', timeout: 30_000 });
  assert.equal(r.signal, null, `child was killed (${r.signal}): it did not exit by itself. stderr: ${r.stderr?.slice(-500)}`);
  assert.equal(r.status, 0, `child failed: ${r.stderr?.slice(-800)}`);
  const line = r.stdout.trim().split('\n').pop() ?? '';
  return JSON.parse(line) as { name: string; threads: number; threaded: boolean; same: boolean; hash: string; blas: string | null; envAfter: string | null };
}

if (process.env.TFJS_WASM_TRAIN_TEST_CHILD === '1') {
  child().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
} else {
  test('threaded wasm (2 threads) starts, exits by itself and matches single-threaded bitwise', () => {
    const threaded = runChild({ TFJS_WASM_TRAIN_BACKEND: 'wasm-threaded', TFJS_WASM_TRAIN_THREADS: '2' });
    const single = runChild({ TFJS_WASM_TRAIN_BACKEND: 'wasm-single', TFJS_WASM_TRAIN_THREADS: '1' });
    assert.deepEqual([threaded.name, threaded.threads, threaded.threaded], ['wasm', 2, true]);
    assert.deepEqual([single.name, single.threads, single.threaded], ['wasm', 1, false]);
    assert.ok(threaded.same && single.same, 'initBackend is not idempotent');
    assert.equal(threaded.hash, single.hash, 'threaded and single-threaded results differ');
  });

  test('auto on this machine picks wasm with 2 compute threads when TFJS_WASM_TRAIN_THREADS=2: the native pool\'s, else XNNPACK\'s; same bits on a rerun', () => {
    const auto = runChild({ TFJS_WASM_TRAIN_BACKEND: 'auto', TFJS_WASM_TRAIN_THREADS: '2' });
    const again = runChild({ TFJS_WASM_TRAIN_BACKEND: 'auto', TFJS_WASM_TRAIN_THREADS: '2' });
    // With the native kernels wasm stays single-threaded and the kernels split their work over 2 threads.
    assert.deepEqual([auto.name, auto.threads, auto.threaded], ['wasm', 2, nativeKernels().kernels == null]);
    assert.equal(again.hash, auto.hash, 'same thread count, same numbers');
  });

  test('with TFJS_WASM_TRAIN_ENGINES=pinned, OpenBLAS kernels are Haswell\'s on AVX2 machines: the same bits as an explicit OPENBLAS_CORETYPE=Haswell; what OpenBLAS loaded is recorded', () => {
    const cpuinfo = require('node:fs').readFileSync('/proc/cpuinfo', 'utf8') as string;
    const flags = cpuinfo.match(/^flags\s*:(.*)$/m)?.[1] ?? '';
    const avx2 = /\bavx2\b/.test(flags) && /\bfma\b/.test(flags);
    if (!nativeKernels().kernels) assert.fail(`the native addon is not built here (${nativeKernels().reason}): npm run build:native`);
    const env = { TFJS_WASM_TRAIN_BACKEND: 'wasm-single', TFJS_WASM_TRAIN_THREADS: '1', TFJS_WASM_TRAIN_ENGINES: 'pinned', STAR_ENGINES: undefined };
    const pinned = runChild({ ...env, OPENBLAS_CORETYPE: undefined });
    const explicit = runChild({ ...env, OPENBLAS_CORETYPE: 'Haswell' });
    const bogus = runChild({ ...env, OPENBLAS_CORETYPE: 'NoSuchCore' });
    assert.equal(explicit.blas, 'Haswell', 'OpenBLAS reports the kernels it was asked for');
    assert.notEqual(bogus.blas, 'NoSuchCore', 'the record is what OpenBLAS loaded, not the variable');
    assert.equal(pinned.envAfter, null, 'the pin leaks into the environment of child processes');
    assert.equal(explicit.envAfter, 'Haswell', 'a user\'s own setting is left alone');
    if (avx2) {
      assert.equal(pinned.blas, 'Haswell');
      assert.equal(pinned.hash, explicit.hash, 'the pinned kernels compute other bits than Haswell\'s');
    }
  });
}
