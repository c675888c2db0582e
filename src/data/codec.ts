/**
 * The heatmap codec: encoder (landmarks in crop pixels -> training targets) and decoder (heatmaps -> landmarks in crop
 * pixels) in ONE object, as mmpose does, so the coordinate conventions of both halves cannot drift apart.
 *
 * A codec is one label convention (`consistent` or `official`, src/data/codec-conventions.ts) plus what every
 * convention shares: the separable Gaussian point maps, the AAM edge maps (src/data/edge-maps.ts) and the decoders
 * (src/geometry/decode.ts), whose grid coordinates the convention maps back to crop pixels.
 * Layout: heatmaps [H, W, N] (NHWC without the batch), batches [B, H, W, N]; landmarks flat [N*2] or [B, N, 2].
 */
import * as tf from '@tensorflow/tfjs-core';
import { cropPixelToHeatmapPixel } from '../geometry/coords';
import { decodeHeatmapsHost, softArgmax, type DecodeMethod } from '../geometry/decode';
import {
  consistentConvention, DEFAULT_SIGMA, officialConvention, type CodecConvention, type PointConvention,
} from './codec-conventions';
import { drawEdgeMaps } from './edge-maps';
import type { LandmarkScheme } from './schemes';

export interface CodecOptions {
  /** Model input (crop) side S in pixels. Default 256. */
  inputSize?: number;
  /** Heatmap side H (= W). Default inputSize / 4 (the hourglass output stride). */
  heatmapSize?: number;
  /** Default 'consistent'. */
  convention?: CodecConvention;
  /** Point-map Gaussian σ: heatmap px for 'consistent' (default 1.0), crop px for 'official' (default 1.5 = official). */
  sigma?: number;
  /** Also encode boundary (edge) maps, one per scheme edge group (the AAM heads' targets). Default false. */
  edgeMaps?: boolean;
  /** Edge-map line σ in heatmap px. Default 1.0. */
  edgeSigma?: number;
  /** Decoder used by `decode`. Default 'soft-argmax' (official). The tensor decoder is always soft-argmax. */
  decode?: DecodeMethod;
  /**
   * Clamp loss targets to [-1, 1] (official: labels of points pushed out of the crop by augmentation sit on the
   * border; a soft-argmax mean can never leave [-1, 1] anyway). Default true. Only 'consistent' can turn it off.
   */
  clampTargets?: boolean;
}

export interface Encoded {
  /** [H, W, N] point maps, peak 1 per visible landmark, zeros for invisible ones. */
  heatmaps: Float32Array;
  /** [N, 2] loss targets on the STAR grid ([-1, 1] at the heatmap's first/last pixel centres for 'consistent'). */
  targets: Float32Array;
  /** [H, W, E] edge maps (when `edgeMaps`). */
  edgemaps?: Float32Array;
}

export interface HeatmapCodec {
  readonly options: Required<CodecOptions>;
  readonly numPoints: number;
  readonly numEdges: number;
  /** Landmarks (crop px, flat [N*2]) -> targets. `out` buffers let the loader write straight into a batch. */
  encode(landmarks: ArrayLike<number>, visible?: ArrayLike<number>, out?: { heatmaps?: Float32Array; targets?: Float32Array; edgemaps?: Float32Array }, what?: { heatmaps?: boolean; edgemaps?: boolean }): Encoded;
  /** Only the loss targets [N, 2] (cheap). */
  encodeTargets(landmarks: ArrayLike<number>, out?: Float32Array): Float32Array;
  /** Loss target (grid) -> crop px, inverse of encodeTargets within the convention. */
  targetToCrop(g: number): number;
  /** Heatmaps [B, H, W, N] (B = length / (H·W·N)) -> landmarks [B, N, 2] in crop px. */
  decode(heatmaps: Float32Array, method?: DecodeMethod): Float32Array;
  /** On-device soft-argmax: [B, H, W, N] tensor -> [B, N, 2] crop px tensor (download once). */
  decodeTensor(heatmaps: tf.Tensor4D): tf.Tensor3D;
}

