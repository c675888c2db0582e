/**
 * Shape statistics for comparing synthetic and real 98-point faces (notebook 02): similarity (Procrustes) alignment,
 * per-landmark spread after alignment, landmark-based pose proxies, and the label scatter of the synthetic
 * ambiguity model along the true tangent/normal. Coordinates only: no pixels are involved.
 */
export type Pt = [number, number];

/**
 * Least-squares similarity transform (rotation, uniform scale, translation; no reflection) mapping `shape` onto
 * `ref`, applied to `shape`. Closed form (Umeyama without reflection, 2-D complex-number form).
 */
export function alignSimilarity(shape: Pt[], ref: Pt[]): Pt[] {
  if (shape.length !== ref.length || shape.length < 2) throw new Error(`alignSimilarity: shapes need the same number (>= 2) of points, got ${shape.length} and ${ref.length}`);
  const n = shape.length;
  const c = (s: Pt[]) => [s.reduce((a, p) => a + p[0], 0) / n, s.reduce((a, p) => a + p[1], 0) / n];
  const [sx, sy] = c(shape);
  const [rx, ry] = c(ref);
  // z = shape − centre, w = ref − centre (as complex numbers); best a = Σ conj(z) w / Σ |z|², mapped: a z.
  let re = 0;
  let im = 0;
  let zz = 0;
  for (let i = 0; i < n; i++) {
    const zx = shape[i][0] - sx;
    const zy = shape[i][1] - sy;
    const wx = ref[i][0] - rx;
    const wy = ref[i][1] - ry;
    re += zx * wx + zy * wy;
    im += zx * wy - zy * wx;
    zz += zx * zx + zy * zy;
  }
  if (!(zz > 0)) throw new Error('alignSimilarity: the shape has all points at one place');
  const ar = re / zz;
  const ai = im / zz;
  return shape.map(([x, y]): Pt => {
    const zx = x - sx;
    const zy = y - sy;
    return [rx + ar * zx - ai * zy, ry + ai * zx + ar * zy];
  });
}

/**
 * Generalised Procrustes: align every shape to the running mean (first shape to start), a few rounds, with the
 * mean normalised to unit inter-ocular distance (points `iod`) so spreads read in IOD units.
 */
export function procrustes(shapes: Pt[][], iod: [number, number] = [60, 72], rounds = 4): { mean: Pt[]; aligned: Pt[][] } {
  if (shapes.length === 0) throw new Error('procrustes: no shapes');
  const N = shapes[0].length;
  shapes.forEach((s, k) => {
    if (s.length !== N) throw new Error(`procrustes: shape ${k} has ${s.length} points, shape 0 has ${N}`);
  });
  const unitIod = (m: Pt[]): Pt[] => {
    const d = Math.hypot(m[iod[1]][0] - m[iod[0]][0], m[iod[1]][1] - m[iod[0]][1]);
    if (!(d > 0)) throw new Error(`procrustes: inter-ocular distance (points ${iod}) is 0`);
    return m.map(([x, y]): Pt => [x / d, y / d]);
  };
  let mean = unitIod(shapes[0]);
  let aligned: Pt[][] = [];
  for (let r = 0; r < rounds; r++) {
    aligned = shapes.map((s) => alignSimilarity(s, mean));
    mean = unitIod(Array.from({ length: N }, (_, i): Pt => [
      aligned.reduce((a, s) => a + s[i][0], 0) / aligned.length,
      aligned.reduce((a, s) => a + s[i][1], 0) / aligned.length,
    ]));
  }
  aligned = shapes.map((s) => alignSimilarity(s, mean));
  return { mean, aligned };
}

/** Per-landmark spread of aligned shapes: RMS distance to the mean and the principal std devs (same units). */
export function landmarkSpread(aligned: Pt[][], mean: Pt[]): { rms: number[]; sdMajor: number[]; sdMinor: number[] } {
  const N = mean.length;
  const rms: number[] = [];
  const sdMajor: number[] = [];
  const sdMinor: number[] = [];
  for (let i = 0; i < N; i++) {
    let xx = 0;
    let yy = 0;
    let xy = 0;
    for (const s of aligned) {
      const dx = s[i][0] - mean[i][0];
      const dy = s[i][1] - mean[i][1];
      xx += dx * dx;
      yy += dy * dy;
      xy += dx * dy;
    }
    const n = aligned.length;
    [xx, yy, xy] = [xx / n, yy / n, xy / n];
    const tr = (xx + yy) / 2;
    const r = Math.hypot((xx - yy) / 2, xy);
    rms.push(Math.sqrt(xx + yy));
    sdMajor.push(Math.sqrt(tr + r));
    sdMinor.push(Math.sqrt(Math.max(0, tr - r)));
  }
  return { rms, sdMajor, sdMinor };
}

