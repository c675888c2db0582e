/**
 * Training-step benchmark (`npm run bench`): median ms per step (forward + backward + Adam, MSE to random heatmaps)
 * after warm-up, for each backend configuration, each in its own child process (a process starts wasm once).
 * With /usr/bin/python3 + torch available, the same network in PyTorch with 1 and 2 threads, and the ratios.
 * Writes results/bench/train-step-<date>.json and prints a table.
 *
 *   node --import tsx bench/train-step.ts [--steps 5] [--warmup 2] [--batch 8] [--size 128] [--net convnet]
 *                                        [--only wasm-threaded,wasm-single,...] [--no-torch]
 */
import { spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { initBackend, type BackendChoice } from '../src/backend';
import type { WasmKernelSet } from '../src/backend/kernels/register';
import { BENCH_NETS, paramCount } from './convnet';

interface Config {
  id: string;
  backend: BackendChoice;
  threads: number;
  kernels: WasmKernelSet;
  batch: number;
  size: number;
  steps: number;
  warmup: number;
  net: string;
}

interface Result extends Config {
  medianMs: number;
  stepsMs: number[];
  params: number;
  backendLine: string;
  error?: string;
}

function arg(name: string, fallback: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : fallback;
}
function intArg(name: string, fallback: number): number {
  const v = Number(arg(name, String(fallback)));
  if (!Number.isInteger(v) || v < 1) throw new Error(`--${name} must be a positive integer, got "${arg(name, '')}"`);
  return v;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};

/** Child: one configuration, one JSON line on stdout. */
async function runChild(cfg: Config): Promise<void> {
  const info = await initBackend({ backend: cfg.backend, threads: cfg.threads, wasmKernels: cfg.kernels, quiet: true });
  const build = BENCH_NETS[cfg.net];
  if (build == null) throw new Error(`--net ${cfg.net}: unknown (known: ${Object.keys(BENCH_NETS).join(', ')})`);
  const net = build({ inputSize: cfg.size, seed: 1 });
  const [h, w, n] = net.outputShape(cfg.size);
  const x = tf.randomUniform([cfg.batch, cfg.size, cfg.size, 3], -1, 1, 'float32', 2) as tf.Tensor4D;
  const y = tf.randomUniform([cfg.batch, h, w, n], 0, 1, 'float32', 3);
  const opt = tf.train.adam(1e-3);
  const times: number[] = [];
  for (let i = 0; i < cfg.warmup + cfg.steps; i++) {
    const t0 = performance.now();
    const loss = opt.minimize(() => tf.mean(tf.squaredDifference(net.forward(x), y)) as tf.Scalar, true, net.variables);
    const v = (await loss!.data())[0];
    loss!.dispose();
    if (!Number.isFinite(v)) throw new Error(`loss is ${v} at step ${i}`);
    if (i >= cfg.warmup) times.push(performance.now() - t0);
  }
  const out: Result = {
    ...cfg, medianMs: median(times), stepsMs: times, params: paramCount(net.variables),
    backendLine: `${info.name} threads=${info.threads} kernels=${info.customKernels.join('+') || 'stock'}`,
  };
  process.stdout.write(`@@RESULT ${JSON.stringify(out)}\n`);
}

function spawnConfig(cfg: Config): Result {
  const r = spawnSync(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(cfg)], {
    encoding: 'utf8', timeout: 30 * 60_000, env: { ...process.env, STAR_BACKEND: '', STAR_THREADS: '' },
  });
  const line = (r.stdout ?? '').split('\n').find((l) => l.startsWith('@@RESULT '));
  if (r.status !== 0 || line == null) {
    const why = r.signal ? `killed (${r.signal})` : (r.stderr ?? '').split('\n').filter((l) => /Error/.test(l)).slice(-1)[0]?.slice(0, 300);
    return { ...cfg, medianMs: NaN, stepsMs: [], params: 0, backendLine: '', error: why || `exit ${r.status}` };
  }
  return JSON.parse(line.slice('@@RESULT '.length)) as Result;
}

function torchAvailable(): boolean {
  const r = spawnSync('/usr/bin/python3', ['-c', 'import torch'], { encoding: 'utf8', timeout: 60_000 });
  return r.status === 0;
}

