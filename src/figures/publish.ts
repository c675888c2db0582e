/**
 * One call per figure/table in a notebook: show it (interactive + static PNG in a notebook, a one-line summary
 * elsewhere) and export it under `<resultsDir>/figures|tables/<notebook>-<name>` (PNG + SVG; CSV + Markdown).
 * Also the per-arm metric rows the ablation notebooks tabulate and plot.
 */
import * as fs from 'fs';
import * as path from 'path';
import { showFigure, exportFigure, type FigureSpec } from '../plot';
import { showTable, writeTable, type Row, type TableOptions } from '../report/table';
import { showPng, showMarkdown } from '../notebook';
import { writeFileAtomic } from '../util/files';
import { currentProfile, type Profile } from '../config/profile';
import { armRunDirs, exportBase, finalEigen, meanStd, type ExperimentData } from './runs';
import type { RunSummary } from '../experiments/run';

export async function publishFigure(fig: FigureSpec, notebook: string, name: string, profile: Profile = currentProfile()): Promise<string> {
  await showFigure(fig);
  const r = await exportFigure(fig, exportBase(notebook, name, 'figures', profile));
  return r.png ?? r.html ?? r.json;
}

export function publishTable(rows: Row[], notebook: string, name: string, opts: TableOptions & { title: string }, profile: Profile = currentProfile()): string {
  if (rows.length === 0) {
    showMarkdown(`*${opts.title}: no rows (nothing to show yet).*`);
    return '';
  }
  showTable(rows, opts);
  return writeTable(rows, exportBase(notebook, name, 'tables', profile), { ...opts, title: opts.note ? `${opts.title} — ${opts.note}` : opts.title }).csv;
}

/** A picture that is not a Plotly figure (e.g. a face with ellipses): shown, and written as PNG + SVG. */
export function publishImage(img: { png: Uint8Array; svg: string }, notebook: string, name: string, alt: string, profile: Profile = currentProfile()): string {
  showPng(img.png, alt);
  const base = exportBase(notebook, name, 'figures', profile);
  fs.mkdirSync(path.dirname(base), { recursive: true });
  writeFileAtomic(`${base}.png`, img.png);
  writeFileAtomic(`${base}.svg`, img.svg);
  return `${base}.png`;
}

export interface ArmMetrics {
  arm: string;
  label: string;
  seeds: number;
  /** Test metrics vs noisy labels and vs clean truth (fractions; NME of the inter-ocular distance). */
  nme: { mean: number; std: number; n: number };
  nmeClean: { mean: number; std: number; n: number };
  fr: { mean: number; std: number; n: number };
  auc: { mean: number; std: number; n: number };
  /** Mean predicted eigenvalues over all landmarks at the end of training (eigen.jsonl, last entry), mean over seeds. */
  lambdaMin: number;
  lambdaMax: number;
}

/** Per-arm metrics over the finished seeds of each arm (arms without runs have n = 0 and NaN means). */
export function armMetrics(d: ExperimentData, armIds: string[] = d.spec.arms.map((a) => a.id)): ArmMetrics[] {
  return armIds.map((id) => {
    const dirs = armRunDirs(d, id);
    const sums = dirs.map((dir) => JSON.parse(fs.readFileSync(path.join(dir, 'summary.json'), 'utf8')) as RunSummary);
    const arm = d.spec.arms.find((a) => a.id === id)!;
    const eig = (k: string) => meanStd(dirs.map((dir) => finalEigen(dir, k)).filter(Number.isFinite)).mean;
    return {
      arm: id, label: arm.label, seeds: dirs.length,
      nme: meanStd(sums.map((s) => s.test.labels.nme)),
      nmeClean: meanStd(sums.filter((s) => s.test.clean).map((s) => s.test.clean!.nme)),
      fr: meanStd(sums.map((s) => s.test.labels.fr)),
      auc: meanStd(sums.map((s) => s.test.labels.auc)),
      lambdaMin: eig('all.lambdaMin'),
      lambdaMax: eig('all.lambdaMax'),
    };
  });
}

/** "4.02 ± 0.05" (scaled), "4.02" for one seed, null for none (prints as "–" and keeps NaN out of tables). */
export function fmtMeanStd(m: { mean: number; std: number; n: number }, scale = 100, digits = 2): string | null {
  if (!m.n || !Number.isFinite(m.mean)) return null;
  return m.n > 1 ? `${(scale * m.mean).toFixed(digits)} ± ${(scale * m.std).toFixed(digits)}` : (scale * m.mean).toFixed(digits);
}

/** Table rows of armMetrics with a data-provenance column. */
export function armMetricRows(ms: ArmMetrics[], label: string): Row[] {
  const num = (v: number, digits: number) => (Number.isFinite(v) ? Number(v.toExponential(digits)) : null);
  return ms.map((m) => ({
    arm: m.label, seeds: m.seeds,
    'NME % (clean truth)': fmtMeanStd(m.nmeClean), 'NME % (noisy labels)': fmtMeanStd(m.nme),
    'FR@0.1 %': fmtMeanStd(m.fr), 'AUC@0.1': fmtMeanStd(m.auc, 1, 4),
    'mean λmin (grid²)': num(m.lambdaMin, 3), 'mean λmax (grid²)': num(m.lambdaMax, 3),
    data: label,
  }));
}
