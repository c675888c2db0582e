/**
 * Backend selection: the whole ladder with stand-in modules (no native package can install here), env parsing,
 * forced-backend errors, withBackend, the host rung (forced, and chosen for a workload the wasm heap cannot hold). The threaded wasm path runs in child processes (test/backend-threads.test.ts).
 */
import { test, afterEach } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { MathBackendCPU } from '@tensorflow/tfjs-backend-cpu';
import { BACKEND_CHOICES, formatBackendInfo, formatBackendSummary, resolveBackendOptions, selectBackend, withBackend, type BackendOptions } from '../src/backend';
import { nativeKernels } from '../src/native-addon';
import { WASM_TENSOR_BUDGET, wasmFits } from '../src/workload';
import { spawnSync } from 'node:child_process';
import * as os from 'os';
import * as path from 'path';

/** oneDNN's version and ISA as BackendInfo.dnnl records them: absent when the convs run on OpenBLAS. */
function dnnlField(): string | undefined {
  const e = nativeKernels().kernels?.convEngine();
  return e?.enabled ? `${e.version} ${e.isa}` : undefined;
}
/** The engines in the summary line: 'OpenBLAS', or 'OpenBLAS + oneDNN 2.6.3 avx2'. */
const engines = () => `OpenBLAS${dnnlField() ? ` + oneDNN ${dnnlField()}` : ''}`;

const notFound = (name: string) => Object.assign(new Error(`Cannot find module '${name}'`), { code: 'MODULE_NOT_FOUND' });

/** A fake native package: loading it registers a working 'tensorflow' backend, as the real one does. */
function fakeNative(name: string, backendFactory: () => tf.KernelBackend = () => new MathBackendCPU()) {
  return () => {
    // The real package registers a backend *and* its kernels; borrow the cpu kernels under the name 'tensorflow'.
    for (const k of tf.getKernelsForBackend('cpu')) {
      if (tf.getKernel(k.kernelName, 'tensorflow') == null) tf.registerKernel({ ...k, backendName: 'tensorflow' });
    }
    tf.registerBackend('tensorflow', backendFactory);
    return { version: '4.22.0', name };
  };
}

/** Loader over a table of fakes; anything else is "not installed". */
function loaderOf(table: Record<string, () => unknown>) {
  const calls: string[] = [];
  const loader = (name: string) => {
    calls.push(name);
    const f = table[name];
    if (f == null) throw notFound(name);
    return f();
  };
  return { loader, calls };
}

// Never start real pool threads in this file: the child-process tests own that path.
const noThreads = async (): Promise<never> => { throw new Error('threaded wasm failed to start (test stand-in)'); };

function base(extra: Partial<BackendOptions>): Partial<BackendOptions> {
  return { threads: 2, quiet: true, cudaVisible: () => false, startThreaded: noThreads, ...extra };
}

afterEach(async () => {
  if (tf.findBackendFactory('tensorflow') != null) tf.removeBackend('tensorflow');
  if (tf.getBackend() !== 'cpu') await tf.setBackend('cpu');
});

