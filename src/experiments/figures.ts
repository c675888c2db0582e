/** Figures of an experiment, built from its tables and run folders (pure data -> plotly spec), exported to PNG/SVG. */
import * as fs from 'fs';
import * as path from 'path';
import { barFigure, lineFigure, exportFigure, type FigureSpec } from '../plot';
import type { ExperimentTables } from './runner';
import { readJson } from '../util/files';

/** NME per arm (clean truth and noisy labels), mean ± std over seeds. */
export function nmeBarFigure(t: ExperimentTables): FigureSpec {
  const parse = (s: string): [number | null, number] => {
    if (s === '–') return [null, 0];
    const [m, sd] = s.split('±').map((v) => Number(v.trim()));
    return [m, Number.isFinite(sd) ? sd : 0];
  };
  const clean = t.arms.map((a) => parse(a.nmeClean));
  const noisy = t.arms.map((a) => parse(a.nme));
  return barFigure(
    [
      { name: 'vs clean truth', x: t.arms.map((a) => a.label), y: clean.map((c) => c[0]), yError: clean.map((c) => c[1]) },
      { name: 'vs noisy labels', x: t.arms.map((a) => a.label), y: noisy.map((c) => c[0]), yError: noisy.map((c) => c[1]) },
    ],
    { title: `Test NME per arm: ${t.experiment}<br><sub>${t.label}</sub>`, x: { label: 'arm', unit: null }, y: { label: 'test NME', unit: '% inter-ocular' } },
  );
}

/** Training loss per arm (first seed) against step. */
export function learningCurveFigure(t: ExperimentTables, resultsRoot: string): FigureSpec | null {
  const series = t.arms.flatMap((a) => {
    const dir = path.join(resultsRoot, 'runs', t.experiment);
    const runs = fs.existsSync(dir) ? fs.readdirSync(dir).filter((d) => d.startsWith(`${a.arm}-s`)).sort() : [];
    if (!runs.length) return [];
    const f = path.join(dir, runs[0], 'metrics.jsonl');
    if (!fs.existsSync(f)) return [];
    const rows = fs.readFileSync(f, 'utf8').trim().split('\n').filter(Boolean).map((l) => JSON.parse(l) as { step: number; val?: { nme: number } });
    const val = rows.filter((r) => r.val);
    return val.length ? [{ name: a.label, x: val.map((r) => r.step), y: val.map((r) => 100 * r.val!.nme) }] : [];
  });
  if (!series.length) return null;
  return lineFigure(series, { title: `Validation NME during training: ${t.experiment}<br><sub>${t.label}</sub>`, x: { label: 'training step', unit: null }, y: { label: 'validation NME', unit: '% inter-ocular, noisy labels' } });
}

export async function experimentFigures(t: ExperimentTables, resultsRoot: string): Promise<string[]> {
  const out: string[] = [];
  const dir = path.join(resultsRoot, 'figures');
  if (t.arms.every((a) => a.seeds === 0)) return out;
  const bar = await exportFigure(nmeBarFigure(t), path.join(dir, `${t.experiment}-nme`));
  out.push(bar.png ?? bar.html ?? bar.json);
  const lc = learningCurveFigure(t, resultsRoot);
  if (lc) {
    const r = await exportFigure(lc, path.join(dir, `${t.experiment}-val-curve`));
    out.push(r.png ?? r.html ?? r.json);
  }
  void readJson;
  return out;
}
