/**
 * Edge (boundary) maps, the AAM heads' targets: one channel per scheme edge group, its visible landmarks joined by a
 * uniform Catmull-Rom curve and drawn as a Gaussian line `exp(−d²/2σ²)` of the distance d to the curve, cut at 3σ.
 * Layout: maps `[H, W, E]` with H = W = `size`; points in heatmap pixels, flat `[N*2]`.
 */
import type { EdgeGroup } from './schemes';

/** Catmull-Rom samples per segment between two landmarks. */
const SAMPLES_PER_SEGMENT = 5;

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

/** Draws every edge group into `out` (`[size, size, edges.length]`, overwritten); an edge needs two visible points. */
export function drawEdgeMaps(
  edges: readonly EdgeGroup[], points: ArrayLike<number>, visible: ArrayLike<number> | undefined, size: number, sigma: number,
  out: Float32Array,
): void {
  out.fill(0);
  const E = edges.length;
  const s2 = 2 * sigma * sigma;
  const r = 3 * sigma;
  edges.forEach((edge, e) => {
    const pts = edge.points.filter((p) => !visible || visible[p] > 0).map((p) => [points[2 * p], points[2 * p + 1]]);
    if (pts.length < 2) return;
    const poly = catmullRom(pts, edge.closed && pts.length > 2, SAMPLES_PER_SEGMENT);
    for (let s = 0; s + 1 < poly.length; s++) {
      const [ax, ay] = poly[s], [bx, by] = poly[s + 1];
      const x0 = Math.max(0, Math.floor(Math.min(ax, bx) - r)), x1 = Math.min(size - 1, Math.ceil(Math.max(ax, bx) + r));
      const y0 = Math.max(0, Math.floor(Math.min(ay, by) - r)), y1 = Math.min(size - 1, Math.ceil(Math.max(ay, by) + r));
      const dx = bx - ax, dy = by - ay, len2 = dx * dx + dy * dy || 1e-12;
      for (let y = y0; y <= y1; y++) {
        for (let x = x0; x <= x1; x++) {
          const t = Math.min(1, Math.max(0, ((x - ax) * dx + (y - ay) * dy) / len2));
          const ex = x - ax - t * dx, ey = y - ay - t * dy;
          const v = Math.exp(-(ex * ex + ey * ey) / s2);
          const o = (y * size + x) * E + e;
          if (v > out[o]) out[o] = v;
        }
      }
    }
  });
}
