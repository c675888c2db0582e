/**
 * Distributions of predicted eigenvalues, anisotropy, axis direction and calibration from per-prediction records
 * (analysis/prediction-records.ts), pooled over seeds and shown per model side by side: the statistics (pure
 * functions, tested against hand-computed values) and the figures built on them. Every builder takes `measuredOn`,
 * a sentence naming the data (benchmark, profile, faces, seeds), and adds what it selects itself (landmarks, faces).
 * Units are the records' (heatmap px). Models are labelled with the decoder their errors use.
 */
import { derivedRows, type DerivedRows, type PredictionRecords } from '../../analysis/prediction-records';
import { eigenTrajectory, readRunConfig } from '../../runs/folder';
import { barFigure, lineFigure, panelFigure, type Band, type FigureSpec, type Panel, type Series } from '../plot';
import { quantile } from './anisotropy';

/** One run's records: the model (arm) it belongs to, its seed and (when read from one) its run folder. */
export interface RecordSet {
  model: string;
  seed: number;
  records: PredictionRecords;
  dir?: string;
  /** The model's colour in every figure (default: the palette in order of first appearance). */
  colour?: string;
}

/** Legend label of a model with the decoder its errors use, e.g. "heatmap MSE (argmax)". */
export function modelLabel(model: string, decoder: PredictionRecords['decoder']): string {
  return `${model} (${DECODER_NAMES[decoder]})`;
}

/** "…: the first 250 of 1,000 test faces of each run, seeds 1–3 pooled; errors vs the clean truth": what record sets hold. */
export function describeRecordSets(label: string, sets: RecordSet[]): string {
  if (!sets.length) return `${label}: no records`;
  const faces = [...new Set(sets.map((s) => s.records.faces))];
  const total = [...new Set(sets.map((s) => s.records.totalFaces))];
  const seeds = [...new Set(sets.map((s) => s.seed))].sort((a, b) => a - b);
  // Arms of a grid in progress can have different seeds: then each arm's are named, not their union.
  const armOf = (s: RecordSet) => (s.dir ? (s.dir.split(/[\\/]/).pop() ?? s.model).replace(/-s\d+$/, '') : s.model);
  const perArm = new Map<string, number[]>();
  for (const s of sets) perArm.set(armOf(s), [...(perArm.get(armOf(s)) ?? []), s.seed]);
  const lists = [...perArm].map(([arm, ss]) => [arm, [...new Set(ss)].sort((a, b) => a - b).join(', ')] as const);
  const seedText = new Set(lists.map(([, l]) => l)).size <= 1
    ? `seed${seeds.length > 1 ? 's' : ''} ${seeds.join(', ')} pooled`
    : `seeds pooled per arm (${lists.map(([arm, l]) => `${arm}: ${l}`).join('; ')})`;
  const truth = [...new Set(sets.map((s) => s.records.truth))].map((t) => (t === 'clean' ? 'the clean truth' : 'the labels')).join(' / ');
  const n = (v: number[]) => v.map((x) => x.toLocaleString('en')).join('/');
  return `${label}: ${faces.join('/') === total.join('/') ? `all ${n(total)}` : `the first ${n(faces)} of ${n(total)}`} test faces of each run, ` +
    `${seedText}; errors vs ${truth}`;
}

/** One colour per model, in the order models first appear, the same in every figure of a notebook. */
export const MODEL_COLOURS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd', '#ff7f0e', '#8c564b', '#17becf', '#7f7f7f'];

const DECODER_NAMES: Record<PredictionRecords['decoder'], string> = { 'soft-argmax': 'soft-argmax', 'argmax-subpixel': 'argmax' };

interface ModelGroup {
  model: string;
  /** "<model> (<decoder>)": how legends name it. */
  label: string;
  colour: string;
  sets: RecordSet[];
  derived: DerivedRows[];
}

function byModel(sets: RecordSet[]): ModelGroup[] {
  const groups: ModelGroup[] = [];
  for (const s of sets) {
    let g = groups.find((x) => x.model === s.model);
    if (!g) {
      const decoders = [...new Set(sets.filter((x) => x.model === s.model).map((x) => DECODER_NAMES[x.records.decoder]))];
      g = { model: s.model, label: `${s.model} (${decoders.join('/')})`, colour: s.colour ?? MODEL_COLOURS[groups.length % MODEL_COLOURS.length], sets: [], derived: [] };
      groups.push(g);
    }
    g.sets.push(s);
    g.derived.push(derivedRows(s.records));
  }
  return groups;
}

