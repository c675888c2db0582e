/**
 * One call per figure/table in a notebook: show it (interactive + static PNG in a notebook, a one-line summary
 * elsewhere) and export it under `<resultsDir>/figures|tables/<notebook>-<name>` (PNG + SVG; CSV + Markdown).
 */
import * as fs from 'fs';
import * as path from 'path';
import { showFigure, exportFigure, type FigureSpec } from './plot';
import { showTable, writeTable, type Row, type TableOptions } from './table';
import { showPng, showMarkdown } from './display';
import { writeFileAtomic } from '../util/files';
import { currentProfile, PROJECT_ROOT, resultsDir, type Profile } from '../config/profile';

/** Figure/table export base path: `<resultsDir>/figures/<notebook>-<name>` (and tables/ for tables). */
export function exportBase(notebook: string, name: string, kind: 'figures' | 'tables' = 'figures', profile: Profile = currentProfile()): string {
  return path.join(resultsDir(profile), kind, `${notebook}-${name}`);
}

/**
 * What a publish call returns (and a notebook cell shows when the call is its last line): the written file relative to
 * the project root, so executed notebooks never name the folder of the machine that ran them.
 */
const shown = (file: string): string => (file ? path.relative(PROJECT_ROOT, file) : file);

export async function publishFigure(fig: FigureSpec, notebook: string, name: string, profile: Profile = currentProfile()): Promise<string> {
  await showFigure(fig);
  const r = await exportFigure(fig, exportBase(notebook, name, 'figures', profile));
  return shown(r.png ?? r.html ?? r.json);
}

export function publishTable(rows: Row[], notebook: string, name: string, opts: TableOptions & { title: string }, profile: Profile = currentProfile()): string {
  if (rows.length === 0) {
    showMarkdown(`*${opts.title}: no rows (nothing to show yet).*`);
    return '';
  }
  showTable(rows, opts);
  return shown(writeTable(rows, exportBase(notebook, name, 'tables', profile), { ...opts, title: opts.note ? `${opts.title} — ${opts.note}` : opts.title }).csv);
}

/** A picture that is not a Plotly figure (e.g. a face with ellipses): shown, and written as PNG + SVG. */
export function publishImage(img: { png: Uint8Array; svg: string }, notebook: string, name: string, alt: string, profile: Profile = currentProfile()): string {
  showPng(img.png, alt);
  const base = exportBase(notebook, name, 'figures', profile);
  fs.mkdirSync(path.dirname(base), { recursive: true });
  writeFileAtomic(`${base}.png`, img.png);
  writeFileAtomic(`${base}.svg`, img.svg);
  return shown(`${base}.png`);
}
