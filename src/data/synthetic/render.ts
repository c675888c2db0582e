/**
 * Paint a FaceGeometry as an SVG string (librsvg via sharp rasterises it), then apply the photometric part
 * (blur, exposure, colour cast, gamma, sensor noise) on the raw RGB buffer with the sample's own PRNG stream.
 */
import sharp from 'sharp';
import type { Point } from '../sample';
import { createRng } from './prng';
import { occluderPolygon, type FaceGeometry, type FaceParams } from './face';
import { lerp, polygonPath, smoothPath, sub, unit } from './curves';

type RGB = [number, number, number];
const rgb = (c: RGB, f = 1): string =>
  `rgb(${c.map((v) => Math.max(0, Math.min(255, Math.round(v * f)))).join(',')})`;
const mix = (a: RGB, b: RGB, t: number): RGB => [0, 1, 2].map((i) => a[i] + (b[i] - a[i]) * t) as RGB;
const r2 = (v: number): string => (Math.round(v * 100) / 100).toString();
const pts = (lm: Point[], idx: number[]): Point[] => idx.map((i) => lm[i]);
const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

/** Build the SVG document (pure function of the parameters and geometry). */
export function faceSvg(p: FaceParams, g: FaceGeometry, size: number): string {
  const rng = createRng(p.renderSeed);
  const lm = g.landmarks;
  const k = g.pxPerMm;
  const skin = p.look.skin;
  const defs: string[] = [];
  const body: string[] = [];

  // Background: gradient plus clutter (shapes, stripes) so the model cannot find the face by colour alone.
  const [b0, b1, b2] = p.look.background;
  const ga = rng.uniform(0, Math.PI);
  defs.push(`<linearGradient id="bg" x1="${r2(0.5 - 0.5 * Math.cos(ga))}" y1="${r2(0.5 - 0.5 * Math.sin(ga))}" x2="${r2(0.5 + 0.5 * Math.cos(ga))}" y2="${r2(0.5 + 0.5 * Math.sin(ga))}"><stop offset="0" stop-color="${rgb(b0)}"/><stop offset="1" stop-color="${rgb(b1)}"/></linearGradient>`);
  body.push(`<rect width="${size}" height="${size}" fill="url(#bg)"/>`);
  for (let i = 0; i < p.look.clutter; i++) {
    const c = mix(b2, [rng.int(256), rng.int(256), rng.int(256)], rng.next());
    const x = rng.uniform(-0.1, 1.1) * size, y = rng.uniform(-0.1, 1.1) * size, s = rng.uniform(0.05, 0.4) * size;
    const op = r2(rng.uniform(0.3, 0.9));
    const kind = rng.int(3);
    if (kind === 0) body.push(`<rect x="${r2(x)}" y="${r2(y)}" width="${r2(s)}" height="${r2(s * rng.uniform(0.3, 2))}" fill="${rgb(c)}" opacity="${op}" transform="rotate(${r2(rng.uniform(-30, 30))} ${r2(x)} ${r2(y)})"/>`);
    else if (kind === 1) body.push(`<circle cx="${r2(x)}" cy="${r2(y)}" r="${r2(s / 2)}" fill="${rgb(c)}" opacity="${op}"/>`);
    else body.push(`<line x1="${r2(x)}" y1="${r2(y)}" x2="${r2(x + rng.uniform(-1, 1) * size)}" y2="${r2(y + rng.uniform(-1, 1) * size)}" stroke="${rgb(c)}" stroke-width="${r2(rng.uniform(0.01, 0.05) * size)}" opacity="${op}"/>`);
  }

  // Hair behind the head, neck, ears.
  const hair = p.look.hair;
  if (!p.look.bald) body.push(`<path d="${smoothPath(g.hairBack, true, 0.8)}" fill="${rgb(hair, 0.85)}"/>`);
  body.push(`<path d="${polygonPath(g.neck)}" fill="${rgb(skin, 0.78)}"/>`);
  for (const e of g.ears) {
    body.push(`<ellipse cx="${r2(e.center[0])}" cy="${r2(e.center[1])}" rx="${r2(e.rx)}" ry="${r2(e.ry)}" transform="rotate(${r2(e.angle)} ${r2(e.center[0])} ${r2(e.center[1])})" fill="${rgb(skin, 0.88)}"/>`);
    body.push(`<ellipse cx="${r2(e.center[0])}" cy="${r2(e.center[1])}" rx="${r2(e.rx * 0.5)}" ry="${r2(e.ry * 0.6)}" transform="rotate(${r2(e.angle)} ${r2(e.center[0])} ${r2(e.center[1])})" fill="${rgb(skin, 0.7)}" opacity="0.6"/>`);
  }

  // Face: skin with a soft radial gradient whose bright spot sits on the surface facing the camera (opposite to the
  // nose direction under yaw), and a linear light/shadow overlay along the light direction.
  const centre = lerp(lm[51], lm[57], 0.5);
  const hl: Point = [centre[0] - g.noseDir[0] * 6 * k, centre[1] - g.noseDir[1] * 6 * k];
  const faceR = 95 * k;
  defs.push(`<radialGradient id="skin" gradientUnits="userSpaceOnUse" cx="${r2(hl[0])}" cy="${r2(hl[1])}" r="${r2(faceR)}"><stop offset="0" stop-color="${rgb(skin, 1.06)}"/><stop offset="0.6" stop-color="${rgb(skin)}"/><stop offset="1" stop-color="${rgb(skin, 0.72)}"/></radialGradient>`);
  const facePath = smoothPath(g.outline, true, 0.6);
  defs.push(`<clipPath id="face"><path d="${facePath}"/></clipPath>`);
  body.push(`<path d="${facePath}" fill="url(#skin)"/>`);
  const L = p.light;
  const lx = Math.cos(L.azimuth), ly = Math.sin(L.azimuth);
  const half = 80 * k;
  defs.push(`<linearGradient id="light" gradientUnits="userSpaceOnUse" x1="${r2(centre[0] + lx * half)}" y1="${r2(centre[1] + ly * half)}" x2="${r2(centre[0] - lx * half)}" y2="${r2(centre[1] - ly * half)}"><stop offset="0" stop-color="#fff" stop-opacity="${r2(0.5 * L.strength)}"/><stop offset="0.45" stop-color="#000" stop-opacity="0"/><stop offset="1" stop-color="#000" stop-opacity="${r2(L.strength)}"/></linearGradient>`);

  const shade = (c: RGB, f: number, op: number): string => `fill="${rgb(c, f)}" opacity="${r2(op)}"`;
  // Cheek blush (make-up) and a soft under-chin shadow.
  if (p.makeup) {
    for (const [a, b] of [[2, 55], [30, 59]]) {
      const c = lerp(lm[a], lm[b], 0.55);
      defs.push(`<radialGradient id="blush${a}"><stop offset="0" stop-color="rgb(220,80,100)" stop-opacity="${r2(p.makeup.blush)}"/><stop offset="1" stop-color="rgb(220,80,100)" stop-opacity="0"/></radialGradient>`);
      body.push(`<ellipse cx="${r2(c[0])}" cy="${r2(c[1])}" rx="${r2(16 * k)}" ry="${r2(11 * k)}" fill="url(#blush${a})" clip-path="url(#face)"/>`);
    }
  }

  // Brows.
  const browC = p.makeup ? mix(hair, [20, 15, 15], 0.5) : mix(hair, skin, 0.15);
  for (const idx of [range(33, 41), range(42, 50)]) body.push(`<path d="${smoothPath(pts(lm, idx), true, 0.6)}" fill="${rgb(browC)}" opacity="0.92"/>`);

  // Eyes: far eye first, then the nose (it can hide part of the far eye under yaw), then the near eye.
  const eye = (outline: number[], pupil: number, upper: number[], lower: number[], id: string): string => {
    const o = pts(lm, outline);
    const out: string[] = [];
    const d = smoothPath(o, true, 0.7);
    if (p.makeup) {
      const up = pts(lm, upper).map((q, i, a): Point => [q[0], q[1] - (i === 0 || i === a.length - 1 ? 0.5 : 3.2) * k]);
      out.push(`<path d="${smoothPath([...pts(lm, upper), ...up.reverse()], true, 0.6)}" ${shade(p.makeup.shadow, 1, 0.55)}/>`);
    }
    defs.push(`<clipPath id="${id}"><path d="${d}"/></clipPath>`);
    out.push(`<path d="${d}" fill="${rgb(mix([240, 236, 230], skin, 0.15))}"/>`);
    const ir = 5.8 * k;
    const pc = lm[pupil];
    out.push(`<g clip-path="url(#${id})"><circle cx="${r2(pc[0])}" cy="${r2(pc[1])}" r="${r2(ir)}" fill="${rgb(p.look.iris)}"/><circle cx="${r2(pc[0])}" cy="${r2(pc[1])}" r="${r2(ir * 0.45)}" fill="rgb(12,10,10)"/><circle cx="${r2(pc[0] + ir * 0.3)}" cy="${r2(pc[1] - ir * 0.3)}" r="${r2(ir * 0.18)}" fill="#fff" opacity="0.85"/><path d="${smoothPath(pts(lm, upper), false)}" stroke="${rgb(skin, 0.5)}" stroke-width="${r2(2.2 * k)}" fill="none" opacity="0.5"/></g>`);
    out.push(`<path d="${smoothPath(pts(lm, upper), false)}" stroke="rgb(35,25,22)" stroke-width="${r2((p.makeup?.liner ? 1.6 : 1.0) * k)}" fill="none" stroke-linecap="round"/>`);
    out.push(`<path d="${smoothPath(pts(lm, lower), false)}" stroke="${rgb(skin, 0.55)}" stroke-width="${r2(0.6 * k)}" fill="none"/>`);
    // Lid crease above the eye.
    const crease = pts(lm, upper).map((q): Point => [q[0], q[1] - 2.6 * k]);
    out.push(`<path d="${smoothPath(crease, false)}" stroke="${rgb(skin, 0.7)}" stroke-width="${r2(0.6 * k)}" fill="none" opacity="0.7"/>`);
    return out.join('');
  };
  const rightEye = eye([...range(60, 67)], 96, [60, 61, 62, 63, 64], [64, 65, 66, 67, 60], 'eyeR');
  const leftEye = eye([...range(68, 75)], 97, [68, 69, 70, 71, 72], [72, 73, 74, 75, 68], 'eyeL');
  // Far side: yaw > 0 turns the nose to the image right, so the image-right (left) eye is the far one.
  body.push(g.farSide > 0 ? leftEye : rightEye);

  // Nose: a skin-coloured body (it can stick out of the cheek outline under yaw), shading along the far side of the
  // bridge, a tip highlight, nostrils and the base curve.
  const noseBody = [lm[51], lm[52], lm[53], ...(g.farSide > 0 ? [lm[54], lm[59], lm[58], lm[57], lm[56], lm[55]] : [lm[54], lm[55], lm[56], lm[57], lm[58], lm[59]])];
  const side = g.farSide > 0 ? [lm[51], lm[52], lm[53], lm[54], lm[59]] : [lm[51], lm[52], lm[53], lm[54], lm[55]];
  const sideOff = side.map((q): Point => [q[0] + g.farSide * 2.5 * k, q[1]]);
  body.push(`<path d="${polygonPath(noseBody)}" fill="${rgb(skin, 1.0)}" opacity="0.9"/>`);
  body.push(`<path d="${smoothPath(sideOff, false)}" stroke="${rgb(skin, 0.62)}" stroke-width="${r2(2.4 * k)}" fill="none" opacity="0.55" stroke-linecap="round"/>`);
  body.push(`<circle cx="${r2(lm[53][0] + (lm[54][0] - lm[53][0]) * 0.6)}" cy="${r2(lm[53][1] + (lm[54][1] - lm[53][1]) * 0.6)}" r="${r2(3 * k)}" fill="#fff" opacity="0.18"/>`);
  for (const [a, b] of [[55, 56], [59, 58]]) {
    const c = lerp(lm[a], lm[b], 0.55);
    const dir = unit(sub(lm[b], lm[a]));
    const ang = (Math.atan2(dir[1], dir[0]) * 180) / Math.PI;
    body.push(`<ellipse cx="${r2(c[0])}" cy="${r2(c[1] - 1.2 * k)}" rx="${r2(3.6 * k)}" ry="${r2(1.8 * k)}" transform="rotate(${r2(ang)} ${r2(c[0])} ${r2(c[1] - 1.2 * k)})" fill="rgb(60,30,25)" opacity="0.75"/>`);
  }
  body.push(`<path d="${smoothPath(pts(lm, range(55, 59)), false)}" stroke="${rgb(skin, 0.6)}" stroke-width="${r2(0.9 * k)}" fill="none" opacity="0.6"/>`);
  body.push(g.farSide > 0 ? rightEye : leftEye);

  // Mouth: lips, then the opening (dark, with a row of teeth), then the lip line.
  const lipC = p.makeup ? mix(p.look.lip, p.makeup.lip, 0.75) : p.look.lip;
  const outer = smoothPath(pts(lm, range(76, 87)), true, 0.6);
  body.push(`<path d="${outer}" fill="${rgb(lipC)}"/>`);
  const upperLip = [76, 77, 78, 79, 80, 81, 82, 92, 91, 90, 89, 88];
  body.push(`<path d="${smoothPath(pts(lm, upperLip), true, 0.6)}" fill="${rgb(lipC, 0.85)}"/>`);
  const inner = pts(lm, range(88, 95));
  const openPx = Math.hypot(lm[94][0] - lm[90][0], lm[94][1] - lm[90][1]);
  if (openPx > 0.6 * k) {
    const id = 'mouth';
    const d = smoothPath(inner, true, 0.7);
    defs.push(`<clipPath id="${id}"><path d="${d}"/></clipPath>`);
    const teethH = 4.5 * k;
    const top = pts(lm, [88, 89, 90, 91, 92]);
    const teeth = [...top, ...top.slice().reverse().map((q): Point => [q[0], q[1] + teethH])];
    body.push(`<path d="${d}" fill="rgb(70,20,22)"/><g clip-path="url(#${id})"><path d="${polygonPath(teeth)}" fill="rgb(236,232,220)"/></g>`);
  }
  body.push(`<path d="${smoothPath(pts(lm, [88, 89, 90, 91, 92]), false)}" stroke="${rgb(lipC, 0.45)}" stroke-width="${r2(0.9 * k)}" fill="none"/>`);

  // Front hair over the forehead, then the light overlay on the face and hair.
  if (g.hairFront) body.push(`<path d="${smoothPath(g.hairFront, true, 0.8)}" fill="${rgb(hair)}" clip-path="url(#face)"/>`);
  body.push(`<path d="${facePath}" fill="url(#light)"/>`);

  // Occluders last: they hide landmarks (labels keep the hidden points, as WFLW does).
  for (const o of p.occluders) {
    const poly = occluderPolygon(o);
    const c = o.color;
    const tr = `transform="rotate(${r2(o.angle)} ${r2(o.center[0])} ${r2(o.center[1])})"`;
    if (o.kind === 'hand') {
      const [cx, cy] = o.center;
      body.push(`<g ${tr}><ellipse cx="${r2(cx)}" cy="${r2(cy + o.halfH * 0.25)}" rx="${r2(o.halfW)}" ry="${r2(o.halfH * 0.7)}" fill="${rgb(c)}"/>`);
      for (let f = 0; f < 4; f++) {
        const fx = cx - o.halfW * 0.75 + f * o.halfW * 0.5;
        body.push(`<rect x="${r2(fx - o.halfW * 0.2)}" y="${r2(cy - o.halfH)}" width="${r2(o.halfW * 0.4)}" height="${r2(o.halfH * 1.1)}" rx="${r2(o.halfW * 0.2)}" fill="${rgb(c, 0.97)}" stroke="${rgb(c, 0.75)}" stroke-width="${r2(0.5 * k)}"/>`);
      }
      body.push(`</g>`);
    } else if (o.kind === 'box') {
      body.push(`<path d="${polygonPath(poly)}" fill="${rgb(c)}" stroke="${rgb(c, 0.6)}" stroke-width="${r2(k)}"/>`);
      body.push(`<path d="${polygonPath(poly.map((q): Point => [q[0] * 0.7 + o.center[0] * 0.3, q[1] * 0.7 + o.center[1] * 0.3]))}" fill="${rgb(c, 1.25)}" opacity="0.5"/>`);
    } else {
      body.push(`<rect x="${r2(o.center[0] - o.halfW)}" y="${r2(o.center[1] - o.halfH)}" width="${r2(2 * o.halfW)}" height="${r2(2 * o.halfH)}" rx="${r2(o.halfH)}" ${tr} fill="${rgb(c, 0.4)}"/>`);
    }
  }
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${size}" height="${size}" viewBox="0 0 ${size} ${size}"><defs>${defs.join('')}</defs>${body.join('')}</svg>`;
}

