/**
 * One synthetic face: sample identity/expression/pose/scene parameters from a seeded stream, then build the 2-D
 * geometry in image pixels (clean WFLW-98 landmarks, exact tangents, and the shapes the renderer paints).
 */
import type { Attribute, FaceBox, Point } from '../sample';
import type { SyntheticConfig } from './config';
import type { Rng } from './prng';
import {
  NEUTRAL_IDENTITY, landmarks3d, maskSurface, type ExpressionParams, type IdentityParams, type Vec3,
} from './template';
import { project, rotationMatrix, silhouette, type Camera, type Pose } from './projection';
import { convexHullIndices, pointInPolygon, schemeTangents } from './curves';
import { WFLW98 } from '../schemes';

/** Head-frame height where the jaw contour starts/ends (WFLW points 0 and 32 sit about at the eye line). */
export const CONTOUR_TOP_Y = 2;
/** Official-style box: side = BOX_MARGIN x the larger side of the clean landmarks' bounding box. */
export const BOX_MARGIN = 1.25;

export type OccluderKind = 'hand' | 'box' | 'bar';
export interface Occluder {
  kind: OccluderKind;
  /** Centre and half sizes in pixels, rotation in degrees. */
  center: Point;
  halfW: number;
  halfH: number;
  angle: number;
  color: [number, number, number];
}

/** Everything the renderer and the labels need, decided once per sample. */
export interface FaceParams {
  identity: IdentityParams;
  expression: ExpressionParams;
  pose: Pose;
  camera: Camera;
  /** Placement: box side in pixels and centre. */
  boxSide: number;
  center: Point;
  look: {
    skin: [number, number, number];
    hair: [number, number, number];
    iris: [number, number, number];
    lip: [number, number, number];
    background: [number, number, number][];
    hairline: number;
    bangs: number;
    hairVolume: number;
    longHair: number;
    bald: boolean;
    clutter: number;
  };
  makeup: null | { lip: [number, number, number]; shadow: [number, number, number]; blush: number; liner: boolean };
  light: { azimuth: number; strength: number; gain: number; gamma: number; cast: [number, number, number] };
  hardLight: boolean;
  occluders: Occluder[];
  blurSigma: number;
  noiseStd: number;
  /** Seed for the renderer's own random clutter and pixel noise. */
  renderSeed: number;
}

const SKIN: [number, number, number][] = [
  [247, 214, 190], [236, 192, 160], [224, 172, 134], [198, 144, 104], [160, 108, 74], [120, 78, 52], [88, 58, 40],
];
const HAIR: [number, number, number][] = [
  [20, 16, 14], [52, 36, 26], [94, 62, 38], [150, 110, 64], [200, 170, 110], [120, 50, 30], [170, 170, 170], [60, 60, 64],
];
const IRIS: [number, number, number][] = [[70, 45, 25], [110, 75, 40], [60, 100, 140], [80, 120, 80], [40, 30, 25], [100, 110, 120]];

const clamp = (v: number, lo: number, hi: number): number => Math.min(hi, Math.max(lo, v));
const mixC = (a: [number, number, number], b: [number, number, number], t: number): [number, number, number] =>
  [0, 1, 2].map((i) => Math.round(a[i] + (b[i] - a[i]) * t)) as [number, number, number];

/** Truncated normal by clipping (the tails are rare and clipping keeps the stated range exact). */
function clippedNormal(rng: Rng, sd: number, max: number): number {
  return clamp(rng.normal() * sd, -max, max);
}