test('nothing native installed: auto lands on wasm, and says why for each rung', async () => {
  const { loader, calls } = loaderOf({});
  const info = await selectBackend(base({ loader }), {});
  const native = nativeKernels();
  assert.equal(info.name, 'wasm');
  assert.equal(tf.getBackend(), 'wasm');
  assert.deepEqual(calls, ['@tensorflow/tfjs-node'], 'the -gpu package is not even loaded without a CUDA device');
  assert.match(info.reason, /tfjs-node-gpu skipped: no CUDA device visible/);
  assert.match(info.reason, /@tensorflow\/tfjs-node not installed/);
  if (native.kernels) {
    // The 2 requested threads go to the native kernels' pool; threaded wasm is not even tried.
    assert.equal(info.threads, 2);
    assert.doesNotMatch(info.reason, /threaded wasm failed/);
    assert.match(info.reason, /native kernels: .*, 2 threads/);
  } else {
    assert.equal(info.threads, 1);
    assert.match(info.reason, /threaded wasm failed to start \(test stand-in\)/);
  }
  // With the native addon built (npm ci builds it where g++ and OpenBLAS exist) convolutions and batch norm run natively.
  assert.deepEqual(info.customKernels, native.kernels
    ? ['Conv2DBackpropFilter(native)', 'Conv2DBackpropInput(native)', 'MaxPoolGrad(native)', 'Identity', 'Tile', 'Sum', 'Mean', 'Conv2D(native)',
      'ResizeNearestNeighborGrad(native)', 'Add(native)',
      'BatchNormTrain(native)', 'Conv2DBias(native)', 'FusedBatchNorm(grad)', 'Mean(grad)', 'Sum(grad)', 'Relu(grad)']
    : ['Conv2DBackpropFilter', 'Conv2DBackpropInput', 'MaxPoolGrad', 'Identity', 'Tile', 'Sum', 'Mean', 'FusedBatchNorm(grad)', 'Mean(grad)', 'Sum(grad)', 'Relu(grad)']);
  assert.ok(info.reason.includes(`native kernels: ${native.reason}`), info.reason);
  assert.match(formatBackendInfo(info), native.kernels ? /^\[backend\] wasm \(2 threads\) — / : /^\[backend\] wasm \(1 thread\) — /);
  // The default line is short and does not read as "2 threads ... single-threaded": the threads are the native pool's.
  const summary = formatBackendSummary(info);
  assert.equal(summary, native.kernels ? `[backend] wasm + native kernels (${engines()}, 2 threads)` : '[backend] wasm (1 thread, training kernels)');
  assert.equal(info.dnnl, dnnlField());
  assert.ok(summary.length < 100 && formatBackendInfo(info).length > 3 * summary.length, summary);
});

test('the short summary by default, the whole ladder with verbose (option or environment)', () => {
  const cpu = { name: 'cpu' as const, threads: 1, reason: 'wasm failed: x; pure-JS cpu fallback (slow)', customKernels: [] };
  assert.equal(formatBackendSummary(cpu), '[backend] cpu (pure JS, slow: pure-JS cpu fallback (slow))');
  assert.equal(formatBackendSummary({ name: 'tensorflow-gpu', threads: 0, reason: 'ok', customKernels: [] }), '[backend] tensorflow-gpu (native TensorFlow, CUDA)');
  assert.equal(resolveBackendOptions({}, {}).verbose, false);
  assert.equal(resolveBackendOptions({}, { TFJS_WASM_TRAIN_VERBOSE: '1' }).verbose, true);
  assert.equal(resolveBackendOptions({}, { STAR_VERBOSE: '1' }).verbose, true);
  assert.equal(resolveBackendOptions({ verbose: false }, { STAR_VERBOSE: '1' }).verbose, false);
});

test('the danfojs stand-in (isStandIn) is never taken for native', async () => {
  const { loader } = loaderOf({ '@tensorflow/tfjs-node': () => ({ isStandIn: true, ...tf }) });
  const info = await selectBackend(base({ loader }), {});
  assert.equal(info.name, 'wasm');
  assert.match(info.reason, /stand-in/);
});

test('a package that loads but registers no tensorflow backend is not native', async () => {
  const { loader } = loaderOf({ '@tensorflow/tfjs-node': () => ({ version: 'x' }) });
  const info = await selectBackend(base({ loader }), {});
  assert.equal(info.name, 'wasm');
  assert.match(info.reason, /registered no 'tensorflow' backend/);
});

test('a binding that fails to load is reported with its error', async () => {
  const { loader } = loaderOf({
    '@tensorflow/tfjs-node': () => { throw new Error('The specified module could not be found.\n.../tfjs_binding.node'); },
  });
  const info = await selectBackend(base({ loader }), {});
  assert.equal(info.name, 'wasm');
  assert.match(info.reason, /@tensorflow\/tfjs-node failed to load \(The specified module could not be found\.\)/);
});

test('a registered tensorflow backend that fails to initialise is skipped', async () => {
  const { loader } = loaderOf({
    '@tensorflow/tfjs-node': fakeNative('tfjs-node', () => { throw new Error('libtensorflow.so missing'); }),
  });
  const info = await selectBackend(base({ loader }), {});
  assert.equal(info.name, 'wasm');
  assert.match(info.reason, /backend 'tensorflow' failed to initialise/);
});

test('a working tfjs-node is chosen when present', async () => {
  const { loader } = loaderOf({ '@tensorflow/tfjs-node': fakeNative('tfjs-node') });
  const info = await selectBackend(base({ loader }), {});
  assert.equal(info.name, 'tensorflow');
  assert.equal(tf.getBackend(), 'tensorflow');
  assert.deepEqual(info.customKernels, []);
});