/**
 * Landmark-based pose proxies (the same formula for synthetic and real shapes, so they compare; not true angles):
 * roll = angle of the outer-eye-corner line (degrees); yaw proxy = horizontal offset of the nose tip from the
 * eye-corner midpoint, in inter-ocular distances, measured in the roll-corrected frame (WFLW: 60, 72, nose tip 54).
 */
export function poseProxies(shape: Pt[], idx = { left: 60, right: 72, noseTip: 54 }): { rollDeg: number; yawProxy: number } {
  const a = shape[idx.left];
  const b = shape[idx.right];
  const t = shape[idx.noseTip];
  if (!a || !b || !t) throw new Error(`poseProxies: shape has ${shape.length} points; needs indices ${idx.left}, ${idx.right}, ${idx.noseTip}`);
  const dx = b[0] - a[0];
  const dy = b[1] - a[1];
  const d = Math.hypot(dx, dy);
  if (!(d > 0)) throw new Error('poseProxies: the eye corners coincide');
  const mx = (a[0] + b[0]) / 2;
  const my = (a[1] + b[1]) / 2;
  return { rollDeg: (Math.atan2(dy, dx) * 180) / Math.PI, yawProxy: ((t[0] - mx) * dx + (t[1] - my) * dy) / (d * d) };
}

/**
 * Label scatter of an annotated set with known truth: per landmark, the RMS of (label − clean) along the unit
 * tangent and across it, in inter-ocular distances of the clean shape (outer eye corners). Points without a tangent
 * ([0, 0]) report the x/y RMS as "along"/"across" and are flagged `corner`.
 */
export function labelScatter(
  samples: { landmarks: Pt[]; cleanLandmarks: Pt[]; tangents: Pt[] }[],
  iod: [number, number] = [60, 72],
): { along: number[]; across: number[]; corner: boolean[] } {
  if (!samples.length) throw new Error('labelScatter: no samples');
  const N = samples[0].cleanLandmarks.length;
  const sa = new Float64Array(N);
  const sc = new Float64Array(N);
  const corner = new Array<boolean>(N).fill(true);
  samples.forEach((s, k) => {
    if (s.landmarks.length !== N || s.tangents.length !== N) throw new Error(`labelScatter: sample ${k} has ${s.landmarks.length} labels / ${s.tangents.length} tangents for ${N} points`);
    const c = s.cleanLandmarks;
    const d = Math.hypot(c[iod[1]][0] - c[iod[0]][0], c[iod[1]][1] - c[iod[0]][1]);
    for (let i = 0; i < N; i++) {
      const ex = (s.landmarks[i][0] - c[i][0]) / d;
      const ey = (s.landmarks[i][1] - c[i][1]) / d;
      const [tx, ty] = s.tangents[i];
      const tl = Math.hypot(tx, ty);
      if (tl > 0) {
        corner[i] = false;
        const a = (ex * tx + ey * ty) / tl;
        const b = (-ex * ty + ey * tx) / tl;
        sa[i] += a * a;
        sc[i] += b * b;
      } else {
        sa[i] += ex * ex;
        sc[i] += ey * ey;
      }
    }
  });
  return { along: Array.from(sa, (v) => Math.sqrt(v / samples.length)), across: Array.from(sc, (v) => Math.sqrt(v / samples.length)), corner };
}

/**
 * The pose-dependent ambiguity, measured: RMS label scatter along the true tangent (inter-ocular distances), averaged
 * over `landmarks` (e.g. the contour), per |yaw| bin [edges[k], edges[k+1]) in degrees. Bins without faces are left out.
 */
export function tangentScatterByYaw(
  samples: { landmarks: Pt[]; cleanLandmarks: Pt[]; tangents: Pt[]; yaw: number }[], landmarks: readonly number[], edges: readonly number[],
): { from: number; to: number; faces: number; rms: number }[] {
  const out: { from: number; to: number; faces: number; rms: number }[] = [];
  for (let k = 0; k + 1 < edges.length; k++) {
    const group = samples.filter((s) => Math.abs(s.yaw) >= edges[k] && Math.abs(s.yaw) < edges[k + 1]);
    if (!group.length) continue;
    const { along } = labelScatter(group);
    // Root of the mean square over the landmarks: the RMS scatter of a contour point in this bin.
    const rms = Math.sqrt(landmarks.reduce((s, i) => s + along[i] ** 2, 0) / landmarks.length);
    out.push({ from: edges[k], to: edges[k + 1], faces: group.length, rms });
  }
  return out;
}
