/**
 * The interactive view of per-prediction records (plotly, offline; its first state is what a static PNG shows):
 * pick a face to see every model's predicted 1σ ellipses (about the distribution mean μ) and decoded predictions over
 * its evaluation crop, pick a landmark to see its
 * eigenvalue distribution (λmax, λmin ECDF over every recorded face and seed) and its ellipse drawn thick on the face.
 * The ellipses are rebuilt from the records (μ = truth + error [+ μ − prediction offset], λ, θ), so the view needs the
 * dataset only for the pixels and the truth: any FaceDataset whose ids match the records. Which pixels end up in a
 * committed output is the caller's decision (synthetic faces only; real faces only in uncommitted output).
 */
import sharp from 'sharp';
import type { PredictionRecords } from '../../analysis/prediction-records';
import type { FaceDataset } from '../../data/dataset';
import { cropMatrix, transformPoints, warpAffine } from '../../data/crop';
import { loadImage } from '../../data/image';
import { axisTitle, validateFigure, type FigureSpec, type Layout, type Trace } from '../plot';
import { ecdf, MODEL_COLOURS } from './distributions';
import { ellipsePath } from './ellipse';

export interface ViewFace {
  id: string;
  /** The evaluation crop (S × S) as a PNG data URI. */
  source: string;
  size: number;
  /** The truth the records' errors are measured against (clean landmarks where the set has them), crop px, flat. */
  truth: Float64Array;
}

/** The evaluation crops and truths of the faces with these ids (plain crop, as evaluate() builds it). */
export async function viewFaces(data: FaceDataset, ids: string[], inputSize: number): Promise<ViewFace[]> {
  const index = new Map<string, number>();
  for (let i = 0; i < data.length; i++) index.set(data.get(i).id, i);
  const out: ViewFace[] = [];
  for (const id of ids) {
    const i = index.get(id);
    if (i === undefined) throw new Error(`viewFaces: ${data.name} has no face "${id}" (the records were made on another dataset)`);
    const s = data.get(i);
    const img = s.pixels ?? (s.imagePath ? await loadImage(s.imagePath) : undefined);
    if (!img) throw new Error(`${s.source ?? s.id}: no pixels and no image path`);
    const m = cropMatrix(s.box, inputSize);
    const raw = warpAffine(img, m, inputSize);
    const rgb = Buffer.from(Uint8Array.from(raw, (v) => Math.max(0, Math.min(255, Math.round(v)))));
    const png = await sharp(rgb, { raw: { width: inputSize, height: inputSize, channels: 3 } }).png().toBuffer();
    const truth = transformPoints(m, Float32Array.from((s.cleanLandmarks ?? s.landmarks).flat()));
    out.push({ id, source: `data:image/png;base64,${png.toString('base64')}`, size: inputSize, truth: Float64Array.from(truth) });
  }
  return out;
}

export interface ViewModel {
  /** Legend label (with its decoder). */
  label: string;
  /** Line colour (default the palette by position). */
  colour?: string;
  /** The run whose ellipses are drawn on the faces. */
  drawn: PredictionRecords;
  /** Every run of the model, pooled for the eigenvalue distributions. */
  pooled: PredictionRecords[];
}

export interface ViewOptions {
  /** Landmarks offered in the landmark menu. */
  landmarks: number[];
  /** Menu text of a landmark (default its index). */
  landmarkName?: (n: number) => string;
  /** Ellipse radius in standard deviations (default 1). */
  k?: number;
  /** Landmarks whose ellipses are drawn on the face (default all; small models' broad ellipses hide each other). */
  drawn?: number[];
  measuredOn: string;
}

const round2 = (v: number) => Math.round(v * 100) / 100;

/** One landmark's ellipse in crop px, from the records. */
function ellipseOf(r: PredictionRecords, face: number, n: number, truth: Float64Array, k: number): { x: number[]; y: number[] } {
  const row = face * r.landmarks + n;
  const px = r.inputSize / r.heatmapSize;
  const mx = truth[2 * n] + (r.errX[row] + (r.meanOffsetX?.[row] ?? 0)) * px;
  const my = truth[2 * n + 1] + (r.errY[row] + (r.meanOffsetY?.[row] ?? 0)) * px;
  const e = ellipsePath({ meanX: mx, meanY: my, lambdaMax: Math.max(0, r.lambdaMax[row]), lambdaMin: Math.max(0, r.lambdaMin[row]), theta: r.angle[row] }, { k, scale: px, points: 12 });
  return { x: e.x.map(round2), y: e.y.map(round2) };
}