/** Which rows of a record set to pool: landmarks (default all) and faces (default all). */
export interface RowSelection {
  landmarks?: number[];
  faces?: (r: PredictionRecords) => number[];
}

/** Values of one per-row quantity, pooled over the selected rows of every set (visible rows only, NaN dropped). */
export function pooled(sets: { records: PredictionRecords }[], value: (r: PredictionRecords, d: DerivedRows, row: number) => number, sel: RowSelection = {}, derived?: DerivedRows[]): number[] {
  const out: number[] = [];
  sets.forEach((s, k) => {
    const r = s.records;
    const d = derived?.[k] ?? derivedRows(r);
    const N = r.landmarks;
    const lms = sel.landmarks ?? Array.from({ length: N }, (_, i) => i);
    const faces = sel.faces ? sel.faces(r) : Array.from({ length: r.faces }, (_, i) => i);
    for (const f of faces) {
      for (const n of lms) {
        const row = f * N + n;
        if (!r.visible[row]) continue;
        const v = value(r, d, row);
        if (!Number.isNaN(v)) out.push(v);
      }
    }
  });
  return out;
}

/**
 * The empirical CDF at up to `points` of the sorted values (always the smallest and the largest): x an observed value,
 * y the fraction of values ≤ x. Exact at every point drawn.
 */
export function ecdf(values: number[], points = 120): { x: number[]; y: number[] } {
  const s = values.filter(Number.isFinite).sort((a, b) => a - b);
  const n = s.length;
  if (n === 0) return { x: [], y: [] };
  const x: number[] = [];
  const y: number[] = [];
  const m = Math.min(points, n);
  for (let j = 0; j < m; j++) {
    const i = m === 1 ? n - 1 : Math.round((j * (n - 1)) / (m - 1));
    const v = s[i];
    if (x.length && x[x.length - 1] === v) continue;
    let k = i;
    while (k + 1 < n && s[k + 1] === v) k++;
    x.push(v);
    y.push((k + 1) / n);
  }
  return { x, y };
}

/** Fraction of the values in each bin [edges[i], edges[i+1]) (the last bin closed); values outside are not counted. */
export function histogram(values: number[], edges: number[]): number[] {
  const counts = new Array<number>(edges.length - 1).fill(0);
  let total = 0;
  for (const v of values) {
    if (!Number.isFinite(v)) continue;
    total += 1;
    for (let i = 0; i < counts.length; i++) {
      if (v >= edges[i] && (v < edges[i + 1] || (i === counts.length - 1 && v === edges[i + 1]))) {
        counts[i] += 1;
        break;
      }
    }
  }
  return counts.map((c) => (total ? c / total : 0));
}

/** Faces whose NME is at most the q-quantile (easy) or at least the (1 − q)-quantile (hard) of their own run. */
export function easyHardFaces(nme: ArrayLike<number>, q = 0.25): { easy: number[]; hard: number[] } {
  if (!(q > 0 && q <= 0.5)) throw new Error(`easyHardFaces: q must be in (0, 0.5], got ${q}`);
  const v = Array.from(nme);
  const lo = quantile(v, q);
  const hi = quantile(v, 1 - q);
  return { easy: v.flatMap((x, i) => (x <= lo ? [i] : [])), hard: v.flatMap((x, i) => (x >= hi ? [i] : [])) };
}

const positive = (xs: number[]) => xs.filter((v) => v > 0 && Number.isFinite(v));
/** Two subtitle lines: what the data is (the caller's) and what this figure selects (the builder's). */
const sub = (measuredOn: string, what: string) => `<br><sub>${measuredOn}</sub><br><sub>${what}</sub>`;