export function createCodec(scheme: LandmarkScheme, options: CodecOptions = {}): HeatmapCodec {
  const S = options.inputSize ?? 256;
  const H = options.heatmapSize ?? S / 4;
  const convention = options.convention ?? 'consistent';
  if (convention !== 'consistent' && convention !== 'official') throw new Error(`codec: convention must be 'consistent' or 'official', got ${JSON.stringify(convention)}`);
  if (!Number.isInteger(S) || S < 2) throw new Error(`codec: inputSize must be an integer >= 2, got ${S}`);
  if (!Number.isInteger(H) || H < 2 || H > S) throw new Error(`codec: heatmapSize must be an integer in [2, inputSize], got ${H}`);
  const opts: Required<CodecOptions> = {
    inputSize: S, heatmapSize: H, convention,
    sigma: options.sigma ?? DEFAULT_SIGMA[convention],
    edgeMaps: options.edgeMaps ?? false,
    edgeSigma: options.edgeSigma ?? 1.0,
    decode: options.decode ?? 'soft-argmax',
    clampTargets: options.clampTargets ?? true,
  };
  if (!(opts.sigma > 0) || !(opts.edgeSigma > 0)) throw new Error(`codec: sigma and edgeSigma must be > 0, got ${opts.sigma}, ${opts.edgeSigma}`);
  const conv: PointConvention = convention === 'consistent'
    ? consistentConvention(S, H, opts.sigma, opts.clampTargets)
    : officialConvention(S, H, opts.sigma);
  const N = scheme.numPoints;
  const E = scheme.edges.length;
  const gx = new Float64Array(H);
  const gy = new Float64Array(H);
  // Both conventions map grid -> crop px affinely; the tensor decoder applies that map on device.
  const a0 = conv.toCrop(0), a1 = conv.toCrop(1) - a0;

  const checkLm = (lm: ArrayLike<number>, what: string): void => {
    if (lm.length !== 2 * N) throw new Error(`codec.${what}: landmarks have ${lm.length} values, expected ${2 * N} (scheme ${scheme.name}, flat [N*2])`);
  };

  const encodeTargets = (lm: ArrayLike<number>, out = new Float32Array(2 * N)): Float32Array => {
    checkLm(lm, 'encodeTargets');
    for (let i = 0; i < 2 * N; i++) {
      if (!Number.isFinite(lm[i])) throw new Error(`codec.encodeTargets: landmark ${i >> 1} ${i & 1 ? 'y' : 'x'} is ${lm[i]}`);
      out[i] = conv.toTarget(lm[i]);
    }
    return out;
  };

  const encode: HeatmapCodec['encode'] = (lm, vis, out = {}, what = {}) => {
    const targets = encodeTargets(lm, out.targets);
    if (vis && vis.length !== N) throw new Error(`codec.encode: visible has ${vis.length} entries, expected ${N}`);
    const result: Encoded = { targets, heatmaps: new Float32Array(0) };
    if (what.heatmaps ?? true) {
      const hm = out.heatmaps ?? new Float32Array(H * H * N);
      if (hm.length !== H * H * N) throw new Error(`codec.encode: heatmap buffer has ${hm.length} values, expected ${H}x${H}x${N}`);
      for (let n = 0; n < N; n++) {
        if (vis && !(vis[n] > 0)) {
          for (let p = 0; p < H * H; p++) hm[p * N + n] = 0;
          continue;
        }
        conv.profile(lm[2 * n], gx);
        conv.profile(lm[2 * n + 1], gy);
        for (let y = 0; y < H; y++) {
          const row = y * H;
          for (let x = 0; x < H; x++) hm[(row + x) * N + n] = gy[y] * gx[x];
        }
      }
      result.heatmaps = hm;
    }
    if (opts.edgeMaps && (what.edgemaps ?? true)) {
      const em = out.edgemaps ?? new Float32Array(H * H * E);
      // Edge maps live on the heatmap's own pixel grid in every convention.
      const points = Float64Array.from(lm, (x) => cropPixelToHeatmapPixel(x, S, H));
      drawEdgeMaps(scheme.edges, points, vis, H, opts.edgeSigma, em);
      result.edgemaps = em;
    }
    return result;
  };

  const decode = (hm: Float32Array, method: DecodeMethod = opts.decode): Float32Array =>
    Float32Array.from(decodeHeatmapsHost(hm, H, H, N, method, 'codec.decode'), conv.toCrop);

  const decodeTensor = (heatmaps: tf.Tensor4D): tf.Tensor3D => {
    const [, h, w, n] = heatmaps.shape;
    if (heatmaps.rank !== 4 || h !== H || w !== H || n !== N) {
      throw new Error(`codec.decodeTensor: expected [B, ${H}, ${H}, ${N}], got [${heatmaps.shape.join(', ')}]`);
    }
    return tf.tidy(() => tf.add(tf.mul(softArgmax(heatmaps), a1), a0) as tf.Tensor3D);
  };

  return { options: opts, numPoints: N, numEdges: E, encode, encodeTargets, targetToCrop: conv.toCrop, decode, decodeTensor };
}
