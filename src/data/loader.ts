/**
 * Batch loader: FaceDataset -> async iterator of training batches, prepared OFF the training thread.
 *
 *   const loader = createLoader(dataset, { codec, batchSize: 8, seed: 1, workers: 2 });
 *   for await (const b of loader.epoch(0)) { ... b.images [B,S,S,3], b.targets [B,N,2], b.visible [B,N] ... }
 *   await loader.close();
 *
 * - An epoch is a seeded permutation of the dataset (shuffle: false keeps file order); batch k holds positions
 *   [kB, (k+1)B). Each sample's augmentation is seeded by (seed, epoch, dataset index), so batches are bitwise identical
 *   for any worker count, prefetch depth or timing.
 * - Workers (worker_threads, default 1; 0 = prepare on the calling thread) get the dataset once: in-memory pixels as
 *   views of SharedArrayBuffers (a sample whose `pixels.data` already lives in one is not copied; others are packed
 *   into one shared buffer once), real data as image paths decoded in the worker (small LRU cache).
 * - `prefetch` batches are requested ahead (default 2 per worker) and handed out in order.
 * - Workers are unref'd while idle, so a forgotten loader never keeps the process alive; close() terminates them.
 */
import { Worker } from 'worker_threads';
import * as fs from 'fs';
import * as path from 'path';
import type { FaceDataset } from './dataset';
import type { HeatmapCodec } from './codec';
import { augmentConfig, sampleRng, type AugmentConfig } from './augment';
import { BatchAssembler, type Batch, type WorkerInit, type WorkerSample } from './loader-core';

export type { Batch } from './loader-core';

export interface LoaderOptions {
  codec: HeatmapCodec;
  batchSize: number;
  seed: number;
  /** Augmentation; default the official one. Pass NO_AUGMENT (or {enabled: false}) for evaluation. */
  augment?: Partial<AugmentConfig>;
  /** Also produce [B,H,W,N] point maps. Default false (the STAR loss needs only targets). */
  heatmaps?: boolean;
  /** Also produce [B,H,W,E] boundary maps for the AAM heads (codec must have edgeMaps: true). Default false. */
  edgemaps?: boolean;
  /** Worker threads. Default 1; 0 = same thread. */
  workers?: number;
  /** Batches in flight. Default 2 per worker (2 when workers = 0 has no effect). */
  prefetch?: number;
  /** Default true. */
  shuffle?: boolean;
  /** Drop the last incomplete batch. Default true when shuffling (training), false otherwise. */
  dropLast?: boolean;
  /** Decoded images cached per worker (real data). Default 32. */
  imageCacheSize?: number;
}

export interface BatchLoader {
  readonly batchesPerEpoch: number;
  /** The dataset order of an epoch (seeded permutation). */
  order(epoch: number): number[];
  epoch(epoch: number): AsyncGenerator<Batch & { epoch: number; batchIndex: number }>;
  close(): Promise<void>;
}

/** Fisher-Yates with the per-epoch PRNG (index -1 keeps it apart from the per-sample streams). */
function permutation(n: number, seed: number, epoch: number): number[] {
  const r = sampleRng(seed, epoch, -1);
  const p = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [p[i], p[j]] = [p[j], p[i]];
  }
  return p;
}

/** Pack the dataset for workers: shared pixel views or paths. */
function packSamples(ds: FaceDataset): WorkerSample[] {
  const samples = Array.from({ length: ds.length }, (_, i) => ds.get(i));
  let needed = 0;
  samples.forEach((s, i) => {
    if (s.pixels) {
      const { data, width, height } = s.pixels;
      if (data.length !== width * height * 3) throw new Error(`loader: sample ${i} (${s.id}): pixels have ${data.length} bytes, expected ${width}x${height}x3`);
      if (!(data.buffer instanceof SharedArrayBuffer)) needed += data.length;
    } else if (!s.imagePath) {
      throw new Error(`loader: sample ${i} (${s.source ?? s.id}) has neither pixels nor imagePath`);
    }
    if (s.landmarks.length !== ds.scheme.numPoints) throw new Error(`loader: sample ${i} (${s.source ?? s.id}) has ${s.landmarks.length} landmarks, scheme ${ds.scheme.name} has ${ds.scheme.numPoints}`);
  });
  const sab = needed > 0 ? new SharedArrayBuffer(needed) : undefined;
  let off = 0;
  return samples.map((s) => {
    const { pixels, ...meta } = s;
    if (!pixels) return { sample: meta, pixels: { path: s.imagePath! } };
    const { data, width, height } = pixels;
    if (data.buffer instanceof SharedArrayBuffer) return { sample: meta, pixels: { sab: data.buffer, byteOffset: data.byteOffset, width, height } };
    new Uint8Array(sab!, off, data.length).set(data);
    const ref = { sab: sab!, byteOffset: off, width, height };
    off += data.length;
    return { sample: meta, pixels: ref };
  });
}