/** ECDFs of λmax (solid) and λmin (dashed) per landmark group, one panel per group, models side by side (log axis). */
export function lambdaByPartFigure(sets: RecordSet[], parts: Record<string, number[]>, measuredOn: string): FigureSpec {
  const groups = byModel(sets);
  const panels: Panel[] = Object.entries(parts).map(([part, idx]) => ({
    title: part,
    series: groups.flatMap((g): Series[] => (['lambdaMax', 'lambdaMin'] as const).flatMap((k) => {
      const e = ecdf(positive(pooled(g.sets, (r, _d, row) => r[k][row], { landmarks: idx }, g.derived)));
      return e.x.length ? [{ name: `${g.label}: ${k === 'lambdaMax' ? 'λmax' : 'λmin'}`, x: e.x, y: e.y, color: g.colour, dash: k === 'lambdaMax' ? 'solid' : 'dash' }] : [];
    })),
  }));
  return panelFigure(panels, {
    title: `Predicted eigenvalues per landmark group (ECDF over faces × landmarks, seeds pooled)${sub(measuredOn, 'solid λmax, dashed λmin')}`,
    x: { label: 'eigenvalue λ', unit: 'heatmap px²', type: 'log' }, y: { label: 'fraction ≤ λ', unit: null, range: [0, 1] },
  });
}

export interface AnisotropyContrast {
  /** Panel title, e.g. "contour vs eye corners". */
  title: string;
  /** Two selections compared (solid = first, dashed = second), each over its own record sets. */
  a: { label: string; sets: RecordSet[]; select: RowSelection };
  b: { label: string; sets: RecordSet[]; select: RowSelection };
}

/** λmax/λmin of a selection, pooled (finite ratios only). */
export function ratios(sets: RecordSet[], select: RowSelection): number[] {
  return pooled(sets, (_r, d, row) => d.ratio[row], select).filter(Number.isFinite);
}

/** ECDFs of λmax/λmin for contrasts (contour vs eye corners, easy vs hard faces, clean vs ambiguous labels), per model. */
export function anisotropyContrastFigure(contrasts: AnisotropyContrast[], measuredOn: string): FigureSpec {
  const models = byModel(contrasts.flatMap((c) => [...c.a.sets, ...c.b.sets]));
  const panels: Panel[] = contrasts.map((c) => ({
    title: c.title,
    series: models.flatMap((g): Series[] => ([[c.a, 'solid'], [c.b, 'dash']] as const).flatMap(([side, dash]) => {
      const own = side.sets.filter((s) => s.model === g.model);
      const e = ecdf(ratios(own, side.select));
      return e.x.length ? [{ name: `${g.label}: ${side.label}`, x: e.x, y: e.y, color: g.colour, dash }] : [];
    })),
  }));
  return panelFigure(panels, {
    title: `Anisotropy λmax/λmin of the predicted distributions (ECDF, seeds pooled)${sub(measuredOn, 'solid = first named, dashed = second')}`,
    x: { label: 'λmax / λmin', unit: null, type: 'log' }, y: { label: 'fraction ≤ ratio', unit: null, range: [0, 1] },
  });
}

/** Angle of the major axis to the true tangent, degrees in (−90, 90], pooled over the selection. */
export function anglesToTangent(sets: RecordSet[], select: RowSelection = {}): number[] {
  return pooled(sets, (_r, d, row) => (d.angleToTangent[row] * 180) / Math.PI, select);
}

/** Histogram of the major axis's angle to the true contour tangent (0° = the long axis follows the curve), per model. */
export function angleToTangentFigure(sets: RecordSet[], select: RowSelection & { what: string }, measuredOn: string, binDeg = 10): FigureSpec {
  const edges = Array.from({ length: Math.round(180 / binDeg) + 1 }, (_, i) => -90 + i * binDeg);
  const centres = edges.slice(0, -1).map((e) => e + binDeg / 2);
  const series = byModel(sets).map((g): Series => ({ name: g.label, x: centres, y: histogram(anglesToTangent(g.sets, select), edges).map((v) => Number(v.toFixed(5))), color: g.colour }));
  const fig = barFigure(series, {
    title: `Major axis vs the true curve tangent (seeds pooled)${sub(measuredOn, `${select.what}; ${binDeg}° bins`)}`,
    x: { label: 'angle of the λmax axis to the tangent', unit: '°' }, y: { label: 'fraction of predictions', unit: null },
  });
  fig.layout.xaxis = { ...fig.layout.xaxis, dtick: 30 };
  return fig;
}