export function recordViewFigure(models: ViewModel[], faces: ViewFace[], opts: ViewOptions): FigureSpec {
  if (!models.length || !faces.length || !opts.landmarks.length) throw new Error('recordViewFigure: needs at least one model, face and landmark');
  const k = opts.k ?? 1;
  const name = opts.landmarkName ?? ((n: number) => `landmark ${n}`);
  const rowOf = models.map((m) => new Map(m.drawn.ids.map((id, f) => [id, f])));
  faces.forEach((f) => models.forEach((m, j) => {
    if (!rowOf[j].has(f.id)) throw new Error(`recordViewFigure: ${m.label}'s records have no face "${f.id}"`);
  }));
  const data: Trace[] = [];
  const faceTraces: number[][] = faces.map(() => []);
  const selected: { face: number; model: number; trace: number }[] = [];
  faces.forEach((f, fi) => {
    const vis = fi === 0;
    faceTraces[fi].push(data.push({ type: 'image', name: `face ${f.id}`, source: f.source, x0: 0, y0: 0, dx: 1, dy: 1, visible: vis, hoverinfo: 'skip' }) - 1);
    models.forEach((m, j) => {
      const r = m.drawn;
      const face = rowOf[j].get(f.id)!;
      const xs: (number | null)[] = [];
      const ys: (number | null)[] = [];
      const px: number[] = [];
      const py: number[] = [];
      const text: string[] = [];
      const S = r.inputSize / r.heatmapSize;
      for (const n of opts.drawn ?? Array.from({ length: r.landmarks }, (_, i) => i)) {
        const e = ellipseOf(r, face, n, f.truth, k);
        xs.push(...e.x, null);
        ys.push(...e.y, null);
        const row = face * r.landmarks + n;
        px.push(round2(f.truth[2 * n] + r.errX[row] * S));
        py.push(round2(f.truth[2 * n + 1] + r.errY[row] * S));
        text.push(`${name(n)}: λmax ${r.lambdaMax[row].toFixed(2)}, λmin ${r.lambdaMin[row].toFixed(2)} px²`);
      }
      const colour = MODEL_COLOURS[j % MODEL_COLOURS.length];
      const suffix = fi === 0 ? '' : ` · face ${fi}`;
      faceTraces[fi].push(data.push({
        type: 'scatter', mode: 'lines', name: `${m.label}: ${k}σ ellipses${suffix}`, x: xs, y: ys, hoverinfo: 'skip',
        line: { color: m.colour ?? colour, width: 1 }, visible: vis, legendgroup: m.label, showlegend: fi === 0,
      }) - 1);
      faceTraces[fi].push(data.push({
        type: 'scatter', mode: 'markers', name: `${m.label}: decoded predictions${suffix}`, x: px, y: py, text, hoverinfo: 'text',
        marker: { color: m.colour ?? colour, size: 5, symbol: 'x' }, visible: vis, legendgroup: m.label, showlegend: fi === 0,
      }) - 1);
      const sel = ellipseOf(r, face, opts.landmarks[0], f.truth, k);
      const t = data.push({
        type: 'scatter', mode: 'lines', name: fi === 0 ? `${m.label}: selected landmark` : `${m.label}: selected landmark · face ${fi}`, x: sel.x, y: sel.y,
        line: { color: m.colour ?? colour, width: 4 }, visible: vis, legendgroup: m.label, showlegend: false, hoverinfo: 'skip',
      }) - 1;
      faceTraces[fi].push(t);
      selected.push({ face: fi, model: j, trace: t });
    });
    const tx = Array.from({ length: f.truth.length / 2 }, (_, n) => round2(f.truth[2 * n]));
    const ty = Array.from({ length: f.truth.length / 2 }, (_, n) => round2(f.truth[2 * n + 1]));
    faceTraces[fi].push(data.push({
      type: 'scatter', mode: 'markers', name: fi === 0 ? 'truth' : `truth · face ${fi}`, x: tx, y: ty, marker: { color: '#ff2020', size: 4 },
      visible: vis, showlegend: fi === 0, legendgroup: 'truth', hoverinfo: 'skip',
    }) - 1);
  });
  // Right panel: the selected landmark's eigenvalue ECDFs per model (data replaced by the landmark menu).
  const dist = (m: ViewModel, n: number, key: 'lambdaMax' | 'lambdaMin') => {
    const vals: number[] = [];
    for (const r of m.pooled) for (let f = 0; f < r.faces; f++) {
      const v = r[key][f * r.landmarks + n];
      if (v > 0 && r.visible[f * r.landmarks + n]) vals.push(v);
    }
    const e = ecdf(vals, 60);
    return { x: e.x.map((v) => Number(v.toPrecision(4))), y: e.y.map((v) => Number(v.toFixed(4))) };
  };
  const ecdfTraces: { model: number; key: 'lambdaMax' | 'lambdaMin'; trace: number }[] = [];
  models.forEach((m, j) => (['lambdaMax', 'lambdaMin'] as const).forEach((key) => {
    const e = dist(m, opts.landmarks[0], key);
    const t = data.push({
      type: 'scatter', mode: 'lines', name: `${m.label}: ${key === 'lambdaMax' ? 'λmax' : 'λmin'} of the selected landmark`, x: e.x, y: e.y, xaxis: 'x2', yaxis: 'y2',
      line: { color: m.colour ?? MODEL_COLOURS[j % MODEL_COLOURS.length], dash: key === 'lambdaMax' ? 'solid' : 'dash' }, legendgroup: m.label,
    }) - 1;
    ecdfTraces.push({ model: j, key, trace: t });
  }));
  const allFaceTraces = faceTraces.flat();
  const faceButtons = faces.map((f, fi) => ({
    label: `face ${fi}`,
    method: 'restyle',
    args: [{ visible: allFaceTraces.map((t) => faceTraces[fi].includes(t)) }, allFaceTraces],
  }));
  const landmarkButtons = opts.landmarks.map((n) => {
    const traces: number[] = [];
    const xs: (number | null)[][] = [];
    const ys: (number | null)[][] = [];
    for (const s of selected) {
      const e = ellipseOf(models[s.model].drawn, rowOf[s.model].get(faces[s.face].id)!, n, faces[s.face].truth, k);
      traces.push(s.trace);
      xs.push(e.x);
      ys.push(e.y);
    }
    for (const s of ecdfTraces) {
      const e = dist(models[s.model], n, s.key);
      traces.push(s.trace);
      xs.push(e.x);
      ys.push(e.y);
    }
    return { label: name(n), method: 'restyle', args: [{ x: xs, y: ys }, traces] };
  });
  const S = faces[0].size;
  const layout: Layout = {
    title: { text: `Predicted ${k}σ ellipses on a face, and one landmark's eigenvalues over every face and seed<br><sub>${opts.measuredOn}</sub><br><sub>ellipses about the mean μ, × the decoded prediction; thick: the selected landmark${opts.drawn ? `; ${opts.drawn.length} of ${models[0].drawn.landmarks} landmarks drawn` : ''}</sub>` },
    xaxis: { title: { text: axisTitle({ label: 'x', unit: 'crop px' }) }, domain: [0, 0.48], range: [-0.5, S - 0.5] },
    yaxis: { title: { text: axisTitle({ label: 'y', unit: 'crop px' }) }, range: [S - 0.5, -0.5], scaleanchor: 'x' },
    xaxis2: { title: { text: axisTitle({ label: 'eigenvalue λ', unit: 'heatmap px²' }) }, type: 'log', domain: [0.58, 1], anchor: 'y2' },
    yaxis2: { title: { text: 'fraction of predictions ≤ λ' }, range: [0, 1], anchor: 'x2' },
    showlegend: true,
    legend: { orientation: 'h', x: 0, y: -0.15, yanchor: 'top' },
    width: 1000,
    height: 680,
    margin: { l: 60, r: 20, t: 170, b: 140 },
    updatemenus: [
      { buttons: faceButtons, direction: 'down', x: 0, xanchor: 'left', y: 1.09, yanchor: 'top', showactive: true },
      { buttons: landmarkButtons, direction: 'down', x: 0.58, xanchor: 'left', y: 1.09, yanchor: 'top', showactive: true },
    ],
  };
  return validateFigure({ data, layout });
}
