/**
 * Training-step benchmark (`npm run bench`, issue #7): tfjs (wasm + our kernels) next to the same network in
 * PyTorch, same batch, resolution and thread count, in one invocation. One step = next batch from the data loader +
 * forward + backward + Adam + batch-norm running statistics, as in real training (src/train/trainer.ts); the tfjs
 * side reads batches from the project's loader (src/data/loader.ts, one worker thread, official augmentation) over
 * a small in-memory random-face dataset, the PyTorch side from a torch DataLoader with one worker process.
 * Median ms/step over >= 5 steps after warm-up; ratio tfjs / PyTorch (target <= 2).
 *
 * Also measured in the tfjs process: the STAR loss (src/loss/star.ts) vs heatmap MSE, forward + backward on the
 * network's output shapes (all stacks), and the share STAR would take of a training step.
 *
 * Options: USAGE below (`npm run bench -- --help`). Each configuration runs in its own child process (wasm starts once
 * per process, with a fixed thread count). Writes <out>/train-step-<date>.{json,md} (rss-<date>.{json,md} for --rss),
 * <out> = results/local/bench/ (git-ignored) unless --out says otherwise; results/bench/ holds the committed record.
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type WasmKernelSet } from 'tfjs-wasm-train';
import { createCodec } from '../src/data/codec';
import { WFLW98 } from '../src/data/schemes';
import { loaderBatchProvider } from '../src/train/loader-batches';
import { starLoss } from '../src/loss/star';
import { settle } from './settle';
import { randomFaces } from './random-faces';
import { heatmapMse } from '../src/loss/baselines';
import { BENCH_MODEL_IDS, buildBenchModel, paramTotal, type BenchModel } from './nets';
import { makeStepper, type AdamKind } from './step';
import { profiledFlops, sgemmGflops } from './flops';
import { exitWithError, nameList, numberList, numberOption, oneOf, parseOptions, UsageError, wantsHelp } from '../src/cli/args';
import { outputFolder } from '../src/cli/paths';
import { LOCAL_RESULTS } from '../src/config/profile';
import { ENGINE_CHOICES, WASM_KERNEL_SETS, type EnginesChoice } from 'tfjs-wasm-train';

interface ChildConfig {
  mode: 'step' | 'rss';
  net: string;
  threads: number;
  kernels: WasmKernelSet;
  batch: number;
  steps: number;
  warmup: number;
  star: boolean;
  rssEvery: number;
  adam: AdamKind;
  /** TFJS_WASM_TRAIN_ENGINES of the child: 'pinned' (AVX2 kernels everywhere, what grids use) or 'fastest' (this CPU's, the default). */
  engines?: EnginesChoice;
}

interface StepResult {
  net: string;
  threads: number;
  engines?: EnginesChoice;
  backendLine: string;
  params: number;
  medianMs: number;
  stepsMs: number[];
  /** Median ms waiting for the loader inside a step (0 when it keeps up). */
  loaderWaitMs: number;
  loss: { starMs: number; mseMs: number; stacks: number; starShare: number } | null;
  /** Convolution and matrix-product FLOPs of one profiled step (bench/flops.ts), and the measured sgemm rate. */
  flopsPerStep?: number;
  sgemmGflops?: number;
  error?: string;
}

/**
 * isa 'default': PyTorch as installed (its oneDNN picks this CPU's best ISA, AVX-512 where there is one); 'avx2': with
 * ONEDNN_MAX_CPU_ISA=AVX2, the cap our pinned engines run under (ATen's own kernels are AVX2 in this build anyway), so
 * that ratio compares frameworks on the same instruction set.
 */
interface TorchResult { net: string; threads: number; isa?: 'default' | 'avx2'; median_ms?: number; steps_ms?: number[]; params?: number; torch?: string; error?: string }