export interface CalibrationBin {
  /** Mean predicted σ along the tangent in the bin, RMS tangent error, number of predictions. */
  sigma: number;
  rmsError: number;
  n: number;
}

/** Equal-count bins of σ (sorted): per bin the mean σ and the RMS of the paired errors. */
export function calibrationBins(sigma: number[], err: number[], bins = 10): CalibrationBin[] {
  if (sigma.length !== err.length) throw new Error(`calibrationBins: ${sigma.length} σ values but ${err.length} errors`);
  const pairs = sigma.map((s, i) => [s, err[i]]).filter(([s, e]) => Number.isFinite(s) && Number.isFinite(e)).sort((a, b) => a[0] - b[0]);
  const n = pairs.length;
  const k = Math.min(bins, n);
  return Array.from({ length: k }, (_, b) => {
    const part = pairs.slice(Math.floor((b * n) / k), Math.floor(((b + 1) * n) / k));
    return {
      sigma: part.reduce((a, p) => a + p[0], 0) / part.length,
      rmsError: Math.sqrt(part.reduce((a, p) => a + p[1] * p[1], 0) / part.length),
      n: part.length,
    };
  });
}

/** σ along the tangent and the tangent error of one model's selected predictions (rows with a tangent). */
export function tangentCalibration(sets: RecordSet[], select: RowSelection = {}, bins = 10): CalibrationBin[] {
  const sigma = pooled(sets, (_r, d, row) => (Number.isNaN(d.errTangent[row]) ? NaN : d.sigmaTangent[row]), select);
  const err = pooled(sets, (_r, d, row) => (Number.isNaN(d.sigmaTangent[row]) ? NaN : d.errTangent[row]), select);
  return calibrationBins(sigma, err, bins);
}

/** Calibration: RMS error along the true tangent against the predicted σ along it (binned); the diagonal is honest. */
export function calibrationFigure(sets: RecordSet[], select: RowSelection & { what: string }, measuredOn: string, bins = 10): FigureSpec {
  const groups = byModel(sets);
  const series: Series[] = groups.map((g) => {
    const c = tangentCalibration(g.sets, select, bins);
    return { name: g.label, x: c.map((b) => b.sigma), y: c.map((b) => b.rmsError), color: g.colour };
  });
  const top = Math.max(0, ...series.flatMap((s) => [...(s.x as number[]), ...(s.y as number[])]));
  series.push({ name: 'honest σ (RMS error = σ)', x: [0, top], y: [0, top], color: '#7f7f7f', dash: 'dot' });
  return lineFigure(series, {
    title: `Is the predicted spread an honest uncertainty? (seeds pooled)${sub(measuredOn, `${select.what}; ${bins} equal-count bins of σ per model`)}`,
    x: { label: 'predicted σ along the true tangent, √(tᵀΣt)', unit: 'heatmap px' }, y: { label: 'RMS error along the tangent', unit: 'heatmap px' },
  });
}

export interface SeedSpread {
  /** Per landmark: RMS distance of each seed's prediction to the seeds' mean prediction, averaged over shared faces. */
  spread: number[];
  /** Per landmark: mean √(λmax + λmin) (the predicted distribution's RMS radius) over the same faces and seeds. */
  radius: number[];
  /** Faces predicted by at least two seeds. */
  faces: number;
  seeds: number;
}

/**
 * Across-seed spread of one model's predictions on the same faces (official std_analysis idea), next to the predicted
 * spread. Faces are matched by id; with per-seed datasets (data seed = run seed) no face is shared and this is null.
 */
