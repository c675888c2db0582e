/**
 * The addon's oneDNN convolutions (native/dnnl_conv.inc: kh·kw > 1 in a build with oneDNN), called directly on
 * Float32Arrays: forward (with and without bias), backward-data and backward-weights on hourglass-like geometries
 * (3×3 stride 1 and 2, 'same' and 'valid', 7×7 stride 2 pad 3, odd sizes, batches 1 to 10, Cin 3/16/32, Cout
 * 16/32/98) against the stock tfjs `cpu` backend, and against the addon's own OpenBLAS path (setConvEngine(false));
 * the same bits at 1, 2 and 3 pool threads (the batch is cut into chunks that do not depend on the thread count);
 * counters proving which path ran (oneDNN for 3×3 / 7×7, OpenBLAS for 1×1). Skipped without oneDNN in the build.
 */
import { test, before, after } from 'node:test';
import assert from 'node:assert/strict';
import * as tf from '@tensorflow/tfjs-core';
import { selectBackend, withBackend } from '../src/backend';
import { spawnSync } from 'node:child_process';
import { enginesChoice, NATIVE_ADDON_PATH, nativeKernels, packConvDims, type NativeKernels } from '../src/native-addon';
import { relErr, values } from './helpers/numeric';

const NATIVE = nativeKernels();
const nat = NATIVE.kernels as NativeKernels;
const engine = nat?.convEngine();
const skip = !nat ? `native addon unavailable: ${NATIVE.reason}` : !engine.dnnl ? `no oneDNN in the addon: ${engine.disabledBy}` : false;

let wasOn = false;
before(async () => {
  await selectBackend({ backend: 'wasm-single', quiet: true });
  if (nat && engine.dnnl) wasOn = nat.setConvEngine(true);
});
after(() => {
  if (nat && engine.dnnl) nat.setConvEngine(wasOn);
  nat?.setThreads(1);
});

type Pad = 'same' | 'valid' | number;
interface Case { name: string; x: [number, number, number, number]; k: number; cout: number; stride: number; pad: Pad; dilation?: number }

const CASES: Case[] = [
  { name: '3x3 s1 same, batch 8, 16->16 (hourglass)', x: [8, 16, 16, 16], k: 3, cout: 16, stride: 1, pad: 'same' },
  { name: '3x3 s1 same, batch 1, odd 7x9, 32->98', x: [1, 7, 9, 32], k: 3, cout: 98, stride: 1, pad: 'same' },
  { name: '3x3 s2 same, batch 8, odd 9x11, 16->32', x: [8, 9, 11, 16], k: 3, cout: 32, stride: 2, pad: 'same' },
  { name: '3x3 s2 valid, batch 5 (chunks of 1 and 2), even 10x8 (unused last row), 32->16', x: [5, 10, 8, 32], k: 3, cout: 16, stride: 2, pad: 'valid' },
  { name: '3x3 s1 valid, batch 3, odd 11x7, 3->32', x: [3, 11, 7, 3], k: 3, cout: 32, stride: 1, pad: 'valid' },
  { name: '7x7 s2 pad 3 (stem), batch 8, 32x32, 3->16', x: [8, 32, 32, 3], k: 7, cout: 16, stride: 2, pad: 3 },
  { name: '7x7 s2 same on an even 32x32 (tfjs pads 2 above, 3 below), batch 2, 3->16', x: [2, 32, 32, 3], k: 7, cout: 16, stride: 2, pad: 'same' },
  { name: '3x3 s2 same on an even 16x16 (pads 0 above, 1 below), batch 8, 16->32', x: [8, 16, 16, 16], k: 3, cout: 32, stride: 2, pad: 'same' },
  { name: '7x7 s2 pad 3, batch 1, odd 13x15, 3->32', x: [1, 13, 15, 3], k: 7, cout: 32, stride: 2, pad: 3 },
  { name: '3x3 s1 same, batch 10 (chunks of 2 and 3), 8x8, 32->32', x: [10, 8, 8, 32], k: 3, cout: 32, stride: 1, pad: 'same' },
  { name: '3x3 s1 same, batch 8, 64x64, 16->16 (hg-cpu-128\'s largest: 32,768 positions summed per weight)', x: [8, 64, 64, 16], k: 3, cout: 16, stride: 1, pad: 'same' },
];

const size = (s: number[]) => s.reduce((a, b) => a * b, 1);
const tfPad = (p: Pad) => (typeof p === 'number' ? ([[0, 0], [p, p], [p, p], [0, 0]] as [[number, number], [number, number], [number, number], [number, number]]) : p);

