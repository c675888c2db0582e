/**
 * The part of the batch loader shared by the main thread and the workers: how a batch is assembled from dataset
 * indices. Kept free of worker_threads so the in-thread path (workers: 0) runs exactly the same code.
 */
import type { Sample } from './sample';
import type { LandmarkScheme } from './schemes';
import { flipPermutation } from './schemes';
import { createCodec, type CodecOptions, type HeatmapCodec } from './codec';
import type { AugmentConfig } from './augment';
import { loadImage, type RawImage } from './image';
import { prepareSample } from './prepare';

/** Where a sample's pixels live: a view into a SharedArrayBuffer (no copy per worker) or a path to decode. */
export type PixelRef = { sab: SharedArrayBuffer; byteOffset: number; width: number; height: number } | { path: string };

export interface WorkerSample { sample: Omit<Sample, 'pixels'>; pixels: PixelRef }

export interface WorkerInit {
  type: 'init';
  scheme: LandmarkScheme;
  codec: Required<CodecOptions>;
  augment: AugmentConfig;
  seed: number;
  heatmaps: boolean;
  edgemaps: boolean;
  imageCacheSize: number;
  samples: WorkerSample[];
}

export interface BatchRequest { type: 'batch'; id: number; epoch: number; indices: number[] }

export interface Batch {
  /** [B, S, S, 3] RGB normalised to [-1, 1]. */
  images: Float32Array;
  /** [B, H, W, N] point maps (when the loader was asked for heatmaps). */
  heatmaps?: Float32Array;
  /** [B, H, W, E] boundary maps (when asked for edgemaps). */
  edgemaps?: Float32Array;
  /** [B, N, 2] loss targets on the STAR grid (codec convention). */
  targets: Float32Array;
  /** [B, N] landmark weights. */
  visible: Float32Array;
  /** [B] dataset indices. */
  indices: Int32Array;
  size: number;
}

export class BatchAssembler {
  private readonly codec: HeatmapCodec;
  private readonly flipPerm: number[];
  private readonly cache = new Map<string, Promise<RawImage>>();

  constructor(private readonly init: WorkerInit) {
    this.codec = createCodec(init.scheme, init.codec);
    this.flipPerm = flipPermutation(init.scheme);
  }

  private image(i: number): Promise<RawImage> | RawImage {
    const ref = this.init.samples[i].pixels;
    if ('sab' in ref) return { data: new Uint8Array(ref.sab, ref.byteOffset, ref.width * ref.height * 3), width: ref.width, height: ref.height, channels: 3 };
    let p = this.cache.get(ref.path);
    if (!p) {
      p = loadImage(ref.path);
      this.cache.set(ref.path, p);
      if (this.cache.size > this.init.imageCacheSize) this.cache.delete(this.cache.keys().next().value as string);
    } else {
      this.cache.delete(ref.path); // LRU: move to the back
      this.cache.set(ref.path, p);
    }
    return p;
  }

  async assemble(epoch: number, indices: number[]): Promise<Batch> {
    const { inputSize: S, heatmapSize: H } = this.codec.options;
    const N = this.codec.numPoints, B = indices.length;
    const images = new Float32Array(B * S * S * 3);
    const targets = new Float32Array(B * N * 2);
    const visible = new Float32Array(B * N);
    const heatmaps = this.init.heatmaps ? new Float32Array(B * H * H * N) : undefined;
    const E = this.codec.numEdges;
    const edgemaps = this.init.edgemaps ? new Float32Array(B * H * H * E) : undefined;
    const imgs = await Promise.all(indices.map((i) => this.image(i)));
    indices.forEach((idx, b) => {
      const s = this.init.samples[idx].sample as Sample;
      prepareSample(s, imgs[b], idx, {
        codec: this.codec, augment: this.init.augment, flipPerm: this.flipPerm, seed: this.init.seed, epoch, heatmaps: this.init.heatmaps, edgemaps: this.init.edgemaps,
      }, {
        image: images.subarray(b * S * S * 3, (b + 1) * S * S * 3),
        targets: targets.subarray(b * N * 2, (b + 1) * N * 2),
        visible: visible.subarray(b * N, (b + 1) * N),
        heatmaps: heatmaps?.subarray(b * H * H * N, (b + 1) * H * H * N),
        edgemaps: edgemaps?.subarray(b * H * H * E, (b + 1) * H * H * E),
      });
    });
    return { images, heatmaps, edgemaps, targets, visible, indices: Int32Array.from(indices), size: B };
  }
}
