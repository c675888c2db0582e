/**
 * Landmark schemes: one source of truth for point counts, mirror maps, curve (edge) groups, NME normalisation
 * points and facial-part groups. Facts taken from the official STAR configuration (conf/alignment.py).
 */

export interface EdgeGroup {
  name: string;
  /** True when the curve closes on itself (eyes, lips, WFLW brows). */
  closed: boolean;
  points: number[];
}

export interface NormIndices {
  /** Points averaged for the first reference position. */
  left: number[];
  /** Points averaged for the second reference position. */
  right: number[];
}

export interface LandmarkScheme {
  name: string;
  numPoints: number;
  /** Unordered mirror pairs [a, b]; points not listed map to themselves. */
  flipPairs: [number, number][];
  edges: EdgeGroup[];
  /** Normalisation choices; `default` names the one the official code uses. */
  norms: { ocular: NormIndices; pupil: NormIndices; default: 'ocular' | 'pupil' };
  /** Facial-part groups for per-part statistics. */
  parts: Record<string, number[]>;
  /** Failure-rate threshold the official protocol uses for this scheme. */
  frThreshold: number;
}

const range = (a: number, b: number): number[] => Array.from({ length: b - a + 1 }, (_, i) => a + i);

export const WFLW98: LandmarkScheme = {
  name: 'wflw98',
  numPoints: 98,
  flipPairs: [
    ...range(0, 15).map((i): [number, number] => [i, 32 - i]),
    [33, 46], [34, 45], [35, 44], [36, 43], [37, 42], [38, 50], [39, 49], [40, 48], [41, 47],
    [60, 72], [61, 71], [62, 70], [63, 69], [64, 68], [65, 75], [66, 74], [67, 73],
    [55, 59], [56, 58],
    [76, 82], [77, 81], [78, 80], [87, 83], [86, 84],
    [88, 92], [89, 91], [95, 93], [96, 97],
  ],
  edges: [
    { name: 'contour', closed: false, points: range(0, 32) },
    { name: 'right_brow', closed: true, points: range(33, 41) },
    { name: 'left_brow', closed: true, points: range(42, 50) },
    { name: 'nose_bridge', closed: false, points: range(51, 54) },
    { name: 'nose_base', closed: false, points: range(55, 59) },
    { name: 'right_eye', closed: true, points: range(60, 67) },
    { name: 'left_eye', closed: true, points: range(68, 75) },
    { name: 'outer_lip', closed: true, points: range(76, 87) },
    { name: 'inner_lip', closed: true, points: range(88, 95) },
  ],
  norms: { ocular: { left: [60], right: [72] }, pupil: { left: [96], right: [97] }, default: 'ocular' },
  parts: {
    contour: range(0, 32),
    brows: range(33, 50),
    nose: range(51, 59),
    eyes: range(60, 75),
    mouth: range(76, 95),
    pupils: [96, 97],
  },
  frThreshold: 0.1,
};

export const W300_68: LandmarkScheme = {
  name: '300w68',
  numPoints: 68,
  flipPairs: [
    ...range(0, 7).map((i): [number, number] => [i, 16 - i]),
    [17, 26], [18, 25], [19, 24], [20, 23], [21, 22],
    [31, 35], [32, 34],
    [36, 45], [37, 44], [38, 43], [39, 42], [40, 47], [41, 46],
    [48, 54], [49, 53], [50, 52], [61, 63], [60, 64], [67, 65], [58, 56], [59, 55],
  ],
  edges: [
    { name: 'contour', closed: false, points: range(0, 16) },
    { name: 'right_brow', closed: false, points: range(17, 21) },
    { name: 'left_brow', closed: false, points: range(22, 26) },
    { name: 'nose_bridge', closed: false, points: range(27, 30) },
    { name: 'nose_base', closed: false, points: range(31, 35) },
    { name: 'right_eye', closed: true, points: range(36, 41) },
    { name: 'left_eye', closed: true, points: range(42, 47) },
    { name: 'outer_lip', closed: true, points: range(48, 59) },
    { name: 'inner_lip', closed: true, points: range(60, 67) },
  ],
  norms: { ocular: { left: [36], right: [45] }, pupil: { left: range(36, 41), right: range(42, 47) }, default: 'ocular' },
  parts: { contour: range(0, 16), brows: range(17, 26), nose: range(27, 35), eyes: range(36, 47), mouth: range(48, 67) },
  frThreshold: 0.05,
};

