/**
 * The paper preset trained on the CPU (`npm run bench:paper`, issue 18 target 3): batch 8 at 256 px with the AAM heads,
 * the trainer's own step (src/train/step.ts: forward, the trainer's objective for an AAM model, backward, Adam,
 * batch-norm statistics) on batches from the project's loader (1 worker, official augmentation, point and edge maps),
 * on the backend the ladder picks for this workload (the host backend: the model does not fit the wasm heap). Per step
 * it logs ms, RSS, JS heap, external memory and tf.memory()'s tensor count and bytes, so a leak shows as a trend; then
 * the PyTorch twin (bench/torch_nets.py --net paper, same network and objective) runs a few steps on the same CPU.
 *
 * The tfjs side runs in a child process (a fresh backend, and its memory is returned before PyTorch starts). Writes
 * <out>/paper-<date>.{json,md}, <out> = results/local/bench/ unless --out says otherwise; the JSON is rewritten after
 * every step, so a stopped run keeps what it measured. Options: USAGE below.
 */
import { spawn, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as tf from '@tensorflow/tfjs-core';
import { formatBackendSummary, initBackend, type BackendChoice, BACKEND_CHOICES } from 'tfjs-wasm-train';
import { modelWorkload } from '../src/model/footprint';
import { exitWithError, numberOption, oneOf, parseOptions, UsageError, wantsHelp } from '../src/cli/args';
import { outputFolder } from '../src/cli/paths';
import { LOCAL_RESULTS } from '../src/config/profile';
import { makePaperStepper, paperConfig } from './paper-net';

const USAGE = `usage: npm run bench:paper -- [options]   (details in bench/README.md)
  The paper preset (4 stacks, 256 channels, 256 px, AAM heads, 13.48 M parameters) trained on the CPU: per-step ms,
  RSS, JS heap, external memory and live tensors; then its PyTorch twin on the same CPU.
  --steps N          tfjs training steps, all logged (default 30)
  --batch N          batch size (default 8)
  --threads N        compute threads (default one per CPU)
  --backend NAME     ${BACKEND_CHOICES.join('|')} (default: STAR_BACKEND, else auto: the ladder picks host here)
  --loss star|heatmap-mse   the objective on the fused maps, + the AAM heads' AWing terms (default star, the
                     official combination)
  --torch-steps N    PyTorch steps measured (default 3)   --torch-warmup N   PyTorch steps before them (default 1)
  --no-torch         skip PyTorch                          --no-tfjs   skip tfjs (PyTorch only)
  --out <dir>        where the report goes (default results/local/bench/, git-ignored)
  Long: a paper step takes ≈ 16 s on a 2-core Xeon (45 s the first). Run it alone (nohup nice -n 5 ... > log &) and read the log.`;

const OPTIONS = {
  steps: { type: 'string' }, batch: { type: 'string' }, threads: { type: 'string' }, backend: { type: 'string' }, loss: { type: 'string' },
  'torch-steps': { type: 'string' }, 'torch-warmup': { type: 'string' }, 'no-torch': { type: 'boolean' }, 'no-tfjs': { type: 'boolean' },
  out: { type: 'string' },
} as const;

const LOSSES = ['star', 'heatmap-mse'] as const;

interface Args {
  steps: number; batch: number; threads: number; backend?: BackendChoice; loss: (typeof LOSSES)[number];
  torchSteps: number; torchWarmup: number; torch: boolean; tfjs: boolean; out: string;
}

interface StepRow {
  step: number; ms: number; loaderWaitMs: number; loss: number;
  rssMB: number; heapUsedMB: number; externalMB: number; numTensors: number; tensorMB: number; load1: number;
}

interface TfjsResult { backendLine: string; backendReason: string; params: number; estimatedPeakGiB: number; rows: StepRow[]; error?: string }
interface TorchResult { median_ms?: number; steps_ms?: number[]; params?: number; torch?: string; peak_rss_mb?: number[]; error?: string }

function parseArgs(argv: string[]): Args {
  const { values: v } = parseOptions(argv, OPTIONS);
  const a: Args = {
    steps: numberOption(v.steps, 'steps', { integer: true, min: 1 }) ?? 30,
    batch: numberOption(v.batch, 'batch', { integer: true, min: 1 }) ?? 8,
    threads: numberOption(v.threads, 'threads', { integer: true, min: 1 }) ?? Math.max(1, os.cpus().length),
    backend: oneOf(v.backend, 'backend', BACKEND_CHOICES, 'backend'),
    loss: oneOf(v.loss, 'loss', LOSSES, 'loss') ?? 'star',
    torchSteps: numberOption(v['torch-steps'], 'torch-steps', { integer: true, min: 1 }) ?? 3,
    torchWarmup: numberOption(v['torch-warmup'], 'torch-warmup', { integer: true, min: 0 }) ?? 1,
    torch: v['no-torch'] !== true, tfjs: v['no-tfjs'] !== true,
    out: outputFolder(v.out ?? path.join(LOCAL_RESULTS, 'bench'), 'out'),
  };
  if (!a.torch && !a.tfjs) throw new UsageError('--no-torch and --no-tfjs together leave nothing to run');
  return a;
}

const median = (xs: number[]) => {
  const s = [...xs].sort((p, q) => p - q);
  return s.length === 0 ? NaN : s.length % 2 ? s[(s.length - 1) / 2] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2;
};
const MB = 2 ** 20;

// ---------------------------------------------------------------------------------------------- child (tfjs) side

async function runChild(a: Args): Promise<void> {
  const cfg = paperConfig(a.loss);
  const workload = modelWorkload(cfg, { trainBatch: a.batch, label: `paper preset, training batch ${a.batch}` });
  const info = await initBackend({ ...(a.backend ? { backend: a.backend } : {}), threads: a.threads, workload, quiet: true });
  const backendLine = formatBackendSummary(info);
  process.stderr.write(`${backendLine}\n`);
  const p = makePaperStepper(a.batch, a.loss);
  const result: TfjsResult = {
    backendLine, backendReason: info.reason, params: p.model.params.countTrainable(), estimatedPeakGiB: workload.peakBytes / 2 ** 30, rows: [],
  };
  const partial = process.env.PAPER_STEP_PARTIAL;
  for (let k = 0; k < a.steps; k++) {
    const t0 = performance.now();
    const { loss, loaderWaitMs } = await p.step(k);
    const ms = performance.now() - t0;
    const m = process.memoryUsage();
    const mem = tf.memory();
    const row: StepRow = {
      step: k + 1, ms, loaderWaitMs, loss, rssMB: m.rss / MB, heapUsedMB: m.heapUsed / MB, externalMB: m.external / MB,
      numTensors: mem.numTensors, tensorMB: mem.numBytes / MB, load1: os.loadavg()[0],
    };
    result.rows.push(row);
    process.stderr.write(`[paper] step ${String(row.step).padStart(3)}/${a.steps}  ${(ms / 1000).toFixed(1)} s (loader ${loaderWaitMs.toFixed(0)} ms)  loss ${loss.toFixed(4)}  ` +
      `rss ${row.rssMB.toFixed(0)} MB  js heap ${row.heapUsedMB.toFixed(0)} MB  external ${row.externalMB.toFixed(0)} MB  ` +
      `tensors ${row.numTensors} (${row.tensorMB.toFixed(0)} MB)  load ${row.load1.toFixed(2)}\n`);
    if (!Number.isFinite(loss)) throw new Error(`step ${k + 1}: loss is ${loss}`);
    if (partial) fs.writeFileSync(partial, JSON.stringify(result));
  }
  await p.dispose();
  process.stdout.write(`@@RESULT ${JSON.stringify(result)}\n`);
}

// ----------------------------------------------------------------------------------------------- parent side

/** The tfjs child, its progress lines passed through as they come (a run takes the better part of an hour). */
function runTfjs(a: Args, partial: string): Promise<TfjsResult> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', __filename, '--child', JSON.stringify(a)], {
      env: { ...process.env, PAPER_STEP_PARTIAL: partial }, stdio: ['ignore', 'pipe', 'inherit'],
    });
    let out = '';
    child.stdout.on('data', (d: Buffer) => { out += d.toString(); });
    child.on('close', (code, signal) => {
      const line = out.split('\n').find((l) => l.startsWith('@@RESULT '));
      if (line) return resolve(JSON.parse(line.slice('@@RESULT '.length)) as TfjsResult);
      const kept = fs.existsSync(partial) ? (JSON.parse(fs.readFileSync(partial, 'utf8')) as TfjsResult) : { backendLine: '', backendReason: '', params: 0, estimatedPeakGiB: 0, rows: [] };
      resolve({ ...kept, error: signal ? `killed (${signal})` : `exit ${code}` });
    });
  });
}

