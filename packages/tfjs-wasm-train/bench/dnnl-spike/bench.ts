/**
 * Spike: oneDNN convolutions (./build/dnnl_conv.node, Debian libdnnl 2.6.3) vs our addon (native/tfjs_wasm_train.cc,
 * im2col + OpenBLAS sgemm, Haswell kernels) on the same Float32Arrays, alternating in one process.
 *
 *   OPENBLAS_CORETYPE=Haswell node --import tsx packages/tfjs-wasm-train/bench/dnnl-spike/bench.ts \
 *     --shapes packages/tfjs-wasm-train/bench/dnnl-spike/shapes-hg-cpu-128.jsonl [--threads 1,2] [--isa avx2|all]
 *     [--rounds 6] [--block 7] [--out file.json] [--verbose-shapes]  (run from the project root)
 *
 * Per geometry and op (forward + bias, backward-data, backward-weights + bias), three variants are timed: ours
 * (conv2dBiasForward / conv2dBackpropInput / conv2dBackpropFilter + columnSums), oneDNN with hwio weights (our layout,
 * no reorder) and oneDNN with `any` weights (its choice, reordered from / to hwio on every call, counted). Rounds of
 * `block` back-to-back calls per variant, the variant order rotating per round (a shared CPU: alternating in time);
 * min and median per call. With > 1 thread, 10 ms between blocks so that the other runtime's spinning workers
 * (our pool: 200 µs, libgomp: a few ms) have gone to sleep. Numerics: oneDNN vs ours, max |Δ| / max |ours|; bits:
 * each output hashed (FNV-1a), compared across repeats and threads here and across processes / ISAs from the JSON.
 * --verbose-shapes: only three geometries, one call per op and variant, no timing (with ONEDNN_VERBOSE=1).
 * --no-time: every geometry, numerics and bits only.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { nativeKernels, packConvDims } from '../../src/native-addon';

interface Dnnl {
  create(dims: Int32Array, any: number): unknown;
  info(h: unknown): string;
  forward(h: unknown, x: Float32Array, w: Float32Array, b: Float32Array, y: Float32Array, reorderW?: boolean): void;
  backwardData(h: unknown, dy: Float32Array, w: Float32Array, dx: Float32Array, reorderW?: boolean): void;
  backwardWeights(h: unknown, x: Float32Array, dy: Float32Array, dw: Float32Array, db: Float32Array): void;
  reorderWeights(h: unknown, w: Float32Array): void;
  setThreads(n: number): void;
  getThreads(): number;
  setMaxIsa(isa: string): string;
  createSplit(dims: Int32Array, parts: number): unknown;
  splitInfo(h: unknown): string;
  runSplit(h: unknown, op: number, a: Float32Array, b: Float32Array, c: Float32Array, d: Float32Array): void;
  setSplitThreads(n: number): void;
  effectiveIsa(): string;
  version(): string;
}

const arg = (name: string, def: string) => { const i = process.argv.indexOf(name); return i > 0 ? process.argv[i + 1] : def; };
const THREADS = arg('--threads', '1,2').split(',').map(Number);
const ROUNDS = Number(arg('--rounds', '6'));
const BLOCK = Number(arg('--block', '7'));
const ISA = arg('--isa', '');
const VERBOSE = process.argv.includes('--verbose-shapes');
const NO_TIME = process.argv.includes('--no-time');  // numerics and bits only
const SHAPES = arg('--shapes', path.join(__dirname, 'shapes-hg-cpu-128.jsonl'));
const OUT = arg('--out', '');

const nat = nativeKernels();
if (!nat.kernels) throw new Error(`our addon: ${nat.reason}`);
const ours = nat.kernels;
const dnnl = require(path.join(__dirname, 'build', 'dnnl_conv.node')) as Dnnl;
const isaSet = ISA ? dnnl.setMaxIsa(ISA) : 'not set';
const header = {
  date: new Date().toISOString(), host: os.hostname(), cpu: os.cpus()[0]?.model, loadavgStart: os.loadavg(),
  ours: nat.reason, blas: nat.blas, dnnl: dnnl.version(), isaRequest: ISA || 'default', setMaxIsa: isaSet, effectiveIsa: dnnl.effectiveIsa(),
  rounds: ROUNDS, block: BLOCK, threads: THREADS, seedPerLayer: true, timed: !NO_TIME && !VERBOSE,
};
console.log(JSON.stringify(header));

// ------------------------------------------------------------------------------------------------ geometries
type Op = 'fwd' | 'bwdData' | 'bwdWeights';
const OPS: Op[] = ['fwd', 'bwdData', 'bwdWeights'];
interface Geom { key: string; x: number[]; f: number[]; y: number[]; count: Record<Op, number>; label: string }
const kindOp: Record<string, Op> = { WasmTrainConv2DBias: 'fwd', Conv2D: 'fwd', Conv2DBackpropInput: 'bwdData', Conv2DBackpropFilter: 'bwdWeights' };
const geoms = new Map<string, Geom>();
function addGeom(x: number[], f: number[], y: number[], op: Op | null, n: number, label = ''): void {
  const key = `${x}|${f}|${y}`;
  const g = geoms.get(key) ?? { key, x, f, y, count: { fwd: 0, bwdData: 0, bwdWeights: 0 }, label };
  if (op) g.count[op] += n;
  if (label && !g.label) g.label = label;
  geoms.set(key, g);
}
for (const line of fs.readFileSync(SHAPES, 'utf8').split('\n')) {
  if (!line.trim()) continue;
  const r = JSON.parse(line);
  if (!r.kind) continue;
  addGeom(r.x, r.filter, r.y, kindOp[r.kind], r.n);
}
// hg-cpu-small layers the brief names that hg-cpu-128 lacks (not weighted).
addGeom([8, 32, 32, 32], [3, 3, 32, 32], [8, 32, 32, 32], null, 0, 'cpu-small');
addGeom([8, 16, 16, 32], [3, 3, 32, 32], [8, 16, 16, 32], null, 0, 'cpu-small');
addGeom([8, 64, 64, 32], [1, 1, 32, 64], [8, 64, 64, 64], null, 0, 'cpu-small');
let list = [...geoms.values()];
if (VERBOSE) {
  list = list.filter((g) => ['8,128,128,3|7,7,3,16|8,64,64,16', '8,64,64,16|3,3,16,16|8,64,64,16', '8,64,64,16|1,1,16,32|8,64,64,32'].includes(g.key));
}

function dimsOf(g: Geom): Int32Array {
  const stride = g.x[1] / g.y[1];
  const info = tf.backend_util.computeConv2DInfo(g.x as [number, number, number, number], g.f as [number, number, number, number], stride, 1, 'same',
    undefined, false, 'channelsLast');
  if (info.outShape.join() !== g.y.join()) throw new Error(`geometry ${g.key}: same-padding output ${info.outShape}`);
  return packConvDims({
    B: info.batchSize, H: info.inHeight, W: info.inWidth, Cin: info.inChannels, kh: info.filterHeight, kw: info.filterWidth,
    Cout: info.outChannels, sh: info.strideHeight, sw: info.strideWidth, dh: info.dilationHeight, dw: info.dilationWidth,
    pt: info.padInfo.top, pl: info.padInfo.left, oh: info.outHeight, ow: info.outWidth,
  });
}

let seed = 12345;
function rand(n: number, scale = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) { seed = (seed * 1103515245 + 12345) >>> 0; a[i] = ((seed / 2 ** 32) * 2 - 1) * scale; }
  return a;
}
const prod = (s: number[]) => s.reduce((a, b) => a * b, 1);
function fnv(a: Float32Array): string {
  const u = new Uint32Array(a.buffer, a.byteOffset, a.length);
  let h = 0x811c9dc5;
  for (let i = 0; i < u.length; i++) h = Math.imul(h ^ u[i], 0x01000193) >>> 0;
  return h.toString(16).padStart(8, '0');
}
function fnvStr(k: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < k.length; i++) h = Math.imul(h ^ k.charCodeAt(i), 0x01000193) >>> 0;
  return h;
}
function relErr(ref: Float32Array, got: Float32Array): number {
  let m = 0, d = 0;
  for (let i = 0; i < ref.length; i++) { m = Math.max(m, Math.abs(ref[i])); d = Math.max(d, Math.abs(ref[i] - got[i])); }
  return m > 0 ? d / m : d;
}
const sleepMs = (ms: number) => Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 0, ms);
const stats = (t: number[]) => { const s = [...t].sort((a, b) => a - b); return { min: s[0], med: s[s.length >> 1], n: s.length }; };

// split (only with > 1 thread): oneDNN single-threaded per sub-batch chunk (2 per thread) on a work-stealing pool like
// ours (dnnl_conv.cc, MiniPool), `any` weights; at 1 thread it is the same as `any`.
type Variant = 'ours' | 'hwio' | 'any' | 'split';
const results: unknown[] = [];

for (const T of THREADS) {
  ours.setThreads(T);
  dnnl.setThreads(T);
  dnnl.setSplitThreads(T);
  const VARIANTS: Variant[] = T > 1 ? ['ours', 'hwio', 'any', 'split'] : ['ours', 'hwio', 'any'];
  process.env.OMP_NUM_THREADS = String(T);
  for (const g of list) {
    const d = dimsOf(g);
    const M = prod(g.y.slice(0, 3)), Cout = g.f[3];
    seed = fnvStr(g.key);  // the same inputs for a layer whatever ran before (bits compared across runs and threads)
    const x = rand(prod(g.x)), w = rand(prod(g.f), 1 / Math.sqrt(g.f[0] * g.f[1] * g.f[2])), b = rand(Cout), dy = rand(prod(g.y));
    const hH = dnnl.create(d, 0), hA = dnnl.create(d, 1);
    // like our partsFor(): two chunks per thread, none below 1.5e5 multiply-adds
    const work = M * g.f[0] * g.f[1] * g.f[2] * Cout;
    const parts = T > 1 && work >= 1.5e5 && g.x[0] % (2 * T) === 0 ? 2 * T : 1;
    const hS = dnnl.createSplit(d, parts);
    const outs = (v: Variant) => ({ y: new Float32Array(prod(g.y)), dx: new Float32Array(prod(g.x)), dw: new Float32Array(prod(g.f)), db: new Float32Array(Cout) });
    const o = { ours: outs('ours'), hwio: outs('hwio'), any: outs('any'), split: outs('split') };
    const call: Record<Op, Record<Variant, () => void>> = {
      fwd: {
        ours: () => ours.conv2dBiasForward(x, w, o.ours.y, d, b),
        hwio: () => dnnl.forward(hH, x, w, b, o.hwio.y, true),
        any: () => dnnl.forward(hA, x, w, b, o.any.y, true),
        split: () => dnnl.runSplit(hS, 0, x, w, b, o.split.y),
      },
      bwdData: {
        ours: () => ours.conv2dBackpropInput(dy, w, o.ours.dx, d),
        hwio: () => dnnl.backwardData(hH, dy, w, o.hwio.dx, true),
        any: () => dnnl.backwardData(hA, dy, w, o.any.dx, true),
        split: () => dnnl.runSplit(hS, 1, dy, w, b, o.split.dx),
      },
      bwdWeights: {
        ours: () => { ours.conv2dBackpropFilter(x, dy, o.ours.dw, d); ours.columnSums(dy, o.ours.db, M, Cout); },
        hwio: () => dnnl.backwardWeights(hH, x, dy, o.hwio.dw, o.hwio.db),
        any: () => dnnl.backwardWeights(hA, x, dy, o.any.dw, o.any.db),
        split: () => dnnl.runSplit(hS, 2, x, dy, o.split.db, o.split.dw),
      },
    };
    const outOf = (op: Op, v: Variant) => op === 'fwd' ? [o[v].y] : op === 'bwdData' ? [o[v].dx] : [o[v].dw, o[v].db];
    const geomRes: Record<string, unknown> = { T, key: g.key, x: g.x, f: g.f, y: g.y, dims: [...d], count: g.count, label: g.label,
      implHwio: JSON.parse(dnnl.info(hH)), implAny: JSON.parse(dnnl.info(hA)), implSplit: T > 1 ? JSON.parse(dnnl.splitInfo(hS)) : null };
    for (const op of OPS) {
      // numerics + bits (two calls each: run-to-run)
      const hashes: Record<string, string[]> = {};
      const err: Record<string, number> = {};
      for (const v of VARIANTS) {
        call[op][v]();
        const h1 = outOf(op, v).map(fnv).join('/');
        call[op][v]();
        const h2 = outOf(op, v).map(fnv).join('/');
        hashes[v] = [h1, h2];
      }
      for (const v of VARIANTS.filter((q) => q !== 'ours')) {
        err[v] = Math.max(...outOf(op, 'ours').map((r, i) => relErr(r, outOf(op, v)[i])));
      }
      if (VERBOSE || NO_TIME) {
        if (VERBOSE) console.log(JSON.stringify({ T, key: g.key, op, err, hashes }));
        geomRes[op] = { err, hashes };
        continue;
      }
      const times: Record<Variant, number[]> = { ours: [], hwio: [], any: [], split: [] };
      for (const v of VARIANTS) for (let i = 0; i < 3; i++) call[op][v]();
      for (let r = 0; r < ROUNDS; r++) {
        for (let k = 0; k < VARIANTS.length; k++) {
          const v = VARIANTS[(k + r) % VARIANTS.length];
          if (T > 1) sleepMs(10);
          const fn = call[op][v];
          for (let i = 0; i < BLOCK; i++) { const t0 = performance.now(); fn(); times[v].push(performance.now() - t0); }
        }
      }
      let reorder: { min: number; med: number; n: number } | null = null;
      if (op === 'fwd' && (JSON.parse(dnnl.info(hA)).reorderFwd || JSON.parse(dnnl.info(hA)).reorderBwdData)) {
        const t: number[] = [];
        for (let i = 0; i < 20; i++) { const t0 = performance.now(); dnnl.reorderWeights(hA, w); t.push(performance.now() - t0); }
        reorder = stats(t);
      }
      geomRes[op] = { ours: stats(times.ours), hwio: stats(times.hwio), any: stats(times.any), split: T > 1 ? stats(times.split) : null, err, hashes, reorderBoth: reorder };
      const s = geomRes[op] as Record<Variant, { min: number; med: number }>;
      console.error(`T${T} ${g.key.padEnd(36)} ${op.padEnd(10)} ours ${s.ours.min.toFixed(3)}/${s.ours.med.toFixed(3)}  hwio ${s.hwio.min.toFixed(3)}/${s.hwio.med.toFixed(3)}  any ${s.any.min.toFixed(3)}/${s.any.med.toFixed(3)}${T > 1 ? `  split ${s.split.min.toFixed(3)}/${s.split.med.toFixed(3)}` : ''}  err ${Object.values(err).map((e) => e.toExponential(1)).join(' ')}`);
    }
    results.push(geomRes);
  }
}
const effectiveIsaEnd = dnnl.effectiveIsa();
const setMaxIsaAfterCreate = dnnl.setMaxIsa('sse41');
const footer = { loadavgEnd: os.loadavg(), effectiveIsaEnd, setMaxIsaAfterCreate, effectiveIsaAfterSecondSet: dnnl.effectiveIsa() };
console.log(JSON.stringify(footer));
if (OUT) fs.writeFileSync(OUT, JSON.stringify({ header, results, footer }, null, 1));