/** Draw the per-sample parameters. Sub-streams (fork) keep e.g. the pose independent of how many identity draws exist. */
export function sampleFaceParams(rng: Rng, cfg: SyntheticConfig): FaceParams {
  const ri = rng.fork(1), re = rng.fork(2), rp = rng.fork(3), rl = rng.fork(4), ro = rng.fork(5), rq = rng.fork(6);
  const n = NEUTRAL_IDENTITY;
  const g = (sd: number): number => 1 + ri.normal() * sd;
  const identity: IdentityParams = {
    cheekHalfWidth: n.cheekHalfWidth * g(0.07),
    jawRatio: clamp(n.jawRatio + ri.normal() * 0.06, 0.66, 0.97),
    gonionY: n.gonionY * g(0.06),
    chinY: n.chinY * g(0.06),
    chinPow: clamp(2.8 + ri.normal() * 0.5, 1.8, 4),
    eyeSpacing: n.eyeSpacing * g(0.06),
    eyeHalfWidth: n.eyeHalfWidth * g(0.08),
    eyeOpen: n.eyeOpen * g(0.15),
    canthalTilt: n.canthalTilt + ri.normal() * 1.2,
    browY: n.browY + ri.normal() * 2.5,
    browArch: clamp(n.browArch + ri.normal() * 1.5, 0, 8),
    browThick: n.browThick * g(0.2),
    noseLength: n.noseLength * g(0.07),
    noseHalfWidth: n.noseHalfWidth * g(0.1),
    noseProtrusion: n.noseProtrusion * g(0.12),
    mouthGap: n.mouthGap * g(0.08),
    mouthHalfWidth: n.mouthHalfWidth * g(0.09),
    upperLip: n.upperLip * g(0.18),
    lowerLip: n.lowerLip * g(0.18),
  };
  identity.chinY = Math.max(identity.chinY, identity.gonionY + 22, identity.noseLength + identity.mouthGap + identity.lowerLip + 16);

  const expressive = re.bernoulli(cfg.pExpression);
  const expression: ExpressionParams = expressive
    ? {
        mouthOpen: re.bernoulli(0.5) ? re.uniform(0.35, 1) : re.uniform(0, 0.15),
        smile: re.bernoulli(0.5) ? re.uniform(0.5, 1) : re.uniform(-0.3, 0.2),
        blink: re.bernoulli(0.25) ? re.uniform(0.6, 1) : re.uniform(0, 0.2),
        browRaise: re.bernoulli(0.35) ? (re.bernoulli(0.75) ? re.uniform(0.6, 1) : re.uniform(-0.8, -0.6)) : re.uniform(-0.2, 0.3),
        gaze: [re.uniform(-1, 1), re.uniform(-0.6, 0.6)],
      }
    : {
        mouthOpen: re.bernoulli(0.3) ? re.uniform(0, 0.2) : 0,
        smile: re.uniform(-0.15, 0.3),
        blink: re.bernoulli(0.2) ? re.uniform(0, 0.3) : 0,
        browRaise: re.uniform(-0.2, 0.3),
        gaze: [re.uniform(-0.5, 0.5), re.uniform(-0.3, 0.3)],
      };
  if (expressive && !isExpressive(expression)) expression.mouthOpen = re.uniform(0.4, 1); // the flag promises a visible expression

  const pc = cfg.pose;
  const pose: Pose = {
    yaw: clippedNormal(rp, pc.yawMaxDeg / 2.5, pc.yawMaxDeg),
    pitch: clippedNormal(rp, pc.pitchMaxDeg / 3, pc.pitchMaxDeg),
    roll: clippedNormal(rp, pc.rollMaxDeg / 3, pc.rollMaxDeg),
  };
  const camera: Camera = { distance: rp.uniform(380, 900) };
  const S = cfg.imageSize;
  const boxSide = cfg.faceFraction * S * rp.uniform(0.9, 1.1);
  const c0 = (S - 1) / 2;
  const center: Point = [c0 + rp.uniform(-1, 1) * cfg.centerJitter * S, c0 + rp.uniform(-1, 1) * cfg.centerJitter * S];

  const skinT = rl.next() * (SKIN.length - 1);
  const skin = mixC(SKIN[Math.floor(skinT)], SKIN[Math.min(SKIN.length - 1, Math.floor(skinT) + 1)], skinT % 1);
  const hair = mixC(rl.pick(HAIR), [rl.int(255), rl.int(255), rl.int(255)], rl.uniform(0, 0.15));
  const lip = mixC(skin, [170, 60, 70], rl.uniform(0.3, 0.55));
  const bgBase = [rl.int(256), rl.int(256), rl.int(256)] as [number, number, number];
  const background: [number, number, number][] = [bgBase, mixC(bgBase, [rl.int(256), rl.int(256), rl.int(256)], 0.6), [rl.int(256), rl.int(256), rl.int(256)]];
  const bald = rl.bernoulli(0.06);
  const look = {
    skin, hair, lip, background, bald,
    iris: rl.pick(IRIS),
    hairline: rl.uniform(-80, -58),
    bangs: rl.bernoulli(0.3) ? rl.uniform(10, 38) : rl.uniform(0, 6),
    hairVolume: rl.uniform(4, 22),
    longHair: rl.bernoulli(0.45) ? rl.uniform(40, 140) : 0,
    clutter: rl.int(14),
  };
  const makeup = rl.bernoulli(cfg.pMakeup)
    ? {
        lip: rl.pick<[number, number, number]>([[180, 20, 40], [200, 60, 90], [120, 20, 40], [220, 90, 80], [150, 40, 110]]),
        shadow: rl.pick<[number, number, number]>([[90, 60, 120], [60, 90, 140], [140, 90, 60], [40, 40, 50], [160, 100, 140]]),
        blush: rl.uniform(0.2, 0.5),
        liner: rl.bernoulli(0.6),
      }
    : null;
  const hardLight = rl.bernoulli(cfg.pHardLight);
  const light = hardLight
    ? (() => {
        const mode = rl.int(3);
        return {
          azimuth: rl.uniform(0, 2 * Math.PI),
          strength: mode === 0 ? rl.uniform(0.6, 0.9) : rl.uniform(0.2, 0.5),
          gain: mode === 1 ? rl.uniform(0.35, 0.6) : mode === 2 ? rl.uniform(1.45, 1.9) : rl.uniform(0.85, 1.1),
          gamma: rl.uniform(0.8, 1.25),
          cast: [rl.uniform(-0.25, 0.25), rl.uniform(-0.25, 0.25), rl.uniform(-0.25, 0.25)] as [number, number, number],
        };
      })()
    : {
        azimuth: rl.uniform(0, 2 * Math.PI),
        strength: rl.uniform(0.1, 0.4),
        gain: rl.uniform(0.88, 1.12),
        gamma: rl.uniform(0.92, 1.08),
        cast: [rl.uniform(-0.05, 0.05), rl.uniform(-0.05, 0.05), rl.uniform(-0.05, 0.05)] as [number, number, number],
      };

  const occluders: Occluder[] = [];
  if (ro.bernoulli(cfg.pOcclusion)) {
    const count = ro.bernoulli(0.2) ? 2 : 1;
    for (let k = 0; k < count; k++) {
      const kind = ro.pick<OccluderKind>(['hand', 'hand', 'box', 'bar']);
      // Anchor on a face region (relative to the box), so the occluder really covers landmarks.
      const [ax, ay] = ro.pick<Point>([[-0.2, -0.1], [0.2, -0.1], [0, 0.25], [0, 0.1], [-0.3, 0.25], [0.3, 0.25], [0, -0.1]]);
      const halfW = boxSide * (kind === 'bar' ? ro.uniform(0.4, 0.6) : ro.uniform(0.14, 0.3));
      const halfH = boxSide * (kind === 'bar' ? ro.uniform(0.06, 0.12) : ro.uniform(0.14, 0.32));
      occluders.push({
        kind,
        center: [center[0] + boxSide * (ax + ro.uniform(-0.08, 0.08)), center[1] + boxSide * (ay + ro.uniform(-0.08, 0.08))],
        halfW, halfH,
        angle: kind === 'bar' ? ro.uniform(-20, 20) : ro.uniform(-45, 45),
        color: kind === 'hand' ? mixC(skin, [rl.int(256), 170, 140], ro.uniform(0, 0.3)) : [ro.int(256), ro.int(256), ro.int(256)],
      });
    }
  }
  const blurred = rq.bernoulli(cfg.pBlur);
  const blurSigma = blurred ? rq.uniform(0.8, 2.5) * (S / 128) : 0;
  const noiseStd = rq.uniform(0, cfg.noiseMax);
  return {
    identity, expression, pose, camera, boxSide, center, look, makeup, light, hardLight, occluders, blurSigma, noiseStd,
    renderSeed: rq.int(2 ** 31),
  };
}