test('tfjs-node-gpu is chosen first when a CUDA device is visible', async () => {
  const { loader, calls } = loaderOf({
    '@tensorflow/tfjs-node-gpu': fakeNative('tfjs-node-gpu'), '@tensorflow/tfjs-node': fakeNative('tfjs-node'),
  });
  const info = await selectBackend(base({ loader, cudaVisible: () => true }), {});
  assert.equal(info.name, 'tensorflow-gpu');
  assert.deepEqual(calls, ['@tensorflow/tfjs-node-gpu']);
});

test('tfjs-node-gpu missing with CUDA visible falls to tfjs-node', async () => {
  const { loader } = loaderOf({ '@tensorflow/tfjs-node': fakeNative('tfjs-node') });
  const info = await selectBackend(base({ loader, cudaVisible: () => true }), {});
  assert.equal(info.name, 'tensorflow');
  assert.match(info.reason, /tfjs-node-gpu not installed/);
});

test('forced backends that cannot start throw instead of falling back', async () => {
  const { loader } = loaderOf({ '@tensorflow/tfjs-node': () => ({ isStandIn: true }) });
  await assert.rejects(selectBackend(base({ loader }), { TFJS_WASM_TRAIN_BACKEND: 'tensorflow' }),
    /backend 'tensorflow' was requested but @tensorflow\/tfjs-node is the danfojs stand-in/);
  await assert.rejects(selectBackend(base({ loader }), { TFJS_WASM_TRAIN_BACKEND: 'tensorflow-gpu' }),
    /backend 'tensorflow-gpu' was requested but no CUDA device is visible/);
  await assert.rejects(selectBackend(base({ loader }), { TFJS_WASM_TRAIN_BACKEND: 'wasm-threaded' }),
    /backend 'wasm-threaded' was requested but threaded wasm failed to start/);
  await assert.rejects(selectBackend(base({ loader, threads: 1 }), { TFJS_WASM_TRAIN_BACKEND: 'wasm-threaded' }),
    /1 compute thread leaves no second thread/);
});

test('forced wasm and cpu start those backends', async () => {
  const { loader, calls } = loaderOf({});
  const w = await selectBackend(base({ loader }), { TFJS_WASM_TRAIN_BACKEND: 'wasm' });
  assert.equal(w.name, 'wasm');
  const c = await selectBackend(base({ loader }), { TFJS_WASM_TRAIN_BACKEND: 'cpu' });
  assert.equal(c.name, 'cpu');
  assert.equal(tf.getBackend(), 'cpu');
  assert.deepEqual(calls, [], 'forced rungs do not probe native packages');
});

test('environment parsing: TFJS_WASM_TRAIN_BACKEND, TFJS_WASM_TRAIN_THREADS, explicit options win', () => {
  assert.equal(resolveBackendOptions({}, { TFJS_WASM_TRAIN_BACKEND: ' WASM-Single ' }).backend, 'wasm-single');
  assert.equal(resolveBackendOptions({}, {}).backend, 'auto');
  assert.equal(resolveBackendOptions({}, { TFJS_WASM_TRAIN_BACKEND: ' ' }).backend, 'auto');
  assert.equal(resolveBackendOptions({}, { TFJS_WASM_TRAIN_THREADS: '3' }).threads, 3);
  assert.equal(resolveBackendOptions({ threads: 1 }, { TFJS_WASM_TRAIN_THREADS: '3' }).threads, 1);
  assert.ok(resolveBackendOptions({}, {}).threads >= 1);
  // The default: one compute thread per CPU (the native pool's with the addon, else XNNPACK's); the variable wins.
  assert.equal(resolveBackendOptions({}, {}).threads, Math.max(1, os.cpus().length));
  assert.throws(() => resolveBackendOptions({}, { TFJS_WASM_TRAIN_BACKEND: 'webgl' }), /TFJS_WASM_TRAIN_BACKEND="webgl" is not one of auto/);
  assert.throws(() => resolveBackendOptions({}, { TFJS_WASM_TRAIN_THREADS: 'two' }), /TFJS_WASM_TRAIN_THREADS="two" must be an integer/);
  assert.throws(() => resolveBackendOptions({}, { TFJS_WASM_TRAIN_THREADS: '0' }), /TFJS_WASM_TRAIN_THREADS="0"/);
});