const median = (xs: number[]) => {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

// ---------------------------------------------------------------------------------------------- child (tfjs) side

function providerFor(model: BenchModel, batch: number, seed = 1) {
  const codec = createCodec(WFLW98, { inputSize: model.inputSize, heatmapSize: model.heatmapSize });
  return loaderBatchProvider(randomFaces(4 * batch, model.inputSize), {
    codec, augment: {}, seed, batchSize: batch, heatmaps: true, workers: 1,
  });
}

/**
 * Median ms of fwd+bwd of each loss summed over the stacks' output shapes (gradient w.r.t. the heatmaps). The losses
 * alternate within every repetition, so a GC pause or a busy core lands on both alike (measured one after the other
 * with 5 repetitions, the first one measured absorbed the training loop's garbage: STAR 5-9 ms on convnet in one run,
 * 4.2-4.6 ms alone with bench/star-loss.ts).
 */
function lossMs(shape: number[], stacks: number, losses: Array<(h: tf.Tensor4D, i: number) => tf.Scalar>, reps = 15): number[] {
  const hs = Array.from({ length: stacks }, (_, i) =>
    tf.tidy(() => tf.relu(tf.sub(tf.randomUniform(shape, 0, 1, 'float32', 40 + i), 0.8))) as tf.Tensor4D);
  const once = (loss: (h: tf.Tensor4D, i: number) => tf.Scalar) => {
    const { value, grads } = tf.valueAndGrads((...xs: tf.Tensor[]) => {
      let total = loss(xs[0] as tf.Tensor4D, 0);
      for (let i = 1; i < xs.length; i++) total = tf.add(total, loss(xs[i] as tf.Tensor4D, i));
      return total;
    })(hs);
    settle(value, grads);
    tf.dispose([value, ...grads]);
  };
  for (let w = 0; w < 3; w++) for (const l of losses) once(l);
  const ts: number[][] = losses.map(() => []);
  for (let r = 0; r < reps; r++) {
    losses.forEach((l, k) => {
      const t0 = performance.now();
      once(l);
      ts[k].push(performance.now() - t0);
    });
  }
  tf.dispose(hs);
  return ts.map(median);
}

async function runChild(cfg: ChildConfig): Promise<void> {
  const info = await initBackend({
    backend: 'wasm', threads: cfg.threads, wasmKernels: cfg.kernels, quiet: true,
  });
  const model = buildBenchModel(cfg.net);
  const stepper = makeStepper(model, { adam: cfg.adam });
  const batches = providerFor(model, cfg.batch);
  const { inputSize: S, heatmapSize: Hm, numPoints: N } = model;
  const oneStep = async (k: number): Promise<{ ms: number; waitMs: number }> => {
    const t0 = performance.now();
    const host = await batches.get(k);
    const waitMs = performance.now() - t0;
    const images = tf.tensor4d(host.images, [cfg.batch, S, S, 3]);
    const target = tf.tensor4d(host.heatmaps!, [cfg.batch, Hm, Hm, N]);
    await stepper.step(images, target);
    tf.dispose([images, target]);
    return { ms: performance.now() - t0, waitMs };
  };

  if (cfg.mode === 'rss') {
    const rows: Array<{ step: number; rssMB: number; heapUsedMB: number; externalMB: number; numTensors: number; msPerStep: number }> = [];
    let t = performance.now();
    for (let k = 0; k < cfg.steps; k++) {
      await oneStep(k);
      if ((k + 1) % cfg.rssEvery === 0 || k === 0) {
        const m = process.memoryUsage();
        const now = performance.now();
        const row = {
          step: k + 1, rssMB: m.rss / 2 ** 20, heapUsedMB: m.heapUsed / 2 ** 20, externalMB: m.external / 2 ** 20,
          numTensors: tf.memory().numTensors, msPerStep: k === 0 ? now - t : (now - t) / cfg.rssEvery,
        };
        t = now;
        rows.push(row);
        process.stderr.write(`[rss] step ${String(row.step).padStart(5)}  rss ${row.rssMB.toFixed(1)} MB  js heap ${row.heapUsedMB.toFixed(1)} MB  ` +
          `external ${row.externalMB.toFixed(1)} MB  tensors ${row.numTensors}  ${row.msPerStep.toFixed(0)} ms/step\n`);
      }
    }
    await batches.close();
    process.stdout.write(`@@RESULT ${JSON.stringify({ net: cfg.net, threads: cfg.threads, backendLine: describe(info), rows })}\n`);
    return;
  }

  const times: number[] = [];
  const waits: number[] = [];
  for (let k = 0; k < cfg.warmup + cfg.steps; k++) {
    const { ms, waitMs } = await oneStep(k);
    if (k >= cfg.warmup) {
      times.push(ms);
      waits.push(waitMs);
    }
  }
  await batches.close();
  let loss: StepResult['loss'] = null;
  if (cfg.star) {
    const shape = [cfg.batch, Hm, Hm, N];
    const stacks = model.stackWeights.length;
    const targets = tf.randomUniform([cfg.batch, N, 2], -0.9, 0.9, 'float32', 7) as tf.Tensor3D;
    const gauss = tf.randomUniform(shape as [number, number, number, number], 0, 1, 'float32', 8) as tf.Tensor4D;
    const [starMs, mseMs] = lossMs(shape, stacks, [
      (h, i) => tf.mul(starLoss(h, targets), model.stackWeights[i]) as tf.Scalar,
      (h, i) => tf.mul(heatmapMse(h, gauss), model.stackWeights[i]) as tf.Scalar,
    ]);
    tf.dispose([targets, gauss]);
    const step = median(times);
    loss = { starMs, mseMs, stacks, starShare: starMs / Math.max(1e-9, step - mseMs + starMs) };
  }
  // After the timed steps, so neither measurement disturbs them: one more step, profiled, counts the step's work.
  const probeImages = tf.randomUniform([cfg.batch, S, S, 3], -1, 1, 'float32', 5) as tf.Tensor4D;
  const probeTarget = tf.randomUniform([cfg.batch, Hm, Hm, N], 0, 1, 'float32', 6) as tf.Tensor4D;
  const flopsPerStep = await profiledFlops(async () => { await stepper.step(probeImages, probeTarget); return []; });
  tf.dispose([probeImages, probeTarget]);
  const peak = await sgemmGflops();
  const out: StepResult = {
    net: cfg.net, threads: cfg.threads, engines: cfg.engines ?? 'fastest', backendLine: describe(info), params: paramTotal(model.params),
    medianMs: median(times), stepsMs: times, loaderWaitMs: median(waits), loss, flopsPerStep, sgemmGflops: peak,
  };
  process.stdout.write(`@@RESULT ${JSON.stringify(out)}\n`);
}

function describe(info: { name: string; threads: number; customKernels: string[]; blas?: string; dnnl?: string }): string {
  // The engines decide the numbers (OpenBLAS Haswell when pinned vs SkylakeX, oneDNN's ISA): a table must say which ran.
  const engines = info.blas ? ` engines=OpenBLAS ${info.blas}${info.dnnl ? ` + oneDNN ${info.dnnl}` : ''}` : '';
  return `${info.name} threads=${info.threads}${engines} kernels=${info.customKernels.join('+') || 'stock'}`;
}

// ----------------------------------------------------------------------------------------------- parent side

const USAGE = `usage: npm run bench -- [options]   (the same: npm run star -- bench [options]; details in bench/README.md)
  Training step, tfjs vs PyTorch on the same network, batch and thread count; each configuration in its own process.
  --quick              5 measured steps after 1 warm-up (default 10 after 20)
  --nets a,b           ${BENCH_MODEL_IDS.join(', ')} (default all)
  --threads 1,2        compute thread counts (default 1,2)
  --steps N            measured steps, >= 5        --warmup N   warm-up steps (>= 0)
  --batch N            batch size (default 8)
  --kernels ${WASM_KERNEL_SETS.join('|')}   our wasm training kernel set (default all)
  --adam trainer|ops|fused   the Adam update (default trainer: as training picks it)
  --engines a,b        pinned (AVX2 kernels on every machine: what the grid scripts use), fastest (this CPU's best:
                       the default for training); default pinned,fastest. With pinned, PyTorch also runs capped
                       at AVX2 (ONEDNN_MAX_CPU_ISA=AVX2), so one ratio compares the frameworks on the same ISA
  --no-torch           skip PyTorch                --no-star    skip the STAR vs MSE loss timing
  --rss                memory over a long run instead, with --steps N (default 1000), --net NAME (default hg-cpu-tiny),
                       --threads N (default 1), --every N (default 100), --batch, --kernels, --adam
  --out <dir>          where the report goes (default results/local/bench/, git-ignored; pass --out results/bench to
                       add a run to the committed record)`;

const OPTIONS = {
  quick: { type: 'boolean' }, nets: { type: 'string' }, threads: { type: 'string' }, steps: { type: 'string' }, warmup: { type: 'string' },
  batch: { type: 'string' }, kernels: { type: 'string' }, adam: { type: 'string' }, 'no-torch': { type: 'boolean' }, 'no-star': { type: 'boolean' },
  engines: { type: 'string' }, rss: { type: 'boolean' }, net: { type: 'string' }, every: { type: 'string' }, out: { type: 'string' },
} as const;
const ADAM_KINDS: readonly AdamKind[] = ['trainer', 'ops', 'fused'];
// Options of one mode only: naming one in the other mode is an error, not a silent no-op.
const STEP_ONLY = ['quick', 'nets', 'warmup', 'no-torch', 'no-star', 'engines'] as const;
const RSS_ONLY = ['net', 'every'] as const;

type BenchArgs =
  | { mode: 'step'; out: string; quick: boolean; nets: string[]; threads: number[]; steps: number; warmup: number; batch: number; kernels: WasmKernelSet; adam: AdamKind; torch: boolean; star: boolean; engines: EnginesChoice[] }
  | { mode: 'rss'; out: string; net: string; threads: number; steps: number; every: number; batch: number; kernels: WasmKernelSet; adam: AdamKind };

/** Parse and check the command line (UsageError naming the option); nothing runs before it passes. */
function parseBenchArgs(argv: string[]): BenchArgs {
  const { values: v } = parseOptions(argv, OPTIONS);
  const rss = v.rss === true;
  for (const k of rss ? STEP_ONLY : RSS_ONLY) {
    if (v[k] !== undefined) throw new UsageError(`--${k} ${rss ? 'does not apply with --rss' : 'applies with --rss only'}${k === 'net' ? ' (use --nets)' : k === 'nets' ? ' (use --net)' : ''}`);
  }
  const out = outputFolder(v.out ?? path.join(LOCAL_RESULTS, 'bench'), 'out');
  const batch = numberOption(v.batch, 'batch', { integer: true, min: 1 }) ?? 8;
  const kernels = oneOf(v.kernels, 'kernels', WASM_KERNEL_SETS, 'kernel set') ?? 'all';
  const adam = oneOf(v.adam, 'adam', ADAM_KINDS, 'Adam variant') ?? 'trainer';
  if (rss) {
    const threads = numberList(v.threads, 'threads', { integer: true, min: 1 }) ?? [1];
    if (threads.length !== 1) throw new UsageError(`--threads: --rss measures one thread count, got "${v.threads}"`);
    return {
      mode: 'rss', out, net: oneOf(v.net, 'net', BENCH_MODEL_IDS, 'net') ?? 'hg-cpu-tiny', threads: threads[0],
      steps: numberOption(v.steps, 'steps', { integer: true, min: 1 }) ?? 1000, every: numberOption(v.every, 'every', { integer: true, min: 1 }) ?? 100,
      batch, kernels, adam,
    };
  }
  const quick = v.quick === true;
  return {
    mode: 'step', out, quick, nets: nameList(v.nets, 'nets', BENCH_MODEL_IDS, 'net') ?? [...BENCH_MODEL_IDS],
    threads: numberList(v.threads, 'threads', { integer: true, min: 1 }) ?? [1, 2],
    // >= 5 measured steps: fewer make a median that one GC pause can move.
    steps: numberOption(v.steps, 'steps', { integer: true, min: 5 }) ?? (quick ? 5 : 10),
    // 20 warm-up steps: tfjs's step keeps getting faster while V8 optimises its JS (hg-cpu-tiny, 1 thread, medians per
    // block of 10 steps: 59, 52, 48, 47, 49 ms; convnet flat at ~148 ms). Training runs thousands of steps, so the
    // steady state is what to compare; both frameworks get the same warm-up.
    warmup: numberOption(v.warmup, 'warmup', { integer: true, min: 0 }) ?? (quick ? 1 : 20),
    batch, kernels, adam, torch: v['no-torch'] !== true, star: v['no-star'] !== true,
    engines: nameList(v.engines, 'engines', ENGINE_CHOICES, 'engine choice') ?? [...ENGINE_CHOICES],
  };
}

function spawnChild(cfg: ChildConfig, timeoutMs: number): { result?: unknown; error?: string } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(cfg)], {
    encoding: 'utf8', timeout: timeoutMs,
    env: { ...process.env, STAR_BACKEND: '', STAR_THREADS: '', TFJS_WASM_TRAIN_BACKEND: '', TFJS_WASM_TRAIN_THREADS: '', STAR_ENGINES: '', TFJS_WASM_TRAIN_ENGINES: cfg.engines ?? 'fastest' },
    stdio: ['ignore', 'pipe', cfg.mode === 'rss' ? 'inherit' : 'pipe'],
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT '));
  if (r.status !== 0 || line == null) {
    const why = r.signal ? `killed (${r.signal})` : (r.stderr ?? '').trim().split('\n').filter((l) => /Error|error/.test(l)).slice(-1)[0]?.slice(0, 300);
    return { error: why || `exit ${r.status}` };
  }
  return { result: JSON.parse(line.slice('@@RESULT '.length)) };
}