function isExpressive(e: ExpressionParams): boolean {
  return e.mouthOpen >= 0.35 || e.smile >= 0.5 || e.blink >= 0.6 || Math.abs(e.browRaise) >= 0.6;
}

/** Thresholds that turn generating parameters into WFLW's six attribute flags (documented in README of this folder). */
export const ATTRIBUTE_THRESHOLDS = {
  largepose: '|yaw| >= 35 deg or |pitch| >= 22 deg or |roll| >= 25 deg',
  expression: 'mouthOpen >= 0.35 or smile >= 0.5 or blink >= 0.6 or |browRaise| >= 0.6',
  illumination: 'light strength >= 0.6 or gain < 0.7 or gain > 1.35 or any colour cast >= 0.15',
  makeup: 'make-up drawn (lipstick, eye shadow, blush)',
  occlusion: '>= 10% of the 98 clean landmarks inside an occluder',
  blur: 'Gaussian blur sigma >= 1.0 px at 128 px (scaled with image size)',
} as const;

export function attributeFlags(p: FaceParams, landmarks: Point[], occluderPolys: Point[][], imageSize: number): Record<Attribute, boolean> {
  const covered = landmarks.filter((q) => occluderPolys.some((poly) => pointInPolygon(q, poly))).length;
  return {
    largepose: Math.abs(p.pose.yaw) >= 35 || Math.abs(p.pose.pitch) >= 22 || Math.abs(p.pose.roll) >= 25,
    expression: isExpressive(p.expression),
    illumination: p.light.strength >= 0.6 || p.light.gain < 0.7 || p.light.gain > 1.35 || p.light.cast.some((c) => Math.abs(c) >= 0.15),
    makeup: p.makeup !== null,
    occlusion: covered >= 0.1 * landmarks.length,
    blur: p.blurSigma * (128 / imageSize) >= 1.0,
  };
}