/**
 * Rasterise and finish: SVG -> RGBA (librsvg) -> optional Gaussian blur -> RGB uint8, then exposure gain, colour
 * cast, gamma and additive Gaussian noise, all from the sample's seeded stream (deterministic).
 */
export async function renderFace(p: FaceParams, g: FaceGeometry, size: number): Promise<Uint8Array> {
  const svg = faceSvg(p, g, size);
  let img = sharp(Buffer.from(svg), { density: 72 }).flatten({ background: '#000' });
  if (p.blurSigma >= 0.3) img = img.blur(p.blurSigma);
  const { data, info } = await img.removeAlpha().raw().toBuffer({ resolveWithObject: true });
  if (info.width !== size || info.height !== size || info.channels !== 3) {
    throw new Error(`renderFace: librsvg returned ${info.width}x${info.height}x${info.channels}, expected ${size}x${size}x3`);
  }
  const out = new Uint8Array(data.buffer, data.byteOffset, data.length);
  const L = p.light;
  const lut = [0, 1, 2].map((c) => {
    const t = new Float64Array(256);
    for (let v = 0; v < 256; v++) t[v] = 255 * Math.pow(v / 255, L.gamma) * L.gain * (1 + L.cast[c]);
    return t;
  });
  const rng = createRng(p.renderSeed ^ 0x5bd1e995);
  const sd = p.noiseStd;
  const table = normalTable();
  for (let i = 0; i < out.length; i++) {
    // Noise from a fixed table of normals indexed by the sample's stream: ~4x faster than Box-Muller per pixel.
    const v = lut[i % 3][out[i]] + (sd > 0 ? sd * table[(rng.next() * NORMAL_TABLE_SIZE) | 0] : 0);
    out[i] = v <= 0 ? 0 : v >= 255 ? 255 : Math.round(v);
  }
  return out;
}

const NORMAL_TABLE_SIZE = 1 << 16;
let normals: Float32Array | null = null;
/** 65,536 standard normals from a fixed seed (the same table everywhere), for pixel noise. */
function normalTable(): Float32Array {
  if (!normals) {
    const r = createRng(0x9e3779b9);
    normals = new Float32Array(NORMAL_TABLE_SIZE);
    for (let i = 0; i < NORMAL_TABLE_SIZE; i++) normals[i] = r.normal();
  }
  return normals;
}