function dimsOf(c: Case) {
  const info = tf.backend_util.computeConv2DInfo(c.x, [c.k, c.k, c.x[3], c.cout], [c.stride, c.stride], c.dilation ?? 1, tfPad(c.pad), undefined, false, 'channelsLast');
  const d = packConvDims({
    B: info.batchSize, H: info.inHeight, W: info.inWidth, Cin: info.inChannels, kh: info.filterHeight, kw: info.filterWidth, Cout: info.outChannels,
    sh: info.strideHeight, sw: info.strideWidth, dh: info.dilationHeight, dw: info.dilationWidth, pt: info.padInfo.top, pl: info.padInfo.left,
    oh: info.outHeight, ow: info.outWidth,
  });
  return { d, outShape: info.outShape as [number, number, number, number] };
}

function inputs(c: Case) {
  const { d, outShape } = dimsOf(c);
  const ws: [number, number, number, number] = [c.k, c.k, c.x[3], c.cout];
  return { d, outShape, ws, x: values(size(c.x), 11), w: values(size(ws), 12, 0.3), b: values(c.cout, 13), dy: values(size(outShape), 14) };
}

/** The four outputs from the addon (whichever engine is on). */
function addon(c: Case) {
  const { d, outShape, x, w, b, dy } = inputs(c);
  const yb = new Float32Array(size(outShape)).fill(NaN);
  const y = new Float32Array(size(outShape)).fill(NaN);
  const dx = new Float32Array(size(c.x)).fill(NaN);
  const dw = new Float32Array(w.length).fill(NaN);
  nat.conv2dBiasForward(x, w, yb, d, b);
  nat.conv2dForward(x, w, y, d);
  nat.conv2dBackpropInput(dy, w, dx, d);
  nat.conv2dBackpropFilter(x, dy, dw, d);
  return { yb, y, dx, dw };
}

/** The same four from the stock cpu backend (conv2d + add; gradients of sum(conv2d(x, w) · dy)). */
async function reference(c: Case) {
  const { outShape, ws, x, w, b, dy } = inputs(c);
  return withBackend('cpu', () => tf.tidy(() => {
    const xt = tf.tensor4d(x, c.x), wt = tf.tensor4d(w, ws), bt = tf.tensor1d(b), u = tf.tensor4d(dy, outShape);
    const conv = (a: tf.Tensor4D, f: tf.Tensor4D) => tf.conv2d(a, f, c.stride, tfPad(c.pad), 'NHWC', c.dilation ?? 1);
    const y = conv(xt, wt);
    const yb = tf.add(y, bt).dataSync() as Float32Array;
    if ((c.dilation ?? 1) > 1) return { yb, y: y.dataSync() as Float32Array, dx: new Float32Array(0), dw: new Float32Array(0) };  // tfjs has no dilated gradients
    const [dx, dw] = tf.grads((a: tf.Tensor, f: tf.Tensor) => tf.sum(tf.mul(conv(a as tf.Tensor4D, f as tf.Tensor4D), u)))([xt, wt]);
    return { yb, y: y.dataSync() as Float32Array, dx: dx.dataSync() as Float32Array, dw: dw.dataSync() as Float32Array };
  }));
}

const same = (a: Float32Array, b: Float32Array) => Buffer.from(a.buffer, a.byteOffset, a.byteLength).equals(Buffer.from(b.buffer, b.byteOffset, b.byteLength));

test('the addon reports oneDNN 2.x with its ISA (this CPU\'s by default, AVX2 when pinned, the user\'s ONEDNN_MAX_CPU_ISA when set)', { skip }, () => {
  assert.equal(engine.dnnl, true);
  assert.match(engine.version, /^2\.\d+\.\d+$/);
  assert.ok(engine.isa.length > 0);
  if (process.env.ONEDNN_MAX_CPU_ISA === undefined && process.env.DNNL_MAX_CPU_ISA === undefined) {
    if (enginesChoice() === 'pinned') {
      assert.equal(engine.isaSource, 'pinned');
      if (/\bavx2\b/.test(require('fs').readFileSync('/proc/cpuinfo', 'utf8'))) assert.equal(engine.isa, 'avx2');
    } else assert.equal(engine.isaSource, 'ONEDNN_MAX_CPU_ISA=ALL', 'the default lifts the cap for the load only');
  }
});

test('the engines default to each library\'s choice for this CPU (fastest); pinned is asked for', () => {
  assert.equal(enginesChoice({}), 'fastest');
  assert.equal(enginesChoice({ STAR_ENGINES: 'pinned' }), 'pinned');
  assert.equal(enginesChoice({ TFJS_WASM_TRAIN_ENGINES: 'Pinned ', STAR_ENGINES: 'fastest' }), 'pinned', 'the package\'s own name wins');
});

