/**
 * The optional native kernels (native/tfjs_wasm_train.cc, built by scripts/build-native.sh at install time):
 * convolution forward/backward through OpenBLAS (the 3×3 / 7×7 ones through oneDNN when the build found it,
 * native/dnnl_conv.inc) and training batch norm, called by the wasm backend's kernels on views of the wasm heap (no
 * copies). Absent addon = the wasm kernels; `TFJS_WASM_TRAIN_NATIVE=0` (or `STAR_NATIVE=0`) turns it off,
 * `TFJS_WASM_TRAIN_DNNL=0` only its oneDNN convolutions (read by the addon when it loads).
 */
import * as fs from 'fs';
import * as path from 'path';
import { readEnv } from './env';

export interface ConvDims {
  B: number; H: number; W: number; Cin: number; kh: number; kw: number; Cout: number;
  sh: number; sw: number; dh: number; dw: number; pt: number; pl: number; oh: number; ow: number;
}

/**
 * Which engine the addon's convolutions with kh·kw > 1 run on (convEngine()): oneDNN's direct kernels when built
 * with it and enabled, else im2col + OpenBLAS sgemm like the 1×1 ones. A run's numbers depend on it.
 */
export interface ConvEngineInfo {
  /** The addon was built with oneDNN. */
  dnnl: boolean;
  /** 3×3 / 7×7 convolutions run on oneDNN now. */
  enabled: boolean;
  /** oneDNN's version ('2.6.3'), '' without it. */
  version: string;
  /** The instruction set its kernels use (dnnl_get_effective_cpu_isa: 'avx2' when pinned), '' without it. */
  isa: string;
  /** 'pinned' (capped at AVX2 when the addon loaded) or the user's `ONEDNN_MAX_CPU_ISA=…` / `DNNL_MAX_CPU_ISA=…`. */
  isaSource: string;
  /** Why it is off ('TFJS_WASM_TRAIN_DNNL=0', 'built without oneDNN', ...); '' when enabled. */
  disabledBy: string;
}

/** Convolution calls per engine and op since the addon loaded or the last reset (which path really ran). */
export interface ConvCounters {
  blas: { forward: number; backwardData: number; backwardWeights: number };
  dnnl: { forward: number; backwardData: number; backwardWeights: number };
  /** Calls that oneDNN refused (primitive creation or execution failed) and sgemm ran instead. */
  dnnlFallbacks: number;
  dnnlLastError: string;
}

/** The conv engine in a few words for reports: 'oneDNN 2.6.3 avx2 (pinned)' or 'OpenBLAS (oneDNN off: …)'. */
export function describeConvEngine(e: ConvEngineInfo): string {
  if (e.enabled) return `oneDNN ${e.version} ${e.isa} (${e.isaSource}) for 3x3/7x7`;
  return e.dnnl ? `OpenBLAS (oneDNN ${e.version} off: ${e.disabledBy})` : 'OpenBLAS (built without oneDNN)';
}