/** Corners of an occluder's (rotated) box, pixels. */
export function occluderPolygon(o: Occluder): Point[] {
  const a = (o.angle * Math.PI) / 180;
  const [c, s] = [Math.cos(a), Math.sin(a)];
  return ([[-1, -1], [1, -1], [1, 1], [-1, 1]] as Point[]).map(([u, v]) => [
    o.center[0] + c * u * o.halfW - s * v * o.halfH,
    o.center[1] + s * u * o.halfW + c * v * o.halfH,
  ]);
}

/** The face's 2-D geometry in image pixels. */
export interface FaceGeometry {
  landmarks: Point[];
  tangents: Point[];
  outline: Point[];
  hairBack: Point[];
  hairFront: Point[] | null;
  neck: Point[];
  ears: { center: Point; rx: number; ry: number; angle: number }[];
  /** Pixels per mm near the face. */
  pxPerMm: number;
  /** +1 when the image-right side of the face is the far side (yaw > 0), -1 otherwise. */
  farSide: 1 | -1;
  box: FaceBox;
  /** Nose-tip direction in the image (unit), for shading. */
  noseDir: Point;
}

export function buildGeometry(p: FaceParams): FaceGeometry {
  const R = rotationMatrix(p.pose);
  const id = p.identity, ex = p.expression;
  const proj = (v: Vec3): Point => project(v, R, p.camera);
  const L3 = landmarks3d(id, ex);
  const surf = maskSurface(id, ex);
  const sil = silhouette(surf, R, p.camera, CONTOUR_TOP_Y);
  const lm: Point[] = L3.map(proj);
  const tangentOverride = new Map<number, Point>();
  for (let i = 0; i <= 32; i++) {
    lm[i] = sil.contour[i];
    tangentOverride.set(i, sil.contourTangents[i]);
  }
  // Placement: similarity transform so the official box (from the clean landmarks) has the sampled side and centre.
  const xs = lm.map((q) => q[0]), ys = lm.map((q) => q[1]);
  const bx0 = Math.min(...xs), bx1 = Math.max(...xs), by0 = Math.min(...ys), by1 = Math.max(...ys);
  const k = p.boxSide / (BOX_MARGIN * Math.max(bx1 - bx0, by1 - by0));
  const mx = (bx0 + bx1) / 2, my = (by0 + by1) / 2;
  const place = (q: Point): Point => [p.center[0] + k * (q[0] - mx), p.center[1] + k * (q[1] - my)];
  const landmarks = lm.map(place);
  const tangents = schemeTangents(landmarks, WFLW98, undefined, tangentOverride);

  // Hair: the skull behind (an ellipsoid, longer when the hair is long) and the part of the mask above the hairline.
  const hv = p.look.hairVolume, lh = p.look.longHair;
  const skull: Point[] = [];
  for (let a = 0; a < 16; a++) {
    for (let b = 0; b <= 12; b++) {
      const th = (Math.PI * b) / 12, ph = (2 * Math.PI * a) / 16;
      const down = Math.cos(th) < 0 ? 1 + lh / 95 : 1;
      skull.push(place(proj([(id.cheekHalfWidth + hv) * Math.sin(th) * Math.cos(ph), -30 - (95 + hv) * Math.cos(th) * down, -75 + (90 + hv) * Math.sin(th) * Math.sin(ph) * (Math.sin(ph) > 0 ? 0.7 : 1)])));
    }
  }
  const hairBack = convexHullIndices(skull).map((i) => skull[i]);
  let hairFront: Point[] | null = null;
  if (!p.look.bald) {
    const crown: Point[] = [];
    surf.pts.forEach((q, i) => {
      // Bangs lower the hairline towards the middle of the forehead.
      const limit = p.look.hairline + p.look.bangs * Math.max(0, 1 - Math.pow(q[0] / (id.cheekHalfWidth * 0.8), 2));
      if (surf.y[i] <= limit) crown.push(place(proj([q[0] * (1 + hv / 200), q[1] - hv * 0.3, q[2] + hv * 0.4])));
    });
    hairFront = crown.length >= 3 ? convexHullIndices(crown).map((i) => crown[i]) : null;
  }
  const neckW = id.jawRatio * id.cheekHalfWidth * 0.72;
  const neck = ([[-neckW, id.gonionY - 10, -55], [neckW, id.gonionY - 10, -55], [neckW * 1.1, 260, -60], [-neckW * 1.1, 260, -60]] as Vec3[]).map((v) => place(proj(v)));
  const ears = [-1, 1].map((s) => {
    const top = place(proj([s * (id.cheekHalfWidth - 2), -4, -74]));
    const bot = place(proj([s * (id.cheekHalfWidth - 4), 38, -70]));
    const out = place(proj([s * (id.cheekHalfWidth + 12), 16, -80]));
    const c: Point = [(top[0] + bot[0]) / 2 * 0.6 + out[0] * 0.4, (top[1] + bot[1]) / 2 * 0.7 + out[1] * 0.3];
    const ry = Math.hypot(top[0] - bot[0], top[1] - bot[1]) / 2;
    const rx = Math.max(0.15 * ry, Math.hypot(out[0] - c[0], out[1] - c[1]) * 0.9);
    return { center: c, rx, ry, angle: (Math.atan2(bot[1] - top[1], bot[0] - top[0]) * 180) / Math.PI - 90 };
  });
  const outline = sil.outline.map(place);
  const tip = place(proj(L3[54])), base = place(proj([0, id.noseLength, 0]));
  const nd: Point = [tip[0] - base[0], tip[1] - base[1]];
  const nl = Math.hypot(nd[0], nd[1]);
  return {
    landmarks, tangents, outline, hairBack, hairFront, neck, ears,
    pxPerMm: k,
    farSide: p.pose.yaw > 0 ? 1 : -1,
    box: { center: p.center, scale: p.boxSide / 200 },
    noseDir: nl > 1e-9 ? [nd[0] / nl, nd[1] / nl] : [0, 0],
  };
}