/** How to start the worker file: compiled .js beside us, or the .ts through tsx's CommonJS hook. */
function workerSource(): string {
  const js = path.join(__dirname, 'loader-worker.js');
  if (fs.existsSync(js)) return `require(${JSON.stringify(js)});`;
  const ts = path.join(__dirname, 'loader-worker.ts');
  return `require(${JSON.stringify(require.resolve('tsx/cjs'))}); require(${JSON.stringify(ts)});`;
}

interface Pending { resolve: (b: Batch) => void; reject: (e: Error) => void }

class WorkerHandle {
  readonly worker: Worker;
  private pending = new Map<number, Pending>();
  private failed?: Error;

  constructor(init: WorkerInit) {
    this.worker = new Worker(workerSource(), { eval: true });
    this.worker.on('message', (m: { type: string; id: number; batch?: Batch; message?: string }) => {
      const p = this.pending.get(m.id);
      if (!p) return;
      this.pending.delete(m.id);
      if (this.pending.size === 0) this.worker.unref();
      if (m.type === 'batch') p.resolve(m.batch!);
      else p.reject(new Error(`loader worker: ${m.message}`));
    });
    const fail = (e: Error) => {
      this.failed = e;
      for (const p of this.pending.values()) p.reject(e);
      this.pending.clear();
    };
    this.worker.on('error', fail);
    this.worker.on('exit', (code) => { if (code !== 0) fail(new Error(`loader worker exited with code ${code}`)); });
    this.worker.postMessage(init);
    this.worker.unref();
  }

  request(id: number, epoch: number, indices: number[]): Promise<Batch> {
    if (this.failed) return Promise.reject(this.failed);
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.worker.ref();
      this.worker.postMessage({ type: 'batch', id, epoch, indices });
    });
  }

  async close(): Promise<void> {
    for (const p of this.pending.values()) p.reject(new Error('loader closed'));
    this.pending.clear();
    await this.worker.terminate();
  }
}

export function createLoader(dataset: FaceDataset, opts: LoaderOptions): BatchLoader {
  const B = opts.batchSize;
  if (!Number.isInteger(B) || B < 1) throw new Error(`loader: batchSize must be a positive integer, got ${B}`);
  if (opts.codec.numPoints !== dataset.scheme.numPoints) throw new Error(`loader: codec has ${opts.codec.numPoints} points, dataset ${dataset.name} (${dataset.scheme.name}) has ${dataset.scheme.numPoints}`);
  if (opts.edgemaps && !opts.codec.options.edgeMaps) throw new Error('loader: edgemaps requested but the codec was created without edgeMaps: true');
  if (dataset.length === 0) throw new Error(`loader: dataset ${dataset.name} is empty`);
  const nWorkers = opts.workers ?? 1;
  if (!Number.isInteger(nWorkers) || nWorkers < 0) throw new Error(`loader: workers must be an integer >= 0, got ${nWorkers}`);
  const shuffle = opts.shuffle ?? true;
  const dropLast = opts.dropLast ?? shuffle;
  const prefetch = Math.max(1, opts.prefetch ?? 2 * Math.max(1, nWorkers));
  const n = dataset.length;
  const batchesPerEpoch = dropLast ? Math.floor(n / B) : Math.ceil(n / B);
  if (batchesPerEpoch === 0) throw new Error(`loader: dataset ${dataset.name} has ${n} samples, fewer than one batch of ${B} (set dropLast: false)`);
  const init: WorkerInit = {
    type: 'init', scheme: dataset.scheme, codec: opts.codec.options, augment: augmentConfig(opts.augment),
    seed: opts.seed, heatmaps: opts.heatmaps ?? false, edgemaps: opts.edgemaps ?? false, imageCacheSize: opts.imageCacheSize ?? 32, samples: packSamples(dataset),
  };
  const workers = Array.from({ length: nWorkers }, () => new WorkerHandle(init));
  const local = nWorkers === 0 ? new BatchAssembler(init) : undefined;
  let nextId = 0;
  let closed = false;

  const order = (epoch: number) => (shuffle ? permutation(n, opts.seed, epoch) : Array.from({ length: n }, (_, i) => i));

  async function* epoch(e: number): AsyncGenerator<Batch & { epoch: number; batchIndex: number }> {
    if (closed) throw new Error('loader: closed');
    const perm = order(e);
    const request = (k: number): Promise<Batch> => {
      const idx = perm.slice(k * B, Math.min(n, (k + 1) * B));
      return local ? local.assemble(e, idx) : workers[k % nWorkers].request(nextId++, e, idx);
    };
    const inflight: Promise<Batch>[] = [];
    let sent = 0;
    try {
      for (let k = 0; k < batchesPerEpoch; k++) {
        while (sent < batchesPerEpoch && sent < k + (local ? 1 : prefetch)) inflight.push(request(sent++));
        const b = await inflight.shift()!;
        yield { ...b, epoch: e, batchIndex: k };
      }
    } finally {
      // Early exit: let in-flight requests settle quietly (their results are dropped).
      for (const p of inflight) p.catch(() => {});
    }
  }

  return {
    batchesPerEpoch,
    order,
    epoch,
    async close() {
      closed = true;
      await Promise.all(workers.map((w) => w.close()));
    },
  };
}