export interface NativeKernels {
  conv2dForward(x: Float32Array, filter: Float32Array, y: Float32Array, dims: Int32Array): void;
  /** conv2dForward + bias[Cout] on every output position, in the same pass. */
  conv2dBiasForward(x: Float32Array, filter: Float32Array, y: Float32Array, dims: Int32Array, bias: Float32Array): void;
  /** conv2dBiasForward + residual (same shape as y, not y itself) in the same call: the end of a residual block. */
  conv2dBiasAddForward(x: Float32Array, filter: Float32Array, y: Float32Array, dims: Int32Array, bias: Float32Array, residual: Float32Array): void;
  /** out[c] = Σ over rows of dy[r, c] (a bias gradient). */
  columnSums(dy: Float32Array, out: Float32Array, rows: number, C: number): void;
  /** out = dy where x > 0, else 0. */
  reluGrad(dy: Float32Array, x: Float32Array, out: Float32Array, n: number): void;
  /** out = a + b elementwise (same shapes). */
  addSame(a: Float32Array, b: Float32Array, out: Float32Array, n: number): void;
  /** Max-pool gradient, cpu-backend rule (first strictly largest in-bounds input); dims B,H,W,C,OH,OW,fh,fw,sh,sw,padTop,padLeft. */
  maxPoolGrad(dy: Float32Array, x: Float32Array, dx: Float32Array, dims: Int32Array): void;
  /** y = max over each window (B,H,W,C,OH,OW,fh,fw,sh,sw,padTop,padLeft), NaN passed over as on the cpu backend. */
  maxPoolForward(x: Float32Array, y: Float32Array, dims: Int32Array): void;
  /** Nearest-neighbour up-sampling by k (B,H,W,C,k): output (i, j) reads input (⌊i/k⌋, ⌊j/k⌋). */
  upsampleForward(x: Float32Array, y: Float32Array, dims: Int32Array): void;
  /**
   * Adaptive Wing with the official weight map: grad = d(mean of w·AWing)/d(heatmaps), sums[b] = Σ over sample b of
   * w·AWing; shape [B,H,W,N], params [ω, θ, ε, α, weight, threshold] (the STAR project's src/loss/awing-host.ts).
   */
  adaptiveWing(heatmaps: Float32Array, targets: Float32Array, grad: Float32Array, sums: Float32Array, shape: Int32Array, params: Float64Array): void;
  /** Gradient of k×k nearest-neighbour up-sampling (block sums of dy); dims B,H,W,C,k of the input. */
  upsampleGrad(dy: Float32Array, dx: Float32Array, dims: Int32Array): void;
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, dfilter: Float32Array, dims: Int32Array): void;
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, dx: Float32Array, dims: Int32Array): void;
  /** relu = 1: the output is relu(batch norm). */
  bnForward(x: Float32Array, gamma: Float32Array, beta: Float32Array, y: Float32Array, mean: Float32Array, variance: Float32Array, n: number, C: number, eps: number, relu: number): void;
  /** reluOut: the fused-ReLU output, whose zeros mask dy (null without ReLU). */
  bnGradParams(x: Float32Array, mean: Float32Array, variance: Float32Array, dy: Float32Array, dgamma: Float32Array, dbeta: Float32Array, n: number, C: number, eps: number, reluOut: Float32Array | null): void;
  bnGradX(x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array, dy: Float32Array, dmean: Float32Array, dvariance: Float32Array, dx: Float32Array, n: number, C: number, eps: number, reluOut: Float32Array | null): void;
  /** bnGradX + bnGradParams in one call (their sums are computed once): dx, and dγ, dβ with the same bits as bnGradParams. */
  bnGrad(x: Float32Array, gamma: Float32Array, mean: Float32Array, variance: Float32Array, dy: Float32Array, dmean: Float32Array, dvariance: Float32Array, dx: Float32Array, n: number, C: number, eps: number, reluOut: Float32Array | null, dgamma: Float32Array, dbeta: Float32Array): void;
  /** The kernels OpenBLAS picked when it loaded (openblas_get_corename: "Haswell", "SkylakeX", ...). */
  blasCoreName(): string;
  // Host reductions: not tfjs kernels but plain functions on Float32Arrays, for a caller's own host kernels
  // (host-memory.ts); native only (keep a JS version for when the addon is absent).
  /**
   * Per-channel moments of heatmaps h [B,H,W,N] (shape) on grid axes xs [W], ys [H] -> stats [B,N,7]: S = Σh and,
   * of h_n = h/S, mx = Σh_n·x, my = Σh_n·y, cxx = Σh_n·(x−mx)², cyy = Σh_n·(y−my)², cxy = Σh_n·(x−mx)(y−my),
   * q = Σh_n² (zeros where S ≤ 0); float64 accumulators divided by S before the float32 store (only S depends on
   * the scale of h), the moments from row/column marginals.
   */
  heatmapMoments(h: Float32Array, stats: Float32Array, shape: Int32Array, xs: Float32Array, ys: Float32Array): void;
  /**
   * dh from dStats [B,N,7]: gS + [gmx·(x−mx) + gmy·(y−my) + gcxx·((x−mx)² − cxx) + gcyy·((y−my)² − cyy) +
   * gcxy·((x−mx)(y−my) − cxy) + 2·gq·(h/S − q)] / S.
   */
  heatmapMomentsGrad(dStats: Float32Array, h: Float32Array, stats: Float32Array, dh: Float32Array, shape: Int32Array, xs: Float32Array, ys: Float32Array): void;
  /**
   * Threads the native kernels split their work over (our pool; OpenBLAS itself stays single-threaded). Jobs under
   * `minWork` multiply-adds (default 1.5e5) stay on the calling thread; tests pass 0 to split everything.
   */
  setThreads(n: number, minWork?: number): void;
  getThreads(): number;
  /** The engine of the kh·kw > 1 convolutions (oneDNN or OpenBLAS), its version and ISA. */
  convEngine(): ConvEngineInfo;
  /**
   * Turns the oneDNN path on or off for later calls (benchmarks A/B in one process); returns the previous setting.
   * A no-op (false) in a build without oneDNN.
   */
  setConvEngine(useDnnl: boolean): boolean;
  /** Convolution calls per engine and op; `reset` zeroes them after reading. */
  convCounters(reset?: boolean): ConvCounters;
}

