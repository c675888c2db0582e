/**
 * Ellipses of predicted distributions (μ, √λ, v): the k-σ contour of N(μ, Σ) as a closed polyline, ready for a
 * Plotly scatter trace or an SVG path. Pure functions of plain numbers.
 */

export interface EllipseSpec {
  /** Centre (any units: STAR grid, crop pixels...). */
  meanX: number;
  meanY: number;
  /** Variances along the major and minor axis, in the centre's units squared (>= 0). */
  lambdaMax: number;
  lambdaMin: number;
  /** Direction of the major axis (radians, x right, y down). */
  theta: number;
}

export interface EllipseOptions {
  /** Contour radius in standard deviations. Default 1 (semi-axes √λmax, √λmin). */
  k?: number;
  /** Number of segments; the path has points + 1 vertices (closed). Default 64. */
  points?: number;
  /** Multiply semi-axes and centre offsets by this factor about the centre (e.g. grid -> pixels). Default 1. */
  scale?: number;
}

function check(e: EllipseSpec, where: string): void {
  for (const k of ['meanX', 'meanY', 'lambdaMax', 'lambdaMin', 'theta'] as const) {
    if (typeof e[k] !== 'number' || !Number.isFinite(e[k])) throw new Error(`${where}: ${k} must be a finite number, got ${e[k]}`);
  }
  if (e.lambdaMin < 0 || e.lambdaMax < 0) throw new Error(`${where}: eigenvalues must be >= 0, got lambdaMin ${e.lambdaMin}, lambdaMax ${e.lambdaMax}`);
}

/** Closed k-σ contour: (x, y) = μ + k(√λmax cos t · v + √λmin sin t · u), u ⟂ v. First vertex = last vertex. */
export function ellipsePath(e: EllipseSpec, options: EllipseOptions = {}): { x: number[]; y: number[] } {
  check(e, 'ellipsePath');
  const k = options.k ?? 1;
  const n = options.points ?? 64;
  const sc = options.scale ?? 1;
  if (!(k > 0) || !Number.isInteger(n) || n < 3 || !(sc > 0)) throw new Error(`ellipsePath: need k > 0, integer points >= 3, scale > 0; got k ${k}, points ${n}, scale ${sc}`);
  const a = k * sc * Math.sqrt(e.lambdaMax);
  const b = k * sc * Math.sqrt(e.lambdaMin);
  const c = Math.cos(e.theta);
  const s = Math.sin(e.theta);
  const x: number[] = [];
  const y: number[] = [];
  for (let i = 0; i <= n; i++) {
    const t = (2 * Math.PI * (i % n)) / n;
    const p = a * Math.cos(t);
    const q = b * Math.sin(t);
    x.push(e.meanX + p * c - q * s);
    y.push(e.meanY + p * s + q * c);
  }
  return { x, y };
}

/** The two semi-axes as segments from the centre (major first), for drawing v_max√λmax and v_min√λmin. */
export function axisSegments(e: EllipseSpec, options: Pick<EllipseOptions, 'k' | 'scale'> = {}): { major: { x: number[]; y: number[] }; minor: { x: number[]; y: number[] } } {
  check(e, 'axisSegments');
  const k = (options.k ?? 1) * (options.scale ?? 1);
  const c = Math.cos(e.theta);
  const s = Math.sin(e.theta);
  const a = k * Math.sqrt(e.lambdaMax);
  const b = k * Math.sqrt(e.lambdaMin);
  return {
    major: { x: [e.meanX, e.meanX + a * c], y: [e.meanY, e.meanY + a * s] },
    minor: { x: [e.meanX, e.meanX - b * s], y: [e.meanY, e.meanY + b * c] },
  };
}