test('environment parsing: the STAR-loss project\'s names are still read; the package\'s own name wins; errors name the variable read', () => {
  assert.equal(resolveBackendOptions({}, { STAR_BACKEND: 'cpu' }).backend, 'cpu');
  assert.equal(resolveBackendOptions({}, { STAR_THREADS: '3' }).threads, 3);
  assert.equal(resolveBackendOptions({}, { TFJS_WASM_TRAIN_BACKEND: 'wasm', STAR_BACKEND: 'cpu' }).backend, 'wasm');
  assert.equal(resolveBackendOptions({}, { TFJS_WASM_TRAIN_THREADS: '2', STAR_THREADS: '3' }).threads, 2);
  assert.equal(resolveBackendOptions({}, { TFJS_WASM_TRAIN_THREADS: '', STAR_THREADS: '3' }).threads, 3);
  assert.throws(() => resolveBackendOptions({}, { STAR_BACKEND: 'webgl' }), /STAR_BACKEND="webgl" is not one of auto/);
  assert.throws(() => resolveBackendOptions({}, { STAR_THREADS: 'two' }), /STAR_THREADS="two" must be an integer/);
});

test('withBackend switches for the callback and restores after, also on error', async () => {
  await selectBackend(base({ loader: loaderOf({}).loader }), { TFJS_WASM_TRAIN_BACKEND: 'wasm-single' });
  const inside = await withBackend('cpu', () => tf.getBackend());
  assert.equal(inside, 'cpu');
  assert.equal(tf.getBackend(), 'wasm');
  await assert.rejects(withBackend('cpu', () => { throw new Error('boom'); }), /boom/);
  assert.equal(tf.getBackend(), 'wasm');
  await assert.rejects(withBackend('no-such-backend', () => 1), /backend 'no-such-backend' did not start/);
});

// ---------------------------------------------------------------------------------------------- the host rung

const BIG = { label: 'a big model, batch 8', peakBytes: 6 * 2 ** 30 };
const SMALL = { label: 'a small model, batch 8', peakBytes: 300 * 2 ** 20 };

test('wasmFits: the wasm tensor budget (2 GiB) decides; a workload must be well-formed', () => {
  assert.equal(WASM_TENSOR_BUDGET, 2 * 2 ** 30);
  assert.equal(wasmFits(undefined), true);
  assert.equal(wasmFits(SMALL), true);
  assert.equal(wasmFits({ label: 'edge', peakBytes: WASM_TENSOR_BUDGET }), true);
  assert.equal(wasmFits({ label: 'edge', peakBytes: WASM_TENSOR_BUDGET + 1 }), false);
  assert.throws(() => resolveBackendOptions({ workload: { label: 'x', peakBytes: NaN } }, {}), /workload must be \{ label: string, peakBytes: number >= 0 \}/);
});

test('forced host (TFJS_WASM_TRAIN_BACKEND or STAR_BACKEND): the host backend with the native kernels, and says so', async () => {
  const native = nativeKernels();
  for (const env of [{ TFJS_WASM_TRAIN_BACKEND: 'host' }, { STAR_BACKEND: 'HOST' }]) {
    const { loader, calls } = loaderOf({});
    const info = await selectBackend(base({ loader }), env);
    assert.equal(info.name, 'host');
    assert.equal(tf.getBackend(), 'host');
    assert.deepEqual(calls, [], 'a forced rung does not probe native packages');
    assert.match(info.reason, /host requested/);
    assert.deepEqual(info.customKernels, native.kernels
      ? ['Conv2D(native)', 'Conv2DBackpropFilter(native)', 'Conv2DBackpropInput(native)', 'Add(native)', 'Sub', 'Multiply', 'RealDiv', 'Pow',
        'Abs', 'Neg', 'Relu', 'Sigmoid', 'Square', 'Log1p', 'Step', 'ZerosLike', 'Tile', 'Sum', 'Mean',
        'MaxPoolGrad(native)', 'MaxPool(native)', 'ResizeNearestNeighbor(native)', 'ResizeNearestNeighborGrad(native)', 'BatchNormTrain(native)', 'Conv2DBias(native)', 'ReluGrad(native)', 'AdamUpdate',
        'FusedBatchNorm(grad)', 'Mean(grad)', 'Sum(grad)', 'Relu(grad)']
      : ['Add', 'Sub', 'Multiply', 'RealDiv', 'Pow', 'Abs', 'Neg', 'Relu', 'Sigmoid', 'Square', 'Log1p', 'Step', 'ZerosLike', 'Tile', 'Sum', 'Mean', 'MaxPoolGrad', 'ResizeNearestNeighborGrad', 'BatchNormTrain', 'AdamUpdate',
        'FusedBatchNorm(grad)', 'Mean(grad)', 'Sum(grad)', 'Relu(grad)']);
    assert.equal(info.threads, native.kernels ? 2 : 1);
    assert.equal(info.blas, native.kernels ? native.blas : undefined);
    assert.equal(info.dnnl, dnnlField());
    assert.equal(formatBackendSummary(info), native.kernels
      ? `[backend] host (tensors in JS memory) + native kernels (${engines()}, 2 threads) — host requested`
      : '[backend] host (tensors in JS memory) + no native kernels: pure-JS cpu kernels, slow — host requested');
    assert.match(formatBackendInfo(info), /^\[backend\] host \((2 threads|1 thread)\) — host requested; native kernels: /);
  }
  assert.ok(BACKEND_CHOICES.includes('host'));
});