export const COFW29: LandmarkScheme = {
  name: 'cofw29',
  numPoints: 29,
  flipPairs: [[0, 1], [4, 6], [2, 3], [5, 7], [8, 9], [10, 11], [12, 14], [16, 17], [13, 15], [18, 19], [22, 23]],
  // Official order of points along each curve (not index order); the official config marks the left eye open.
  edges: [
    { name: 'right_brow', closed: true, points: [0, 4, 2, 5] },
    { name: 'left_brow', closed: true, points: [1, 6, 3, 7] },
    { name: 'right_eye', closed: true, points: [8, 12, 10, 13] },
    { name: 'left_eye', closed: false, points: [9, 14, 11, 15] },
    { name: 'nose', closed: true, points: [18, 20, 19, 21] },
    { name: 'lower_lip', closed: true, points: [22, 26, 23, 27] },
    { name: 'upper_lip', closed: true, points: [22, 24, 23, 25] },
  ],
  norms: { ocular: { left: [8], right: [9] }, pupil: { left: [16], right: [17] }, default: 'pupil' },
  parts: { brows: range(0, 7), eyes: [...range(8, 15), 16, 17], nose: range(18, 21), mouth: range(22, 27), chin: [28] },
  frThreshold: 0.1,
};

export const BUILTIN_SCHEMES: Record<string, LandmarkScheme> = {
  [WFLW98.name]: WFLW98,
  [W300_68.name]: W300_68,
  [COFW29.name]: COFW29,
};

/** Full permutation for horizontal flip: new index i takes old point perm[i]. */
export function flipPermutation(scheme: LandmarkScheme): number[] {
  const perm = range(0, scheme.numPoints - 1);
  for (const [a, b] of scheme.flipPairs) {
    perm[a] = b;
    perm[b] = a;
  }
  return perm;
}

export function normIndices(scheme: LandmarkScheme, kind: 'ocular' | 'pupil' | 'default' = 'default'): NormIndices {
  return scheme.norms[kind === 'default' ? scheme.norms.default : kind];
}

/** The facial part a point belongs to (first match), or 'other'. */
export function partOf(scheme: LandmarkScheme, index: number): string {
  for (const [part, pts] of Object.entries(scheme.parts)) if (pts.includes(index)) return part;
  return 'other';
}

/**
 * Validate a scheme (built-in or user JSON) and return it typed. `source` names the file in error messages.
 * User schemes: `{ name, numPoints, flipPairs, edges, norms, parts, frThreshold? }`.
 */
