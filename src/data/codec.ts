/**
 * The heatmap codec: encoder (landmarks in crop pixels -> training targets) and decoder (heatmaps -> landmarks in crop
 * pixels) in ONE object, as mmpose does, so the coordinate conventions of both halves cannot drift apart.
 *
 * Two named conventions (see src/geometry/coords.ts):
 * - `consistent` (default): Gaussians are evaluated exactly (sub-pixel centres) on the heatmap's own pixel grid, with
 *   crop and heatmap pixel centres aligned (`u = (x+0.5)·H/S - 0.5`); the loss target is that same position on the STAR
 *   grid. Encode -> soft-argmax decode returns the landmark (measured < 0.01 crop px at σ >= 1 heatmap px, away from
 *   the border: within ~4σ of the border the cut Gaussian pulls soft-argmax inwards). σ is in HEATMAP pixels.
 * - `official`: parity with the official STAR code. Point maps: an unnormalised Gaussian (peak 1, σ = 1.5 crop px) drawn
 *   on the S×S crop at the integer-TRUNCATED position `int(x), int(y)`, then bilinearly down-sampled (pixel-centre
 *   aligned, cv2 INTER_LINEAR style) to H×W. Labels `(2x+1)/S - 1` on the crop, clamped to [-1, 1]. Decode: soft-argmax
 *   on the `_make_grid` grid, then `((p+1)·S - 1)/2` (evaluate.py). σ is in CROP pixels. Its round trip is biased
 *   (truncation ≈ -0.5 px plus a grid mismatch that grows to ±2 px towards the crop border at S=256, H=64):
 *   measured mean -0.51 px, rms 1.13 px per axis; on the 1,966 WFLW test faces the round trip alone costs
 *   1.40 % inter-ocular NME at S=256 (2.84 % at S=128). A model trained on these point maps and decoded the official
 *   way inherits that floor; STAR-trained models do not (their soft-argmax mean is fitted to the labels, which
 *   `officialLabelToCropPixel` inverts exactly).
 * Decoders: soft-argmax WITHOUT softmax, `Σ(grid·h)/clamp(Σh, 1e-6)` (official decoder_default), or argmax with
 * sub-pixel refinement (a parabola through the log of the peak and its two neighbours per axis: exact for a Gaussian).
 * Layout: heatmaps [H, W, N] (NHWC without the batch), batches [B, H, W, N]; landmarks flat [N*2] or [B, N, 2].
 */
import * as tf from '@tensorflow/tfjs-core';
import {
  cropPixelToGrid, cropPixelToHeatmapPixel, cropPixelToOfficialLabel, gridAxis, gridToCropPixel, officialLabelToCropPixel,
} from '../geometry/coords';
import type { LandmarkScheme } from './schemes';