for (const c of CASES) {
  test(`oneDNN conv = cpu backend: ${c.name}`, { skip }, async (t) => {
    nat.setThreads(1);
    nat.setConvEngine(true);
    nat.convCounters(true);
    const got = addon(c);
    const counts = nat.convCounters(true);
    assert.deepEqual(counts.dnnl, { forward: 2, backwardData: 1, backwardWeights: 1 }, `oneDNN ran every op: ${JSON.stringify(counts)}`);
    assert.deepEqual(counts.blas, { forward: 0, backwardData: 0, backwardWeights: 0 }, 'sgemm ran none');
    assert.equal(counts.dnnlFallbacks, 0, counts.dnnlLastError);
    nat.setConvEngine(false);
    const blas = addon(c);
    assert.equal(nat.convCounters(true).blas.backwardWeights, 1, 'setConvEngine(false) runs sgemm');
    nat.setConvEngine(true);
    const want = await reference(c);
    const errs: string[] = [];
    for (const k of ['yb', 'y', 'dx', 'dw'] as const) {
      const e = relErr(got[k], want[k]);
      const eBlas = relErr(blas[k], want[k]);
      errs.push(`${k} ${e.toExponential(1)} (sgemm ${eBlas.toExponential(1)})`);
      assert.ok(e <= 1e-5, `${k}: rel err vs cpu ${e}`);
    }
    // What each op's error is, for the README (node --test prints diagnostics).
    t.diagnostic(`rel err vs cpu: ${errs.join(', ')}`);
  });
}

test('oneDNN convs give the same bits at 1, 2 and 3 pool threads (every job split)', { skip }, () => {
  nat.setConvEngine(true);
  for (const c of CASES) {
    const runs = [1, 2, 3].map((t) => {
      nat.setThreads(t, 0);
      return addon(c);
    });
    nat.setThreads(1);
    for (const k of ['yb', 'y', 'dx', 'dw'] as const) {
      assert.ok(same(runs[1][k], runs[0][k]), `${c.name} ${k}: 2 threads differ from 1`);
      assert.ok(same(runs[2][k], runs[0][k]), `${c.name} ${k}: 3 threads differ from 1`);
    }
  }
  assert.equal(nat.convCounters(true).dnnlFallbacks, 0);
});

test('1x1 convolutions stay on OpenBLAS sgemm (counters), and match cpu', { skip }, async () => {
  nat.setConvEngine(true);
  nat.setThreads(1);
  const c: Case = { name: '1x1', x: [8, 8, 8, 32], k: 1, cout: 16, stride: 1, pad: 'valid' };
  nat.convCounters(true);
  const got = addon(c);
  const counts = nat.convCounters(true);
  assert.deepEqual(counts.dnnl, { forward: 0, backwardData: 0, backwardWeights: 0 }, JSON.stringify(counts));
  assert.deepEqual(counts.blas, { forward: 2, backwardData: 1, backwardWeights: 1 });
  const want = await reference(c);
  for (const k of ['yb', 'y', 'dx', 'dw'] as const) assert.ok(relErr(got[k], want[k]) <= 1e-5, k);
});

test('a dilated 3x3 forward runs on oneDNN and matches cpu', { skip }, async () => {
  nat.setConvEngine(true);
  const c: Case = { name: 'dilated', x: [2, 12, 10, 16], k: 3, cout: 16, stride: 1, pad: 'same', dilation: 2 };
  const { d, outShape, x, w } = inputs(c);
  const y = new Float32Array(size(outShape)).fill(NaN);
  nat.convCounters(true);
  nat.conv2dForward(x, w, y, d);
  assert.equal(nat.convCounters(true).dnnl.forward, 1);
  const want = await reference(c);
  assert.ok(relErr(y, want.y) <= 1e-5);
});