export function seedSpread(sets: RecordSet[]): SeedSpread | null {
  if (sets.length < 2) return null;
  const N = sets[0].records.landmarks;
  const byId = new Map<string, { set: number; face: number }[]>();
  sets.forEach((s, k) => s.records.ids.forEach((id, f) => byId.set(id, [...(byId.get(id) ?? []), { set: k, face: f }])));
  const shared = [...byId.values()].filter((v) => v.length >= 2);
  if (!shared.length) return null;
  const spread = new Array<number>(N).fill(0);
  const radius = new Array<number>(N).fill(0);
  const count = new Array<number>(N).fill(0);
  for (const members of shared) {
    for (let n = 0; n < N; n++) {
      const pts = members.map(({ set, face }) => {
        const r = sets[set].records;
        const row = face * N + n;
        return [r.errX[row], r.errY[row], r.lambdaMax[row] + r.lambdaMin[row]];
      });
      // The truth is shared, so the spread of the errors is the spread of the predictions.
      const mx = pts.reduce((a, p) => a + p[0], 0) / pts.length;
      const my = pts.reduce((a, p) => a + p[1], 0) / pts.length;
      spread[n] += Math.sqrt(pts.reduce((a, p) => a + (p[0] - mx) ** 2 + (p[1] - my) ** 2, 0) / pts.length);
      radius[n] += pts.reduce((a, p) => a + Math.sqrt(Math.max(0, p[2])), 0) / pts.length;
      count[n] += 1;
    }
  }
  return { spread: spread.map((v, n) => v / count[n]), radius: radius.map((v, n) => v / count[n]), faces: shared.length, seeds: sets.length };
}

/** Per landmark: across-seed spread of the predictions (markers) next to the predicted RMS radius (line), a panel per model. */
export function seedSpreadFigure(sets: RecordSet[], measuredOn: string): FigureSpec | null {
  const panels: Panel[] = [];
  for (const g of byModel(sets)) {
    const s = seedSpread(g.sets);
    if (!s) continue;
    const x = s.spread.map((_, n) => n);
    panels.push({
      title: `${g.label}: ${s.seeds} seeds, ${s.faces} faces`,
      series: [
        { name: `${g.label}: spread across seeds`, x, y: s.spread, color: g.colour },
        { name: `${g.label}: predicted √(λmax+λmin)`, x, y: s.radius, color: g.colour, dash: 'dash' },
      ],
    });
  }
  if (!panels.length) return null;
  return panelFigure(panels, {
    title: `Spread of predictions across seeds vs the predicted spread, per landmark${sub(measuredOn, 'the same faces predicted by every seed')}`,
    x: { label: 'landmark index', unit: null }, y: { label: 'RMS radius', unit: 'heatmap px' }, columns: 1, mode: 'lines',
  });
}

/** Per step, the median and the 10% / 90% quantiles of the values of several runs (steps every run logged). */
export function bandOverRuns(runs: { step: number[]; value: number[] }[], lo = 0.1, hi = 0.9): { step: number[]; median: number[]; lo: number[]; hi: number[] } {
  if (!runs.length) return { step: [], median: [], lo: [], hi: [] };
  const maps = runs.map((r) => new Map(r.step.map((s, i) => [s, r.value[i]])));
  const steps = runs[0].step.filter((s) => maps.every((m) => m.has(s)));
  const at = (s: number) => maps.map((m) => m.get(s)!);
  return { step: steps, median: steps.map((s) => quantile(at(s), 0.5)), lo: steps.map((s) => quantile(at(s), lo)), hi: steps.map((s) => quantile(at(s), hi)) };
}

/** A run folder and the model/seed it stands for (eigen.jsonl and config.json are read from it). */
export interface RunRef {
  model: string;
  seed: number;
  dir: string;
  colour?: string;
}

/** A run's eigen.jsonl trajectory of `key` (e.g. 'contour.lambdaMax') in heatmap px² (its config.json gives H). */
export function trajectoryPx(dir: string, key: string): { step: number[]; value: number[] } {
  const H = (readRunConfig(dir)?.model as { heatmapSize?: number } | undefined)?.heatmapSize;
  if (!H) throw new Error(`${dir}: config.json has no model.heatmapSize (needed to state eigenvalues in heatmap px²)`);
  const t = eigenTrajectory(dir, key);
  const k = ((H - 1) / 2) ** 2;
  return { step: t.step, value: t.value.map((v) => v * k) };
}

/**
 * Was this run's eigen.jsonl logged from distributions? A covariance has no negative eigenvalue, so a logged mean λmin
 * below −1e-6 grid units² means the moments were taken of raw linear maps (heatmap-regression arms trained before
 * train/fit.ts partEigenStats read ReLU(map)): such trajectories are left out and counted.
 */