test('auto: a workload too big for the wasm heap goes to host, and the line says why; a small one stays on wasm', async () => {
  const big = await selectBackend(base({ loader: loaderOf({}).loader, workload: BIG }), {});
  assert.equal(big.name, 'host');
  assert.match(big.reason, /@tensorflow\/tfjs-node not installed; wasm skipped: a big model, batch 8 needs ≈ 6\.0 GiB of tensors, over the 2\.0 GiB the wasm heap holds reliably; host chosen/);
  assert.match(formatBackendSummary(big), /^\[backend\] host \(tensors in JS memory\) \+ .* — a big model, batch 8 needs ≈ 6\.0 GiB of tensors, over the 2\.0 GiB the wasm heap holds reliably$/);
  const small = await selectBackend(base({ loader: loaderOf({}).loader, workload: SMALL }), {});
  assert.equal(small.name, 'wasm');
  assert.doesNotMatch(small.reason, /host/);
  // A native TensorFlow keeps its place above both: it has no 32-bit heap.
  const tfNode = await selectBackend(base({ loader: loaderOf({ '@tensorflow/tfjs-node': fakeNative('tfjs-node') }).loader, workload: BIG }), {});
  assert.equal(tfNode.name, 'tensorflow');
});

test('forced wasm with a workload too big for it is kept, with a warning in the reason', async () => {
  const info = await selectBackend(base({ loader: loaderOf({}).loader, workload: BIG }), { TFJS_WASM_TRAIN_BACKEND: 'wasm-single' });
  assert.equal(info.name, 'wasm');
  assert.match(info.reason, /warning: a big model, batch 8 needs ≈ 6\.0 GiB of tensors, over the 2\.0 GiB the wasm heap holds reliably \(host would hold it\)/);
});

test('initBackend: a later call whose workload does not fit the wasm this process runs fails loudly (child process)', () => {
  const script = `
    const { initBackend } = require(${JSON.stringify(path.join(__dirname, '..', 'src', 'index.ts'))});
    (async () => {
      const first = await initBackend({ backend: 'wasm-single', quiet: true });
      const again = await initBackend({ quiet: true, workload: { label: 'small', peakBytes: 1e6 } });
      console.log('same info:', first === again);
      try { await initBackend({ workload: { label: 'the paper preset, batch 8', peakBytes: 8 * 2 ** 30 } }); console.log('no error'); }
      catch (e) { console.log('refused:', e.message); }
    })();`;
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 120_000, env: { ...process.env, TFJS_WASM_TRAIN_BACKEND: '', STAR_BACKEND: '' } });
  assert.equal(r.status, 0, r.stderr);
  assert.match(r.stdout, /same info: true/);
  assert.match(r.stdout, /refused: initBackend: this process already runs wasm, and the paper preset, batch 8 needs ≈ 8\.0 GiB of tensors, over the 2\.0 GiB the wasm heap holds reliably; start it in a new process \(the first initBackend call with this workload picks the 'host' backend\), or set TFJS_WASM_TRAIN_BACKEND=host/);
});