export function validateScheme(raw: unknown, source = '<scheme>'): LandmarkScheme {
  const fail = (field: string, why: string): never => {
    throw new Error(`${source}: field "${field}": ${why}`);
  };
  if (typeof raw !== 'object' || raw === null) fail('(root)', 'expected a JSON object');
  const o = raw as Record<string, unknown>;
  if (typeof o.name !== 'string' || o.name.length === 0) fail('name', 'expected a non-empty string');
  const n = o.numPoints;
  if (typeof n !== 'number' || !Number.isInteger(n) || n < 1) fail('numPoints', `expected a positive integer, got ${JSON.stringify(n)}`);
  const N = n as number;
  const idx = (v: unknown, field: string): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < 0 || v >= N) fail(field, `index ${JSON.stringify(v)} is not an integer in [0, ${N - 1}]`);
    return v as number;
  };
  const flipPairs = (Array.isArray(o.flipPairs) ? o.flipPairs : fail('flipPairs', 'expected an array of [a, b] pairs')) as unknown[];
  const seen = new Set<number>();
  const pairs = flipPairs.map((p, k): [number, number] => {
    if (!Array.isArray(p) || p.length !== 2) fail(`flipPairs[${k}]`, 'expected [a, b]');
    const a = idx((p as unknown[])[0], `flipPairs[${k}][0]`);
    const b = idx((p as unknown[])[1], `flipPairs[${k}][1]`);
    for (const v of [a, b]) {
      if (seen.has(v)) fail(`flipPairs[${k}]`, `point ${v} appears in more than one pair`);
      seen.add(v);
    }
    return [a, b];
  });
  const edgesRaw = (o.edges === undefined ? [] : Array.isArray(o.edges) ? o.edges : fail('edges', 'expected an array')) as unknown[];
  const edges = edgesRaw.map((e, k): EdgeGroup => {
    const r = e as Record<string, unknown>;
    if (typeof r !== 'object' || r === null) fail(`edges[${k}]`, 'expected {name, closed, points}');
    if (!Array.isArray(r.points) || r.points.length < 2) fail(`edges[${k}].points`, 'expected at least two indices');
    return {
      name: typeof r.name === 'string' ? r.name : `edge${k}`,
      closed: r.closed === true,
      points: (r.points as unknown[]).map((v, j) => idx(v, `edges[${k}].points[${j}]`)),
    };
  });
  const normsRaw = o.norms as Record<string, unknown> | undefined;
  if (typeof normsRaw !== 'object' || normsRaw === null) fail('norms', 'expected {ocular: {left, right}, pupil?: {...}, default?}');
  const readNorm = (v: unknown, field: string): NormIndices => {
    const r = v as Record<string, unknown>;
    if (typeof r !== 'object' || r === null || !Array.isArray(r.left) || !Array.isArray(r.right) || r.left.length === 0 || r.right.length === 0) {
      fail(field, 'expected {left: number[], right: number[]} with at least one index each');
    }
    return {
      left: (r.left as unknown[]).map((x, j) => idx(x, `${field}.left[${j}]`)),
      right: (r.right as unknown[]).map((x, j) => idx(x, `${field}.right[${j}]`)),
    };
  };
  const ocular = readNorm(normsRaw!.ocular, 'norms.ocular');
  const pupil = normsRaw!.pupil === undefined ? ocular : readNorm(normsRaw!.pupil, 'norms.pupil');
  const def = normsRaw!.default ?? 'ocular';
  if (def !== 'ocular' && def !== 'pupil') fail('norms.default', `expected "ocular" or "pupil", got ${JSON.stringify(def)}`);
  const partsRaw = (o.parts ?? { all: range(0, N - 1) }) as Record<string, unknown>;
  if (typeof partsRaw !== 'object' || partsRaw === null) fail('parts', 'expected an object of name -> indices');
  const parts: Record<string, number[]> = {};
  for (const [k, v] of Object.entries(partsRaw)) {
    if (!Array.isArray(v)) fail(`parts.${k}`, 'expected an array of indices');
    parts[k] = (v as unknown[]).map((x, j) => idx(x, `parts.${k}[${j}]`));
  }
  const fr = o.frThreshold ?? 0.1;
  if (typeof fr !== 'number' || !(fr > 0 && fr < 1)) fail('frThreshold', `expected a number in (0, 1), got ${JSON.stringify(fr)}`);
  return {
    name: o.name as string, numPoints: N, flipPairs: pairs, edges,
    norms: { ocular, pupil, default: def as 'ocular' | 'pupil' }, parts, frThreshold: fr as number,
  };
}

/** Look a scheme up by name (built-ins: wflw98, 300w68, cofw29; aliases wflw, 300w, cofw). */
export function getScheme(name: string): LandmarkScheme {
  const alias: Record<string, string> = { wflw: 'wflw98', '300w': '300w68', cofw: 'cofw29' };
  const s = BUILTIN_SCHEMES[alias[name.toLowerCase()] ?? name.toLowerCase()];
  if (!s) throw new Error(`unknown landmark scheme "${name}" (built-in: ${Object.keys(BUILTIN_SCHEMES).join(', ')}; load your own with validateScheme)`);
  return s;
}