export function loggedDistributions(dir: string, key: string): boolean {
  const part = key.replace(/\.lambda(Max|Min)$/, '');
  return eigenTrajectory(dir, `${part}.lambdaMin`).value.every((v) => v >= -1e-6);
}

/** Eigenvalue trajectories during training: per model the median over seeds and the 10–90% band, a panel per key. */
export function eigenTrajectoryFigure(runs: RunRef[], keys: { key: string; title: string }[], measuredOn: string): FigureSpec | null {
  const models = [...new Set(runs.map((r) => r.model))];
  const left = new Set<string>();
  const panels: Panel[] = keys.map(({ key, title }) => ({
    title,
    bands: models.flatMap((m, i): Band[] => {
      const mine = runs.filter((r) => r.model === m);
      mine.filter((r) => !loggedDistributions(r.dir, key)).forEach((r) => left.add(r.dir));
      const own = mine.filter((r) => loggedDistributions(r.dir, key)).map((r) => trajectoryPx(r.dir, key)).filter((t) => t.step.length);
      if (!own.length) return [];
      const b = bandOverRuns(own);
      const color = mine.find((r) => r.colour)?.colour ?? MODEL_COLOURS[i % MODEL_COLOURS.length];
      return [{ name: `${m} (${own.length} seed${own.length > 1 ? 's' : ''})`, x: b.step, centre: b.median, lo: b.lo, hi: b.hi, color, bandLabel: '10–90% over seeds' }];
    }),
  }));
  if (panels.every((p) => !p.bands?.length)) return null;
  const note = left.size ? `; ${left.size} run${left.size > 1 ? 's' : ''} left out (logged λmin < 0: raw linear maps, not distributions)` : '';
  return panelFigure(panels, {
    title: `Predicted eigenvalues during training: median over seeds and 10–90% band${sub(measuredOn, `mean over the landmarks of a training batch (eigen.jsonl)${note}`)}`,
    x: { label: 'training step', unit: null }, y: { label: 'mean eigenvalue', unit: 'heatmap px²', type: 'log' },
  });
}

/** Landmark selections the summary reads (WFLW-98 defaults: contour 0–32, the paper's eye corners 60, 64, 68, 72). */
export interface SummarySelections {
  contour: number[];
  corners: number[];
  /** Easy/hard split quantile (default 0.25). */
  q?: number;
  /** Half-width of "the major axis follows the tangent", degrees (default 15). */
  alignedDeg?: number;
}

/** Median λmax/λmin of two selections, pooled and per seed (paired by seed number). */
export interface RatioContrast {
  a: number;
  b: number;
  /** Seeds present on both sides, and in how many of them a's median exceeds b's. */
  seeds: number;
  aHigherIn: number;
}

export function ratioContrast(a: { sets: RecordSet[]; select: RowSelection }, b: { sets: RecordSet[]; select: RowSelection }): RatioContrast {
  const seeds = [...new Set(a.sets.map((s) => s.seed))].filter((seed) => b.sets.some((s) => s.seed === seed));
  const med = (side: typeof a, seed?: number) => median(ratios(seed === undefined ? side.sets : side.sets.filter((s) => s.seed === seed), side.select));
  return { a: med(a), b: med(b), seeds: seeds.length, aHigherIn: seeds.filter((seed) => med(a, seed) > med(b, seed)).length };
}

/** One model's distribution summary: the numbers the notebook's verdict sentences are made of. */
export interface ModelSummary {
  model: string;
  seeds: number;
  predictions: number;
  /** Median λmax/λmin: contour vs eye corners, hard vs easy faces (all landmarks). */
  contourVsCorners: RatioContrast;
  hardVsEasy: RatioContrast;
  /** Fraction of contour predictions whose major axis is within ±alignedDeg of the true tangent (uniform: alignedDeg/90). */
  alignedContour: number;
  /** √mean(e_t²) / √mean(σ_t²) over predictions with a tangent: 1 honest, < 1 the predicted spread is wider than the error. */
  calibrationRatio: number;
}

const median = (xs: number[]) => quantile(xs, 0.5);

