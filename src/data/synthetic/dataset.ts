/**
 * syntheticDataset(config, split): the project's embedded default dataset. Generates a split (worker pool) or loads
 * it from data/cache/synthetic-<hash of the full config>/ (<split>.rgb: raw uint8 RGB, <split>.json: labels).
 * Writes are atomic (tmp file + rename), so an interrupted run never leaves a half cache behind.
 *
 * Labels: for every split `Sample.landmarks` are the noisy, annotator-like labels (drawn once per sample);
 * `cleanLandmarks` hold the exact truth (evaluate test sets against these) and `tangents` the curve directions.
 */
import * as fs from 'fs';
import * as path from 'path';
import type { FaceDataset } from '../dataset';
import type { Sample } from '../sample';
import { WFLW98 } from '../schemes';
import { PROJECT_ROOT } from '../../config/profile';
import { formatDuration } from '../../util/duration';
import {
  GENERATOR_VERSION, describeConfig, resolveSyntheticConfig, syntheticConfigHash, SPLITS,
  type Split, type SyntheticConfig, type SyntheticConfigInput,
} from './config';
import { generateSplit, type GenerateOptions } from './pool';
import type { SyntheticLabel } from './generate';

export interface SyntheticDatasetOptions extends GenerateOptions {
  /** Cache root. Default <project>/data/cache. */
  cacheRoot?: string;
  /** Read/write the cache. Default true. */
  cache?: boolean;
  /** Print progress with an ETA to stderr (default: when the split has >= 1000 samples). */
  progress?: boolean;
}

export function syntheticCacheDir(cfg: SyntheticConfig, cacheRoot = path.join(PROJECT_ROOT, 'data', 'cache')): string {
  return path.join(cacheRoot, `synthetic-${syntheticConfigHash(cfg)}`);
}

function writeAtomic(file: string, data: Uint8Array | string): void {
  const tmp = `${file}.tmp-${process.pid}-${Date.now()}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

interface LabelFile {
  generatorVersion: number;
  hash: string;
  split: Split;
  imageSize: number;
  count: number;
  labels: SyntheticLabel[];
}

function toSamples(cfg: SyntheticConfig, split: Split, pixels: Uint8Array, labels: SyntheticLabel[], hash: string): Sample[] {
  const S = cfg.imageSize;
  const bytes = S * S * 3;
  return labels.map((l, i) => ({
    id: `synthetic-${hash}/${split}/${i}`,
    source: `synthetic-${hash}/${split}.json[${i}]`,
    pixels: { data: pixels.subarray(i * bytes, (i + 1) * bytes), width: S, height: S, channels: 3 },
    scheme: WFLW98.name,
    landmarks: l.landmarks,
    cleanLandmarks: l.cleanLandmarks,
    tangents: l.tangents,
    meta: l.meta,
    box: l.box,
    attributes: l.attributes,
  }));
}

/** Load one split from the cache; null when absent. Inconsistent files raise an error naming the file. */
export function loadCachedSplit(cfg: SyntheticConfig, split: Split, cacheRoot?: string): { pixels: Uint8Array; labels: SyntheticLabel[] } | null {
  const dir = syntheticCacheDir(cfg, cacheRoot);
  const jf = path.join(dir, `${split}.json`), rf = path.join(dir, `${split}.rgb`);
  if (!fs.existsSync(jf) || !fs.existsSync(rf)) return null;
  const meta = JSON.parse(fs.readFileSync(jf, 'utf8')) as LabelFile;
  const S = cfg.imageSize;
  if (meta.generatorVersion !== GENERATOR_VERSION || meta.hash !== syntheticConfigHash(cfg) || meta.count !== cfg.counts[split] || meta.imageSize !== S) {
    throw new Error(`${jf}: header does not match the config (version ${meta.generatorVersion}, hash ${meta.hash}, count ${meta.count}); delete ${dir}`);
  }
  const buf = fs.readFileSync(rf);
  if (buf.length !== meta.count * S * S * 3) throw new Error(`${rf}: ${buf.length} bytes, expected ${meta.count} x ${S} x ${S} x 3 = ${meta.count * S * S * 3}; delete ${dir}`);
  return { pixels: new Uint8Array(buf.buffer, buf.byteOffset, buf.length), labels: meta.labels };
}

/** Generate (or load from the cache) one split of the synthetic benchmark as a FaceDataset. */
export async function syntheticDataset(config: SyntheticConfigInput | SyntheticConfig, split: Split, opts: SyntheticDatasetOptions = {}): Promise<FaceDataset> {
  if (!SPLITS.includes(split)) throw new Error(`syntheticDataset: split "${split}" is not one of ${SPLITS.join(', ')}`);
  const cfg = resolveSyntheticConfig(config);
  const hash = syntheticConfigHash(cfg);
  const useCache = opts.cache ?? true;
  const dir = syntheticCacheDir(cfg, opts.cacheRoot);
  let data = useCache ? loadCachedSplit(cfg, split, opts.cacheRoot) : null;
  if (!data) {
    const count = cfg.counts[split];
    const progress = opts.progress ?? count >= 1000;
    const t0 = Date.now();
    let last = 0;
    data = await generateSplit(cfg, split, {
      ...opts,
      onProgress: (done, total) => {
        opts.onProgress?.(done, total);
        if (progress && (Date.now() - last > 5000 || done === total)) {
          last = Date.now();
          const s = (Date.now() - t0) / 1000;
          const left = done === total ? 'done' : `ETA ${formatDuration((s / done) * (total - done))}`;
          process.stderr.write(`synthetic ${split}: ${done}/${total} faces generated, ${formatDuration(s)}, ${left}\n`);
        }
      },
    });
    if (useCache) {
      fs.mkdirSync(dir, { recursive: true });
      writeAtomic(path.join(dir, 'config.json'), JSON.stringify({ generatorVersion: GENERATOR_VERSION, hash, config: cfg }, null, 2));
      writeAtomic(path.join(dir, `${split}.rgb`), data.pixels);
      const file: LabelFile = { generatorVersion: GENERATOR_VERSION, hash, split, imageSize: cfg.imageSize, count, labels: data.labels };
      writeAtomic(path.join(dir, `${split}.json`), JSON.stringify(file));
    }
  }
  const samples = toSamples(cfg, split, data.pixels, data.labels, hash);
  return { name: `${describeConfig(cfg)}/${split}`, scheme: WFLW98, length: samples.length, get: (i) => samples[i] };
}