/** Every function of NativeKernels, checked when the addon loads. */
export const NATIVE_FUNCTIONS: ReadonlyArray<keyof NativeKernels> = [
  'conv2dForward', 'conv2dBiasForward', 'conv2dBiasAddForward', 'columnSums', 'reluGrad', 'addSame', 'maxPoolGrad', 'maxPoolForward', 'adaptiveWing', 'upsampleForward', 'upsampleGrad', 'conv2dBackpropFilter',
  'conv2dBackpropInput', 'bnForward', 'bnGradParams', 'bnGradX', 'bnGrad', 'heatmapMoments', 'heatmapMomentsGrad', 'setThreads', 'getThreads',
  'blasCoreName', 'convEngine', 'setConvEngine', 'convCounters',
];

export const NATIVE_ADDON_PATH = path.resolve(__dirname, '..', 'build', 'tfjs_wasm_train.node');
/** The build script's last outcome line (why the addon is missing, when it is). */
const BUILD_OUTCOME_PATH = path.resolve(__dirname, '..', 'build', 'outcome.txt');

function notBuiltReason(): string {
  const outcome = fs.existsSync(BUILD_OUTCOME_PATH)
    ? fs.readFileSync(BUILD_OUTCOME_PATH, 'utf8').trim().replace(/^\[tfjs-wasm-train\] /, '')
    : 'the build script has not run';
  return `not built (${outcome}; npm rebuild tfjs-wasm-train)`;
}

/**
 * OpenBLAS picks its sgemm kernels by CPU when it loads (SkylakeX on AVX-512 Intel, Zen or Haswell on others), and
 * they round differently: the same seed then trains to other numbers on another machine type (measured: a run's loss
 * at step 10, 0.72815 on an AMD machine, was 0.7306 on an AVX-512 Xeon, and 0.72815 again there with Haswell kernels).
 * So with TFJS_WASM_TRAIN_ENGINES=pinned, on every x86 machine with AVX2 and FMA the kernels are pinned to Haswell's,
 * which all of them run, before the addon loads the library (a user's own OPENBLAS_CORETYPE wins, e.g. SkylakeX for speed). What a run records is what
 * OpenBLAS reports it loaded (openblas_get_corename), not this wish: a build without runtime kernel choice, a misspelt
 * value or a library already loaded would otherwise be recorded as pinned. Returns whether the variable was set here.
 */
function pinOpenBlasCore(): boolean {
  if (process.env.OPENBLAS_CORETYPE !== undefined || enginesChoice() === 'fastest') return false;
  let flags = '';
  try {
    flags = fs.readFileSync('/proc/cpuinfo', 'utf8').match(/^flags\s*:(.*)$/m)?.[1] ?? '';
  } catch {
    return false;
  }
  const has = (f: string) => new RegExp(`\\b${f}\\b`).test(flags);
  if (!(has('avx2') && has('fma'))) return false;
  process.env.OPENBLAS_CORETYPE = 'Haswell';
  return true;
}

export const ENGINE_CHOICES = ['pinned', 'fastest'] as const;
export type EnginesChoice = (typeof ENGINE_CHOICES)[number];

/**
 * TFJS_WASM_TRAIN_ENGINES: 'fastest' (default; each library's own choice for this CPU, as PyTorch does: AVX-512 kernels
 * where there are some, but a seed's numbers then depend on the machine type, and a run's recorded kernel set says so,
 * so the runner will not resume or pair it with runs on other kernels) or 'pinned' (AVX2 kernels everywhere: the same
 * bits on every AVX2 machine, Intel or AMD; what a grid that may span machine types needs, and what the project's grid
 * scripts set). A user's own OPENBLAS_CORETYPE / ONEDNN_MAX_CPU_ISA still wins over either.
 */
