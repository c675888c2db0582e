/** Figures of an experiment, built from its aggregated results and run folders (pure data -> plotly spec), exported to PNG/SVG. */
import * as path from 'path';
import { barFigure, lineFigure, exportFigure, type FigureSpec } from '../plot';
import { readValidations, runDirFor } from '../../runs/folder';
import type { ExperimentResults } from '../../runs/aggregate';
import type { SeedStats } from '../../runs/stats';

/** NME per arm (clean truth and noisy labels), mean ± sd over seeds; no error bar where one seed gives no spread. */
export function nmeBarFigure(r: ExperimentResults, label: string): FigureSpec {
  // Rounded as the tables print them, so the figure and its table show the same numbers.
  const round2 = (v: number) => Number(v.toFixed(2));
  const y = (s: SeedStats) => (s.n ? round2(100 * s.mean) : null);
  const err = (s: SeedStats) => (s.n > 1 ? round2(100 * s.sd) : null);
  const seeds = Math.max(0, ...r.arms.map((a) => a.seeds.length));
  const spread = seeds > 1 ? 'bars: mean ± sd over seeds' : 'one seed: no spread, no error bars';
  const x = r.arms.map((a) => a.label);
  return barFigure(
    [
      { name: 'vs clean truth', x, y: r.arms.map((a) => y(a.nmeClean)), yError: r.arms.map((a) => err(a.nmeClean)) },
      { name: 'vs noisy labels', x, y: r.arms.map((a) => y(a.nme)), yError: r.arms.map((a) => err(a.nme)) },
    ],
    { title: `Test NME per arm: ${r.experiment}<br><sub>${label}; ${spread}</sub>`, x: { label: 'arm', unit: null }, y: { label: 'test NME', unit: '% inter-ocular' } },
  );
}

/** Validation NME per arm (its first finished seed) against step. */
export function learningCurveFigure(r: ExperimentResults, label: string, resultsRoot: string): FigureSpec | null {
  const series = r.arms.flatMap((a) => {
    if (!a.seeds.length) return [];
    const val = readValidations(runDirFor(resultsRoot, { name: r.experiment }, { id: a.arm }, a.seeds[0]));
    return val.length ? [{ name: a.label, x: val.map((v) => v.step), y: val.map((v) => 100 * v.val.nme) }] : [];
  });
  if (!series.length) return null;
  return lineFigure(series, { title: `Validation NME during training: ${r.experiment}<br><sub>${label}</sub>`, x: { label: 'training step', unit: null }, y: { label: 'validation NME', unit: '% inter-ocular, noisy labels' } });
}

/** Writes `<resultsRoot>/figures/<experiment>-nme` and `-val-curve`; returns the files to show (PNG, else HTML or JSON). */
export async function experimentFigures(r: ExperimentResults, label: string, resultsRoot: string): Promise<string[]> {
  const out: string[] = [];
  const dir = path.join(resultsRoot, 'figures');
  if (r.arms.every((a) => a.seeds.length === 0)) return out;
  const bar = await exportFigure(nmeBarFigure(r, label), path.join(dir, `${r.experiment}-nme`));
  out.push(bar.png ?? bar.html ?? bar.json);
  const lc = learningCurveFigure(r, label, resultsRoot);
  if (lc) {
    const v = await exportFigure(lc, path.join(dir, `${r.experiment}-val-curve`));
    out.push(v.png ?? v.html ?? v.json);
  }
  return out;
}