function runTorch(threads: number, batch: number, size: number, steps: number, warmup: number) {
  const script = path.join(__dirname, 'torch_convnet.py');
  const r = spawnSync('/usr/bin/python3', [script, '--threads', String(threads), '--batch', String(batch),
    '--size', String(size), '--steps', String(steps), '--warmup', String(warmup)], { encoding: 'utf8', timeout: 20 * 60_000 });
  if (r.status !== 0) return { threads, error: (r.stderr ?? '').trim().split('\n').pop() ?? `exit ${r.status}` };
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as { threads: number; median_ms: number; steps_ms: number[]; params: number };
}

async function main(): Promise<void> {
  const childIdx = process.argv.indexOf('--child');
  if (childIdx >= 0) return runChild(JSON.parse(process.argv[childIdx + 1]) as Config);

  const steps = Math.max(5, intArg('steps', 5));
  const warmup = intArg('warmup', 2);
  const batch = intArg('batch', 8);
  const size = intArg('size', 128);
  const net = arg('net', 'convnet');
  const tiny = { batch: 1, size: 32 };
  const all: Config[] = [
    { id: 'wasm-threaded', backend: 'wasm-threaded', threads: 2, kernels: 'all', batch, size, steps, warmup, net },
    { id: 'wasm-single', backend: 'wasm-single', threads: 1, kernels: 'all', batch, size, steps, warmup, net },
    { id: 'wasm-single-stock', backend: 'wasm-single', threads: 1, kernels: 'missing-only', batch, size, steps, warmup: 1, net },
    { id: 'wasm-single-tiny', backend: 'wasm-single', threads: 1, kernels: 'all', ...tiny, steps, warmup, net },
    { id: 'cpu-tiny', backend: 'cpu', threads: 1, kernels: 'none', ...tiny, steps, warmup: 1, net },
  ];
  const only = arg('only', '');
  const configs = only ? all.filter((c) => only.split(',').includes(c.id)) : all;

  const results: Result[] = [];
  for (const c of configs) {
    process.stderr.write(`[bench] ${c.id} (batch ${c.batch}, ${c.size} px) ...\n`);
    results.push(spawnConfig(c));
  }
  const torch: Array<ReturnType<typeof runTorch>> = [];
  const wantTorch = !process.argv.includes('--no-torch') && net === 'convnet';
  if (wantTorch && torchAvailable()) {
    for (const t of [1, 2]) {
      process.stderr.write(`[bench] pytorch ${t} thread(s) ...\n`);
      torch.push(runTorch(t, batch, size, steps, warmup));
    }
  }

  const load = os.loadavg()[0];
  const note = `Taken on a shared ${os.cpus().length}-core machine (1-min load average ${load.toFixed(1)} at the end): ` +
    'other jobs were running, so absolute numbers are inflated and noisy; ratios within one run are more meaningful.';
  const ref = results.find((r) => r.id === 'wasm-threaded' && Number.isFinite(r.medianMs));
  const rows: string[][] = [['config', 'backend', 'batch', 'px', 'params', 'median ms/step', 'vs wasm-threaded']];
  for (const r of results) {
    rows.push([r.id, r.error ? `ERROR: ${r.error}` : r.backendLine, String(r.batch), String(r.size), String(r.params),
      Number.isFinite(r.medianMs) ? r.medianMs.toFixed(0) : '-',
      ref && Number.isFinite(r.medianMs) && r.size === ref.size && r.batch === ref.batch ? (r.medianMs / ref.medianMs).toFixed(2) + 'x' : '']);
  }
  for (const t of torch) {
    const ok = 'median_ms' in t;
    rows.push([`pytorch-${t.threads}t`, ok ? 'pytorch (cpu)' : `ERROR: ${(t as { error: string }).error}`, String(batch), String(size),
      ok ? String(t.params) : '', ok ? t.median_ms.toFixed(0) : '-', ok && ref ? (t.median_ms / ref.medianMs).toFixed(2) + 'x' : '']);
  }
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  console.log(rows.map((r) => r.map((c, j) => c.padEnd(widths[j])).join('  ')).join('\n'));
  console.log(note);

  const date = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  const dir = path.join(__dirname, '..', 'results', 'bench');
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `train-step-${date}.json`);
  fs.writeFileSync(file, JSON.stringify({
    date: new Date().toISOString(), host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version, loadavg: os.loadavg() },
    note, net, results, torch,
  }, null, 2));
  console.log(`wrote ${path.relative(process.cwd(), file)}`);
}

main().catch((e) => { console.error(e instanceof Error ? e.message : e); process.exit(1); });