function runTorch(a: Args): TorchResult {
  const r = spawnSync('/usr/bin/python3', [path.join(__dirname, 'torch_nets.py'), '--net', 'paper', '--threads', String(a.threads),
    '--batch', String(a.batch), '--steps', String(a.torchSteps), '--warmup', String(a.torchWarmup), '--loader', '1',
    '--loss', a.loss === 'star' ? 'star' : 'mse'], { encoding: 'utf8', timeout: 4 * 3600_000, stdio: ['ignore', 'pipe', 'inherit'] });
  if (r.status !== 0) return { error: r.error?.message ?? `exit ${r.status}` };
  return JSON.parse(r.stdout.trim().split('\n').pop() ?? '{}') as TorchResult;
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, j) => Math.max(...rows.map((r) => r[j].length)));
  const line = (r: string[]) => `| ${r.map((c, j) => c.padEnd(widths[j])).join(' | ')} |`;
  return [line(rows[0]), `|${widths.map((w) => '-'.repeat(w + 2)).join('|')}|`, ...rows.slice(1).map(line)].join('\n');
}

/** The report: summary first (median over the steps after the first, which carries one-time costs), then every step. */
export function paperReport(a: Pick<Args, 'batch' | 'threads' | 'loss' | 'torchSteps' | 'torchWarmup'>, tfjs: TfjsResult | null, torch: TorchResult | null, loads: number[]): { md: string; summary: Record<string, unknown> } {
  const rows = tfjs?.rows ?? [];
  const later = rows.slice(1);
  const tfjsMedian = later.length ? median(later.map((r) => r.ms)) : rows.length ? rows[0].ms : NaN;
  const first = rows[0];
  const last = rows[rows.length - 1];
  const summary = {
    tfjsSteps: rows.length, tfjsMedianMs: tfjsMedian, tfjsFirstStepMs: first?.ms ?? NaN,
    rssFirstMB: first?.rssMB ?? NaN, rssLastMB: last?.rssMB ?? NaN, rssMaxMB: rows.length ? Math.max(...rows.map((r) => r.rssMB)) : NaN,
    tensorsFirst: first?.numTensors ?? NaN, tensorsLast: last?.numTensors ?? NaN,
    torchMedianMs: torch?.median_ms ?? NaN, torchSteps: torch?.steps_ms?.length ?? 0,
    ratio: (tfjsMedian / (torch?.median_ms ?? NaN)),
    load1: loads,
  };
  const s = (ms: number) => (Number.isFinite(ms) ? `${(ms / 1000).toFixed(1)} s` : '-');
  const lines = [
    `# The paper preset trained on the CPU: batch ${a.batch}, 256 px, AAM heads, ${a.loss === 'star' ? 'STAR' : 'heatmap MSE'} + AWing on the AAM maps, ${a.threads} threads`, '',
    table([
      ['', 'tfjs', 'PyTorch twin'],
      ['backend', tfjs?.backendLine.replace(/^\[backend\] /, '') ?? '-', torch?.torch ? `torch ${torch.torch}` : '-'],
      ['parameters', tfjs ? String(tfjs.params) : '-', torch?.params != null ? String(torch.params) : '-'],
      ['steps timed', `${rows.length} (median over steps 2–${rows.length})`, torch?.steps_ms ? `${torch.steps_ms.length} after ${a.torchWarmup} warm-up` : '-'],
      ['median step', s(tfjsMedian), s(torch?.median_ms ?? NaN)],
      ['first step', s(first?.ms ?? NaN), '-'],
      ['RSS first → last (max)', first ? `${first.rssMB.toFixed(0)} → ${last.rssMB.toFixed(0)} MB (${summary.rssMaxMB.toFixed(0)})` : '-',
        torch?.peak_rss_mb?.length ? `peak ${Math.max(...torch.peak_rss_mb).toFixed(0)} MB` : '-'],
      ['live tensors first → last', first ? `${first.numTensors} → ${last.numTensors}` : '-', '-'],
    ]), '',
    `tfjs / PyTorch (median step): ${Number.isFinite(summary.ratio) ? summary.ratio.toFixed(2) : '-'}.` +
      (tfjs?.error ? ` The tfjs run stopped early: ${tfjs.error}.` : '') + (torch?.error ? ` PyTorch failed: ${torch.error}.` : ''),
    `Host: ${os.cpus().length} × ${os.cpus()[0]?.model}, Node ${process.version}; 1-min load average at the start, after tfjs and ` +
      `after PyTorch: ${loads.map((l) => l.toFixed(2)).join(', ')} (per tfjs step in the table below).` +
      // Only the load before the run says whether others shared the CPU: a 2-thread step itself holds it near 2.
      (loads[0] > os.cpus().length * 0.5 ? ' Other jobs were running at the start: the timings may be under load.' : ''),
    '', 'Every tfjs step:', '',
    table([['step', 's', 'loader wait ms', 'loss', 'RSS MB', 'JS heap MB', 'external MB', 'tensors', 'tensor MB', 'load'],
      ...rows.map((r) => [String(r.step), (r.ms / 1000).toFixed(1), r.loaderWaitMs.toFixed(0), r.loss.toFixed(4), r.rssMB.toFixed(0), r.heapUsedMB.toFixed(0),
        r.externalMB.toFixed(0), String(r.numTensors), r.tensorMB.toFixed(0), r.load1.toFixed(2)])]),
  ];
  return { md: lines.join('\n'), summary };
}

