/**
 * Generate a whole split with a pool of worker threads. Each sample depends only on (config, split, index), and
 * workers write into their own slots of one shared buffer, so the bytes are identical for any worker count.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { Worker } from 'worker_threads';
import type { SyntheticConfig, Split } from './config';
import { generateSample, type SyntheticLabel } from './generate';

export interface GenerateOptions {
  /** Worker threads; 0 = generate in this thread. Default: the number of CPU cores (at most 8). */
  workers?: number;
  /** Samples per task sent to a worker. Default 32. */
  chunk?: number;
  /** Called after each finished chunk. */
  onProgress?: (done: number, total: number) => void;
}

export interface GeneratedSplit {
  /** count x imageSize x imageSize x 3, interleaved RGB uint8. */
  pixels: Uint8Array;
  labels: SyntheticLabel[];
}

export function defaultWorkerCount(): number {
  return Math.max(1, Math.min(8, os.cpus().length));
}

/** The worker entry file next to this module (.ts when running from sources, .js when compiled). */
function workerEntry(): string {
  for (const ext of ['.ts', '.js']) {
    const f = path.join(__dirname, `worker${ext}`);
    if (fs.existsSync(f)) return f;
  }
  throw new Error(`synthetic pool: no worker.ts/worker.js next to ${__filename}`);
}

export async function generateSplit(cfg: SyntheticConfig, split: Split, opts: GenerateOptions = {}): Promise<GeneratedSplit> {
  const count = cfg.counts[split];
  const bytes = cfg.imageSize * cfg.imageSize * 3;
  const workers = Math.min(opts.workers ?? defaultWorkerCount(), Math.ceil(count / 8));
  const chunk = Math.max(1, opts.chunk ?? 32);
  const labels: SyntheticLabel[] = new Array(count);
  if (workers <= 0 || count === 0) {
    const pixels = new Uint8Array(count * bytes);
    for (let i = 0; i < count; i++) {
      const { label, rgb } = await generateSample(cfg, split, i);
      pixels.set(rgb, i * bytes);
      labels[i] = label;
      if (opts.onProgress && ((i + 1) % chunk === 0 || i + 1 === count)) opts.onProgress(i + 1, count);
    }
    return { pixels, labels };
  }
  const shared = new SharedArrayBuffer(count * bytes);
  const entry = workerEntry();
  // tsx's CommonJS hook makes the .ts entry loadable in a worker even when the parent runs under tslab or plain node.
  const boot = entry.endsWith('.ts')
    ? `require(${JSON.stringify(require.resolve('tsx/cjs/api'))}).register(); require(${JSON.stringify(entry)});`
    : `require(${JSON.stringify(entry)});`;
  const tasks: { start: number; end: number }[] = [];
  for (let s = 0; s < count; s += chunk) tasks.push({ start: s, end: Math.min(count, s + chunk) });
  let done = 0;
  const pool: Worker[] = [];
  try {
    await new Promise<void>((resolve, reject) => {
      let next = 0;
      let active = 0;
      let failed = false;
      const feed = (w: Worker): void => {
        if (failed) return;
        if (next < tasks.length) {
          active++;
          w.postMessage(tasks[next++]);
        } else if (active === 0) resolve();
      };
      for (let k = 0; k < workers; k++) {
        const w = new Worker(boot, { eval: true, workerData: { cfg, split, pixels: shared } });
        pool.push(w);
        w.on('message', (m: { ok: boolean; start: number; labels?: SyntheticLabel[]; error?: string }) => {
          active--;
          if (!m.ok) {
            failed = true;
            reject(new Error(`synthetic ${split}: worker failed on samples from ${m.start}: ${m.error}`));
            return;
          }
          m.labels!.forEach((l, j) => (labels[m.start + j] = l));
          done += m.labels!.length;
          opts.onProgress?.(done, count);
          feed(w);
          if (next >= tasks.length && active === 0) resolve();
        });
        w.on('error', (e) => {
          failed = true;
          reject(new Error(`synthetic ${split}: worker crashed: ${e.message}`));
        });
        w.on('exit', (code) => {
          if (code !== 0 && !failed && done < count) {
            failed = true;
            reject(new Error(`synthetic ${split}: worker exited with code ${code}`));
          }
        });
        feed(w);
      }
    });
  } finally {
    await Promise.all(pool.map((w) => w.terminate()));
  }
  return { pixels: new Uint8Array(shared), labels };
}