function torchAvailable(): boolean {
  return spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8', timeout: 120_000 }).status === 0;
}

function runTorch(net: string, threads: number, batch: number, steps: number, warmup: number, isa: 'default' | 'avx2'): TorchResult {
  const env = { ...process.env };
  delete env.ONEDNN_MAX_CPU_ISA;
  delete env.DNNL_MAX_CPU_ISA;
  if (isa === 'avx2') env.ONEDNN_MAX_CPU_ISA = 'AVX2';
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'torch_nets.py'), '--net', net, '--threads', String(threads),
    '--batch', String(batch), '--steps', String(steps), '--warmup', String(warmup), '--loader', '1'], { encoding: 'utf8', timeout: 30 * 60_000, env });
  if (r.status !== 0) return { net, threads, isa, error: (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}` };
  return { net, threads, isa, ...JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') } as TorchResult;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r: string[]) => `| ${r.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

function hostInfo() {
  return { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() };
}

function writeResults(dir: string, stem: string, json: unknown, md: string): void {
  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  fs.mkdirSync(dir, { recursive: true });
  const base = path.join(dir, `${stem}-${date}`);
  fs.writeFileSync(`${base}.json`, JSON.stringify(json, null, 2) + '\n');
  fs.writeFileSync(`${base}.md`, md + '\n');
  console.log(`wrote ${path.relative(process.cwd(), base)}.{json,md}`);
}

async function mainRss(a: Extract<BenchArgs, { mode: 'rss' }>): Promise<void> {
  const net = a.net;
  const cfg: ChildConfig = {
    mode: 'rss', net, threads: a.threads, kernels: a.kernels, batch: a.batch, steps: a.steps, warmup: 0, star: false, rssEvery: a.every, adam: a.adam,
  };
  const r = spawnChild(cfg, 60 * 60_000);
  if (r.error) throw new Error(`rss run failed: ${r.error}`);
  const res = r.result as { rows: Array<{ step: number; rssMB: number; heapUsedMB: number; externalMB: number; numTensors: number; msPerStep: number }>; backendLine: string };
  const rows = [['step', 'RSS MB', 'JS heap MB', 'external MB', 'tensors', 'ms/step']];
  for (const x of res.rows) rows.push([String(x.step), x.rssMB.toFixed(1), x.heapUsedMB.toFixed(1), x.externalMB.toFixed(1), String(x.numTensors), x.msPerStep.toFixed(0)]);
  const after = res.rows.filter((x) => x.step >= Math.min(200, cfg.steps));
  const growth = after.length > 1 ? after[after.length - 1].rssMB - after[0].rssMB : NaN;
  const md = [`# Memory over ${cfg.steps} training steps: ${net}, batch ${cfg.batch}, ${res.backendLine}`, '',
    table(rows), '', `RSS change from step ${after[0]?.step} to ${after[after.length - 1]?.step}: ${growth.toFixed(1)} MB. ` +
    `Host: ${os.cpus().length} CPUs, load average ${os.loadavg()[0].toFixed(1)}.`].join('\n');
  console.log(md);
  writeResults(a.out, 'rss', { date: new Date().toISOString(), host: hostInfo(), config: cfg, ...res, rssGrowthMB: growth }, md);
}

async function main(argv: string[]): Promise<void> {
  // The parent runs each configuration as `train-step.ts --child <config JSON>`.
  if (argv[0] === '--child') return runChild(JSON.parse(argv[1]) as ChildConfig);
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return;
  }
  const a = parseBenchArgs(argv);
  console.error(`[bench] reports go to ${a.out}`);
  if (a.mode === 'rss') return mainRss(a);
  const { steps, warmup, batch, nets, threads, kernels, star, adam, engines } = a;
  const wantTorch = a.torch && torchAvailable();
  // PyTorch capped at AVX2 beside our pinned engines: the same-ISA comparison.
  const torchIsas: Array<'default' | 'avx2'> = engines.includes('pinned') ? ['default', 'avx2'] : ['default'];

  type AnyResult = StepResult | (Partial<StepResult> & { net: string; threads: number; engines: EnginesChoice; error: string });
  const results: AnyResult[] = [];
  const torch: TorchResult[] = [];
  for (const net of nets) {
    for (const t of threads) {
      for (const e of engines) {
        process.stderr.write(`[bench] tfjs ${net}, ${t} thread(s), ${e} engines ...\n`);
        // The STAR timing once per configuration (it does not depend on the conv engines).
        const r = spawnChild({ mode: 'step', net, threads: t, kernels, batch, steps, warmup, star: star && e === engines[0], rssEvery: 0, adam, engines: e }, 30 * 60_000);
        results.push(r.error ? { net, threads: t, engines: e, error: r.error } : (r.result as StepResult));
      }
      if (wantTorch) {
        for (const isa of torchIsas) {
          process.stderr.write(`[bench] pytorch ${net}, ${t} thread(s), ${isa === 'avx2' ? 'oneDNN capped at AVX2' : 'as installed'} ...\n`);
          torch.push(runTorch(net, t, batch, steps, warmup, isa));
        }
      }
    }
  }

  const load = os.loadavg()[0];
  const rows = [['net', 'params', 'threads', 'tfjs engines', 'tfjs ms/step median (min)', 'PyTorch ms/step median (min)', 'tfjs / PyTorch median (min)', 'same ISA: PyTorch AVX2 ms', 'same-ISA ratio', 'loader wait ms']];
  /**
   * Per net and threads: tfjs on its first engine choice (pinned by default) vs PyTorch as installed (`ratio`, the
   * headline), tfjs fastest vs PyTorch as installed (`ratioFastest`: each framework at its best on this CPU), tfjs
   * pinned vs PyTorch capped at AVX2 (`ratioSameIsa`: the frameworks on one instruction set).
   */
  const summary: Array<{ net: string; threads: number; tfjsMs: number; torchMs: number; ratio: number; tfjsMinMs: number; torchMinMs: number; ratioMin: number;
    tfjsFastestMs?: number; ratioFastest?: number; torchAvx2Ms?: number; ratioSameIsa?: number }> = [];
  // A side whose median is > 1.5x its fastest step was disturbed by other load: its ratio says nothing.
  const unstable = (xs?: number[]) => xs != null && xs.length > 0 && median(xs) > 1.5 * Math.min(...xs);
  const fmt = (med: number, min: number) => `${med.toFixed(0)} (${min.toFixed(0)})`;
  const minOf = (xs?: number[]) => (xs?.length ? Math.min(...xs) : NaN);
  const torchOf = (net: string, threads: number, isa: 'default' | 'avx2') => torch.find((x) => x.net === net && x.threads === threads && (x.isa ?? 'default') === isa);
  for (const r of results) {
    const t = torchOf(r.net, r.threads, 'default');
    const eng = r.engines ?? 'pinned';
    const t2 = eng === 'pinned' ? torchOf(r.net, r.threads, 'avx2') : undefined;
    const tfjsMin = minOf(r.stepsMs);
    const ratio = r.medianMs != null && t?.median_ms != null ? r.medianMs / t.median_ms : NaN;
    const ratioMin = tfjsMin / minOf(t?.steps_ms);
    const sameIsa = r.medianMs != null && t2?.median_ms != null ? r.medianMs / t2.median_ms : NaN;
    const first = eng === engines[0];
    const row = summary.find((x) => x.net === r.net && x.threads === r.threads);
    if (first) {
      summary.push({ net: r.net, threads: r.threads, tfjsMs: r.medianMs ?? NaN, torchMs: t?.median_ms ?? NaN, ratio, tfjsMinMs: tfjsMin, torchMinMs: minOf(t?.steps_ms), ratioMin,
        ...(t2 ? { torchAvx2Ms: t2.median_ms ?? NaN, ratioSameIsa: sameIsa } : {}) });
    } else if (row && eng === 'fastest') Object.assign(row, { tfjsFastestMs: r.medianMs ?? NaN, ratioFastest: ratio });
    rows.push([r.net, String(r.params ?? ''), String(r.threads), eng, r.error ? `ERROR: ${r.error}` : fmt(r.medianMs!, tfjsMin),
      t == null ? '-' : t.error ? `ERROR: ${t.error}` : fmt(t.median_ms!, minOf(t.steps_ms)),
      Number.isFinite(ratio) ? `${ratio.toFixed(2)} (${ratioMin.toFixed(2)})${unstable(r.stepsMs) || unstable(t?.steps_ms) ? ' unstable' : ''}` : '-',
      t2 == null ? '-' : t2.error ? `ERROR: ${t2.error}` : fmt(t2.median_ms!, minOf(t2.steps_ms)),
      Number.isFinite(sameIsa) ? sameIsa.toFixed(2) : '-',
      r.loaderWaitMs != null ? r.loaderWaitMs.toFixed(1) : '-']);
  }
  const lossRows = [['net', 'threads', 'stacks', 'STAR fwd+bwd ms', 'MSE fwd+bwd ms', 'STAR share of a step']];
  for (const r of results) {
    if (r.loss) lossRows.push([r.net, String(r.threads), String(r.loss.stacks), r.loss.starMs.toFixed(1), r.loss.mseMs.toFixed(1), `${(100 * r.loss.starShare).toFixed(1)}%`]);
  }
  const limitRows = [['net', 'threads', 'tfjs engines', 'GFLOP per step', 'tfjs GFLOP/s', 'PyTorch GFLOP/s', 'sgemm GFLOP/s (same threads, engines)', 'tfjs % of sgemm']];
  for (const r of results) {
    if (!r.flopsPerStep || !r.medianMs) continue;
    const t = torchOf(r.net, r.threads, 'default');
    const g = r.flopsPerStep / 1e9;
    const rate = g / (r.medianMs / 1e3);
    limitRows.push([r.net, String(r.threads), r.engines ?? 'pinned', g.toFixed(2), rate.toFixed(1), t?.median_ms ? (g / (t.median_ms / 1e3)).toFixed(1) : '-',
      r.sgemmGflops ? r.sgemmGflops.toFixed(1) : '-', r.sgemmGflops ? `${((100 * rate) / r.sgemmGflops).toFixed(0)}%` : '-']);
  }
  const backendLines = [...new Set(results.map((r) => r.backendLine).filter(Boolean))];
  const note = `Host: ${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}; 1-min load average ${load.toFixed(1)} at the end` +
    (load > os.cpus().length * 0.75 ? ' (the CPU was shared with other jobs: absolute numbers are inflated and noisy, the min ' +
      'columns are less affected; 2-thread PyTorch suffers most, its OpenMP threads spin while descheduled; rerun on a quiet machine)' : '') + '.';
  const md = [
    `# Training step: tfjs vs PyTorch (batch ${batch}, median of ${steps} steps after ${warmup} warm-up)`, '',
    'One step = next batch from the data loader (1 worker, the same augmentation and heatmap work on both sides) + forward + backward + Adam + BN statistics; MSE to heatmap targets. ' +
    'tfjs engines: fastest = each library\'s choice for this CPU (the default), pinned = OpenBLAS Haswell + oneDNN capped at AVX2 ' +
    '(TFJS_WASM_TRAIN_ENGINES=pinned, what the grid scripts use: the same bits on every AVX2 machine). PyTorch as installed picks this CPU\'s best ISA for its oneDNN convolutions; ' +
    '"same ISA" reruns it with ONEDNN_MAX_CPU_ISA=AVX2 beside the pinned row.', '',
    table(rows), '',
    ...(limitRows.length > 1 ? ['How close to the machine\'s limit: convolution (forward and gradients) and matrix-product FLOPs of a profiled step ' +
      '(counted from the kernels\' shapes; bench/flops.ts) over the median step, next to a 1024³ sgemm run as a 1×1 convolution on the same backend and threads:', '',
      table(limitRows), ''] : []),
    ...(lossRows.length > 1 ? ['STAR loss vs heatmap MSE, forward + backward on the output shapes (all stacks), same process:', '', table(lossRows), ''] : []),
    `tfjs: ${backendLines.join('; ')}; Adam: ${adam === 'ops' ? 'op by op (src/train/adam.ts, fused: false)' : adam === 'fused' ? 'fused kernel (tfjs-wasm-train src/ops/adam-fused.ts)' : 'as training picks it (src/train/adam.ts: fused kernel on wasm/cpu)'}. PyTorch: ${torch.find((t) => t.torch)?.torch ?? 'n/a'} (torch.set_num_threads).`, '', note,
  ].join('\n');
  console.log(md);
  writeResults(a.out, 'train-step', { date: new Date().toISOString(), host: hostInfo(), batch, steps, warmup, kernels, adam, engines, summary, results, torch, note }, md);
}

main(process.argv.slice(2)).catch((e) => exitWithError('bench', e, 'npm run bench -- --help'));