export function modelSummaries(sets: RecordSet[], sel: SummarySelections): ModelSummary[] {
  const q = sel.q ?? 0.25;
  const deg = sel.alignedDeg ?? 15;
  return byModel(sets).map((g): ModelSummary => {
    const faces = (which: 'easy' | 'hard') => (r: PredictionRecords) => easyHardFaces(r.nme, q)[which];
    const angles = anglesToTangent(g.sets, { landmarks: sel.contour });
    const sig2 = pooled(g.sets, (_r, d, row) => (Number.isNaN(d.errTangent[row]) ? NaN : d.sigmaTangent[row] ** 2), {}, g.derived);
    const err2 = pooled(g.sets, (_r, d, row) => (Number.isNaN(d.sigmaTangent[row]) ? NaN : d.errTangent[row] ** 2), {}, g.derived);
    const mean = (xs: number[]) => (xs.length ? xs.reduce((a, b) => a + b, 0) / xs.length : NaN);
    return {
      model: g.label,
      seeds: g.sets.length,
      predictions: g.sets.reduce((a, x) => a + x.records.faces * x.records.landmarks, 0),
      contourVsCorners: ratioContrast({ sets: g.sets, select: { landmarks: sel.contour } }, { sets: g.sets, select: { landmarks: sel.corners } }),
      hardVsEasy: ratioContrast({ sets: g.sets, select: { faces: faces('hard') } }, { sets: g.sets, select: { faces: faces('easy') } }),
      alignedContour: angles.length ? angles.filter((a) => Math.abs(a) <= deg).length / angles.length : NaN,
      calibrationRatio: Math.sqrt(mean(err2)) / Math.sqrt(mean(sig2)),
    };
  });
}

/** "2.23 vs 1.46 (higher in 3 of 3 seeds)": a contrast as verdict text. */
export function contrastText(c: RatioContrast, aName: string, bName: string): string {
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  return `${f(c.a)} ${aName} vs ${f(c.b)} ${bName} (${aName} higher in ${c.aHigherIn} of ${c.seeds} seed${c.seeds === 1 ? '' : 's'})`;
}

/** Verdict sentences from the summaries (numbers formatted here, nothing typed by hand). */
export function summarySentences(rows: ModelSummary[], sel: SummarySelections): string[] {
  const deg = sel.alignedDeg ?? 15;
  const f = (v: number) => (Number.isFinite(v) ? v.toFixed(2) : 'n/a');
  const pct = (v: number) => (Number.isFinite(v) ? `${(100 * v).toFixed(0)}%` : 'n/a');
  return rows.map((r) => {
    const cal = !Number.isFinite(r.calibrationRatio) ? 'no tangent to calibrate against'
      : r.calibrationRatio < 0.9 ? `its spread along the tangent is wider than its error (RMS error / σ = ${f(r.calibrationRatio)}: under-confident)`
        : r.calibrationRatio > 1.1 ? `its spread along the tangent is narrower than its error (RMS error / σ = ${f(r.calibrationRatio)}: over-confident)`
          : `its spread along the tangent matches its error (RMS error / σ = ${f(r.calibrationRatio)})`;
    return `**${r.model}** (${r.seeds} seed${r.seeds > 1 ? 's' : ''}, ${r.predictions.toLocaleString('en')} predictions): median λmax/λmin ` +
      `${contrastText(r.contourVsCorners, 'on the contour', 'at the eye corners')}; ${contrastText(r.hardVsEasy, 'on hard faces', 'on easy faces')}; ` +
      `the major axis is within ±${deg}° of the contour tangent for ${pct(r.alignedContour)} of contour predictions (uniform directions: ${pct(deg / 90)}); ${cal}.`;
  });
}

/** The summaries as table rows (missing values as null, which tables print as a dash). */
export function summaryRows(rows: ModelSummary[], sel: SummarySelections): Record<string, string | number | null>[] {
  const v = (x: number) => (Number.isFinite(x) ? x : null);
  return rows.map((r) => ({
    model: r.model, seeds: r.seeds, predictions: r.predictions,
    'median λmax/λmin, contour': v(r.contourVsCorners.a), 'eye corners': v(r.contourVsCorners.b), 'hard faces': v(r.hardVsEasy.a), 'easy faces': v(r.hardVsEasy.b),
    [`axis within ±${sel.alignedDeg ?? 15}° of the contour tangent`]: v(r.alignedContour), 'RMS tangent error / σ': v(r.calibrationRatio),
  }));
}