async function main(argv: string[]): Promise<void> {
  if (argv[0] === '--child') return runChild(JSON.parse(argv[1]) as Args);
  if (wantsHelp(argv)) {
    console.log(USAGE);
    return;
  }
  const a = parseArgs(argv);
  const stamp = new Date().toISOString().replace(/[:]/g, '-').replace(/\..*/, '');
  fs.mkdirSync(a.out, { recursive: true });
  const base = path.join(a.out, `paper-${stamp}`);
  const loads = [os.loadavg()[0]];
  let tfjs: TfjsResult | null = null;
  let torch: TorchResult | null = null;
  const write = () => {
    const { md, summary } = paperReport(a, tfjs, torch, loads);
    fs.writeFileSync(`${base}.json`, JSON.stringify({ date: new Date().toISOString(), args: a, host: { cpus: os.cpus().length, model: os.cpus()[0]?.model, node: process.version }, summary, tfjs, torch }, null, 2) + '\n');
    fs.writeFileSync(`${base}.md`, md + '\n');
    return md;
  };
  if (a.tfjs) {
    console.error(`[paper] tfjs: ${a.steps} steps, batch ${a.batch}; report: ${path.relative(process.cwd(), base)}.{json,md}`);
    tfjs = await runTfjs(a, `${base}.partial.json`);
    fs.rmSync(`${base}.partial.json`, { force: true });
    loads.push(os.loadavg()[0]);
    write();
  }
  if (a.torch) {
    console.error(`[paper] PyTorch twin: ${a.torchWarmup} + ${a.torchSteps} steps`);
    torch = runTorch(a);
    loads.push(os.loadavg()[0]);
  }
  console.log(write());
  console.log(`wrote ${path.relative(process.cwd(), base)}.{json,md}`);
}

if (require.main === module) main(process.argv.slice(2)).catch((e) => exitWithError('bench:paper', e, 'npm run bench:paper -- --help'));