export function enginesChoice(env: NodeJS.ProcessEnv = process.env): EnginesChoice {
  const e = readEnv('engines', env);
  if (e === undefined) return 'fastest';
  const v = e.value.trim().toLowerCase();
  if ((ENGINE_CHOICES as readonly string[]).includes(v)) return v as EnginesChoice;
  throw new Error(`${e.name}="${e.value}": expected one of ${ENGINE_CHOICES.join(', ')}`);
}

/**
 * With 'fastest', lift oneDNN's AVX2 cap (the addon caps it when it loads unless one of these variables is set):
 * ONEDNN_MAX_CPU_ISA=ALL for the load only. Returns whether the variable was set here.
 */
function uncapDnnl(): boolean {
  if (enginesChoice() !== 'fastest') return false;
  if (['ONEDNN_MAX_CPU_ISA', 'DNNL_MAX_CPU_ISA'].some((n) => (process.env[n] ?? '').trim() !== '')) return false;
  process.env.ONEDNN_MAX_CPU_ISA = 'ALL';
  return true;
}

let cached: { kernels: NativeKernels | null; reason: string; blas: string } | undefined;

/**
 * The addon, or null with the reason (not built, disabled, failed to load); `blas`: the OpenBLAS kernels it runs
 * ('' without the addon). Loaded once. Its conv engine (oneDNN or not): `kernels.convEngine()`.
 */
export function nativeKernels(): { kernels: NativeKernels | null; reason: string; blas: string } {
  if (cached) return cached;
  const off = readEnv('native');
  if (off?.value.trim() === '0') cached = { kernels: null, reason: `disabled (${off.name}=0)`, blas: '' };
  else if (!fs.existsSync(NATIVE_ADDON_PATH)) cached = { kernels: null, reason: notBuiltReason(), blas: '' };
  else {
    try {
      const pinned = pinOpenBlasCore();
      const uncapped = uncapDnnl();
      let mod: Record<string, unknown>;
      try {
        mod = require(NATIVE_ADDON_PATH) as Record<string, unknown>;
      } finally {
        // The libraries read them while loading; child processes (Python, Slurm tasks) should not inherit our choice.
        if (pinned) delete process.env.OPENBLAS_CORETYPE;
        if (uncapped) delete process.env.ONEDNN_MAX_CPU_ISA;
      }
      // A build from an older checkout (e.g. after a pull without `npm ci`) lacks newer functions: use none of it.
      const missing = NATIVE_FUNCTIONS.filter((f) => typeof mod[f] !== 'function');
      if (missing.length) cached = { kernels: null, reason: `stale build (no ${missing.join(', ')}; npm rebuild tfjs-wasm-train)`, blas: '' };
      else {
        const kernels = mod as unknown as NativeKernels;
        const blas = kernels.blasCoreName();
        const how = pinned ? 'pinned' : process.env.OPENBLAS_CORETYPE !== undefined ? `OPENBLAS_CORETYPE=${process.env.OPENBLAS_CORETYPE}` : 'chosen by OpenBLAS for this CPU';
        const conv = kernels.convEngine();
        const isaHow = uncapped ? 'fastest for this CPU' : conv.isaSource;
        const convs = conv.enabled ? `oneDNN ${conv.version} 3x3/7x7 conv (${conv.isa}, ${isaHow}), ` : '';
        cached = { kernels, reason: `${convs}OpenBLAS conv (${blas} kernels, ${how}), batch norm, max pool + up-sampling and their gradients, add, Adaptive Wing`, blas };
      }
    } catch (e) {
      cached = { kernels: null, reason: `failed to load: ${(e as Error).message.split('\n')[0]}`, blas: '' };
    }
  }
  return cached;
}

/** The packed Int32Array the addon's conv functions take. */
export function packConvDims(d: ConvDims): Int32Array {
  return Int32Array.from([d.B, d.H, d.W, d.Cin, d.kh, d.kw, d.Cout, d.sh, d.sw, d.dh, d.dw, d.pt, d.pl, d.oh, d.ow]);
}