test('no OpenMP team starts: oneDNN runs single-threaded inside our pool (a fresh process keeps its thread count)', { skip }, () => {
  // In a fresh process (OpenMP keeps a team's threads once started): the addon alone, a 2-thread pool splitting every
  // job, the process's threads counted before and after the first oneDNN calls of every op.
  const script = `
    const nat = require(process.env.ADDON);
    const tasks = () => require('fs').readdirSync('/proc/self/task').length;
    nat.setThreads(2, 0);
    const d = Int32Array.from([8, 16, 16, 16, 3, 3, 16, 1, 1, 1, 1, 1, 1, 16, 16]);
    const x = new Float32Array(8 * 16 * 16 * 16).fill(0.5), w = new Float32Array(3 * 3 * 16 * 16).fill(0.25), b = new Float32Array(16);
    const y = new Float32Array(x.length), dw = new Float32Array(w.length);
    const before = tasks();
    for (let i = 0; i < 3; i++) { nat.conv2dBiasForward(x, w, y, d, b); nat.conv2dBackpropInput(y, w, x, d); nat.conv2dBackpropFilter(x, y, dw, d); }
    const c = nat.convCounters();
    console.log(JSON.stringify({ before, after: tasks(), dnnl: c.dnnl }));`;
  const r = spawnSync(process.execPath, ['-e', script], { env: { ...process.env, ADDON: NATIVE_ADDON_PATH, OMP_NUM_THREADS: '4', TFJS_WASM_TRAIN_DNNL: '1' }, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const got = JSON.parse(r.stdout.trim().split('\n').pop()!) as { before: number; after: number; dnnl: Record<string, number> };
  assert.deepEqual(got.dnnl, { forward: 3, backwardData: 3, backwardWeights: 3 });
  assert.equal(got.after, got.before, `threads: ${got.before} -> ${got.after}`);
});

test('repeat calls reuse the cached primitives and give the same bits', { skip }, () => {
  nat.setConvEngine(true);
  const c = CASES[0];
  const a = addon(c);
  const b = addon(c);
  for (const k of ['yb', 'y', 'dx', 'dw'] as const) assert.ok(same(a[k], b[k]), k);
});

test('TFJS_WASM_TRAIN_ENGINES=fastest lifts both pins for this CPU, leaks no variable to children, and stays within float error of pinned', { skip }, () => {
  // The choice is read when the addon loads: each setting in a fresh process, through nativeKernels() as training loads it.
  const script = `
    const { nativeKernels } = require(process.env.ADDON_TS);
    const n = nativeKernels();
    const nat = n.kernels;
    nat.setThreads(1, 0);
    const d = Int32Array.from([4, 16, 16, 16, 3, 3, 32, 1, 1, 1, 1, 1, 1, 16, 16]);
    let s = 7; const rnd = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
    const x = Float32Array.from({ length: 4 * 16 * 16 * 16 }, rnd), w = Float32Array.from({ length: 3 * 3 * 16 * 32 }, rnd);
    const y = new Float32Array(4 * 16 * 16 * 32);
    nat.conv2dForward(x, w, y, d);
    console.log(JSON.stringify({ blas: n.blas, reason: n.reason, isa: nat.convEngine().isa, leaked: [process.env.OPENBLAS_CORETYPE ?? null, process.env.ONEDNN_MAX_CPU_ISA ?? null], y: Array.from(y) }));`;
  const run = (engines: string) => {
    const env: NodeJS.ProcessEnv = { ...process.env, ADDON_TS: require.resolve('../src/native-addon'), TFJS_WASM_TRAIN_ENGINES: engines };
    for (const k of ['OPENBLAS_CORETYPE', 'ONEDNN_MAX_CPU_ISA', 'DNNL_MAX_CPU_ISA', 'STAR_ENGINES']) delete env[k];
    const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { env, encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    return JSON.parse(r.stdout.trim().split('\n').pop()!) as { blas: string; reason: string; isa: string; leaked: Array<string | null>; y: number[] };
  };
  const pinned = run('pinned');
  const fastest = run('fastest');
  assert.deepEqual(pinned.leaked, [null, null]);
  assert.deepEqual(fastest.leaked, [null, null], 'the load-time variables are removed again');
  const flags = require('fs').readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  if (/\bavx2\b/.test(flags) && /\bfma\b/.test(flags)) {
    assert.equal(pinned.blas, 'Haswell');
    assert.equal(pinned.isa, 'avx2');
  }
  assert.match(fastest.reason, /fastest for this CPU/);
  if (/\bavx512f\b/.test(flags)) {
    assert.match(fastest.isa, /^avx512/, `oneDNN on an AVX-512 CPU with the cap lifted: ${fastest.isa}`);
    assert.notEqual(fastest.blas, 'Haswell', 'OpenBLAS picks its own kernels');
  }
  assert.ok(relErr(Float32Array.from(fastest.y), Float32Array.from(pinned.y)) <= 1e-5);
  const r = spawnSync(process.execPath, ['--import', 'tsx', '-e', `require(${JSON.stringify(require.resolve('../src/native-addon'))}).enginesChoice()`],
    { env: { ...process.env, TFJS_WASM_TRAIN_ENGINES: 'fast' }, encoding: 'utf8' });
  assert.notEqual(r.status, 0);
  assert.match(r.stderr, /TFJS_WASM_TRAIN_ENGINES="fast": expected one of pinned, fastest/);
});