export type CodecConvention = 'consistent' | 'official';
export type DecodeMethod = 'soft-argmax' | 'argmax-subpixel';

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
    sigma: options.sigma ?? (convention === 'official' ? 1.5 : 1.0),
    edgeMaps: options.edgeMaps ?? false,
    edgeSigma: options.edgeSigma ?? 1.0,
    decode: options.decode ?? 'soft-argmax',
    clampTargets: options.clampTargets ?? true,
  };
  if (!(opts.sigma > 0) || !(opts.edgeSigma > 0)) throw new Error(`codec: sigma and edgeSigma must be > 0, got ${opts.sigma}, ${opts.edgeSigma}`);
  const N = scheme.numPoints;
  const E = scheme.edges.length;
  const grid = gridAxis(H);
  const gx = new Float64Array(H);
  const gy = new Float64Array(H);

  const checkLm = (lm: ArrayLike<number>, what: string): void => {
    if (lm.length !== 2 * N) throw new Error(`codec.${what}: landmarks have ${lm.length} values, expected ${2 * N} (scheme ${scheme.name}, flat [N*2])`);
  };
  const clamp = (g: number) => (opts.clampTargets ? Math.min(1, Math.max(-1, g)) : g);
  const toTarget = convention === 'consistent' ? (x: number) => clamp(cropPixelToGrid(x, S, H)) : (x: number) => cropPixelToOfficialLabel(x, S);
  const targetToCrop = convention === 'consistent' ? (g: number) => gridToCropPixel(g, S, H) : (g: number) => officialLabelToCropPixel(g, S);
  // Affine grid -> crop px (both conventions are affine), used by the tensor decoder.
  const a0 = targetToCrop(0), a1 = targetToCrop(1) - a0;

  /** 1-D profile of the point map along one axis for a landmark coordinate x (crop px). */
  const profile = (x: number, out: Float64Array): void => {
    if (convention === 'consistent') {
      const u = cropPixelToHeatmapPixel(x, S, H);
      const k = -1 / (2 * opts.sigma * opts.sigma);
      for (let j = 0; j < H; j++) out[j] = Math.exp(k * (j - u) * (j - u));
    } else {
      const c = Math.trunc(x); // official: int() of the crop position
      const k = -1 / (2 * opts.sigma * opts.sigma);
      const g = (t: number) => Math.exp(k * (t - c) * (t - c));
      const f = S / H;
      for (let j = 0; j < H; j++) {
        // Pixel-centre aligned bilinear down-sampling of the S-px map, clamped at the border (cv2 INTER_LINEAR).
        const src = Math.min(S - 1, Math.max(0, (j + 0.5) * f - 0.5));
        const i0 = Math.floor(src), w = src - i0, i1 = Math.min(S - 1, i0 + 1);
        out[j] = (1 - w) * g(i0) + w * g(i1);
      }
    }
  };

  const encodeTargets = (lm: ArrayLike<number>, out = new Float32Array(2 * N)): Float32Array => {
    checkLm(lm, 'encodeTargets');
    for (let i = 0; i < 2 * N; i++) {
      if (!Number.isFinite(lm[i])) throw new Error(`codec.encodeTargets: landmark ${i >> 1} ${i & 1 ? 'y' : 'x'} is ${lm[i]}`);
      out[i] = toTarget(lm[i]);
    }
    return out;
  };

  const drawEdges = (lm: ArrayLike<number>, vis: ArrayLike<number> | undefined, out: Float32Array): void => {
    out.fill(0);
    const s2 = 2 * opts.edgeSigma * opts.edgeSigma;
    const r = 3 * opts.edgeSigma;
    scheme.edges.forEach((edge, e) => {
      const pts = edge.points.filter((p) => !vis || vis[p] > 0).map((p) => [cropPixelToHeatmapPixel(lm[2 * p], S, H), cropPixelToHeatmapPixel(lm[2 * p + 1], S, H)]);
      if (pts.length < 2) return;
      const poly = catmullRom(pts, edge.closed && pts.length > 2, 5);
      for (let s = 0; s + 1 < poly.length; s++) {
        const [ax, ay] = poly[s], [bx, by] = poly[s + 1];
        const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r)), x1 = Math.min(H - 1, Math.ceil(Math.max(ax, bx) + r));
        const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r)), y1 = Math.min(H - 1, Math.ceil(Math.max(ay, by) + r));
        const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy || 1e-12;
        for (let y = y0; y <= y1; y++) {
          for (let x = x0; x <= x1; x++) {
            const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / len2));
            const ex = x - ax - t * dx, ey = y - ay - t * dy;
            const v = Math.exp(-(ex * ex + ey * ey) / s2);
            const o = (y * H + x) * E + e;
            if (v > out[o]) out[o] = v;
          }
        }
      }
    });
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
        profile(lm[2 * n], gx);
        profile(lm[2 * n + 1], gy);
        for (let y = 0; y < H; y++) {
          const row = y * H;
          for (let x = 0; x < H; x++) hm[(row + x) * N + n] = gy[y] * gx[x];
        }
      }
      result.heatmaps = hm;
    }
    if (opts.edgeMaps && (what.edgemaps ?? true)) {
      const em = out.edgemaps ?? new Float32Array(H * H * E);
      drawEdges(lm, vis, em);
      result.edgemaps = em;
    }
    return result;
  };

  const decode = (hm: Float32Array, method: DecodeMethod = opts.decode): Float32Array => {
    const per = H * H * N;
    if (hm.length === 0 || hm.length % per !== 0) throw new Error(`codec.decode: ${hm.length} values is not a multiple of H·W·N = ${H}·${H}·${N}`);
    const B = hm.length / per;
    const out = new Float32Array(B * N * 2);
    for (let b = 0; b < B; b++) {
      const base = b * per;
      for (let n = 0; n < N; n++) {
        let gxOut: number, gyOut: number;
        if (method === 'soft-argmax') {
          let s = 0, sx = 0, sy = 0;
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < H; x++) {
              const v = hm[base + (y * H + x) * N + n];
              s += v; sx += v * grid[x]; sy += v * grid[y];
            }
          }
          const d = Math.max(s, 1e-6);
          gxOut = sx / d; gyOut = sy / d;
        } else {
          let best = -Infinity, bx = 0, by = 0;
          for (let y = 0; y < H; y++) {
            for (let x = 0; x < H; x++) {
              const v = hm[base + (y * H + x) * N + n];
              if (v > best) { best = v; bx = x; by = y; }
            }
          }
          const at = (x: number, y: number) => hm[base + (y * H + x) * N + n];
          const refine = (m: number, c: number, p: number): number => {
            // Parabola through log values (exact for a Gaussian); plain values when a neighbour is <= 0.
            const [l0, l1, l2] = m > 0 && c > 0 && p > 0 ? [Math.log(m), Math.log(c), Math.log(p)] : [m, c, p];
            const den = l0 - 2 * l1 + l2;
            return den < 0 ? Math.max(-0.5, Math.min(0.5, (0.5 * (l0 - l2)) / den)) : 0;
          };
          const ux = bx > 0 && bx < H - 1 ? bx + refine(at(bx - 1, by), best, at(bx + 1, by)) : bx;
          const uy = by > 0 && by < H - 1 ? by + refine(at(bx, by - 1), best, at(bx, by + 1)) : by;
          gxOut = (2 * ux) / (H - 1) - 1; gyOut = (2 * uy) / (H - 1) - 1;
        }
        out[(b * N + n) * 2] = targetToCrop(gxOut);
        out[(b * N + n) * 2 + 1] = targetToCrop(gyOut);
      }
    }
    return out;
  };

  const decodeTensor = (heatmaps: tf.Tensor4D): tf.Tensor3D => {
    const [, h, w, n] = heatmaps.shape;
    if (heatmaps.rank !== 4 || h !== H || w !== H || n !== N) {
      throw new Error(`codec.decodeTensor: expected [B, ${H}, ${H}, ${N}], got [${heatmaps.shape.join(', ')}]`);
    }
    return tf.tidy(() => {
      const gxT = tf.tensor4d(grid, [1, 1, H, 1]);
      const gyT = tf.tensor4d(grid, [1, H, 1, 1]);
      const s = tf.maximum(tf.sum(heatmaps, [1, 2]), 1e-6); // [B, N]
      const mx = tf.div(tf.sum(tf.mul(heatmaps, gxT), [1, 2]), s);
      const my = tf.div(tf.sum(tf.mul(heatmaps, gyT), [1, 2]), s);
      return tf.add(tf.mul(tf.stack([mx, my], 2), a1), a0) as tf.Tensor3D;
    });
  };

  return { options: opts, numPoints: N, numEdges: E, encode, encodeTargets, targetToCrop, decode, decodeTensor };
}

/** Centripetal-free (uniform) Catmull-Rom densification of a polyline, `per` samples per segment. */
export function catmullRom(pts: number[][], closed: boolean, per: number): number[][] {
  const n = pts.length;
  const P = (i: number) => (closed ? pts[(i + n) % n] : pts[Math.max(0, Math.min(n - 1, i))]);
  const segs = closed ? n : n - 1;
  const out: number[][] = [];
  for (let i = 0; i < segs; i++) {
    const p0 = P(i - 1), p1 = P(i), p2 = P(i + 1), p3 = P(i + 2);
    for (let k = 0; k < per; k++) {
      const t = k / per, t2 = t * t, t3 = t2 * t;
      out.push([0, 1].map((d) => 0.5 * (2 * p1[d] + (-p0[d] + p2[d]) * t + (2 * p0[d] - 5 * p1[d] + 4 * p2[d] - p3[d]) * t2 + (-p0[d] + 3 * p1[d] - 3 * p2[d] + p3[d]) * t3)));
    }
  }
  out.push(closed ? [...pts[0]] : [...pts[n - 1]]);
  return out;
}
