/**
 * Result tables: rows of plain records -> CSV (machine-readable, full precision), Markdown (README, reports)
 * and HTML (notebooks). danfojs-node is the DataFrame for notebook users (toDataFrame / showTable accept one);
 * the writers are our own because danfo's toCSV does not quote fields that contain commas or quotes.
 */
import * as fs from 'fs';
import * as path from 'path';
import { escapeHtml, showHtml } from './display';

export type Cell = string | number | boolean | null;
export type Row = Record<string, unknown>;

export interface TableOptions {
  /** Caption above the table (Markdown heading line, HTML caption). */
  title?: string;
  /** A paragraph between the caption and the table, e.g. the question the table answers. */
  description?: string;
  /** Column order (and selection); default: keys of the first row, then new keys in order of appearance. */
  columns?: string[];
  /** Decimals for non-integer numbers in Markdown/HTML; CSV keeps full precision. Default 4. */
  digits?: number;
  /** Per-column digits overriding `digits`. */
  columnDigits?: Record<string, number>;
  /** Text for missing values (null / undefined / absent key) in Markdown/HTML. Default '–'. */
  missing?: string;
  /** A line printed under the table, e.g. which data and profile produced the numbers. */
  note?: string;
}

export interface NormalisedTable {
  columns: string[];
  rows: Cell[][];
}

/** A danfo DataFrame, structurally (so this module loads without danfo until a frame is actually used). */
interface DataFrameLike {
  columns: string[];
  values: unknown[][];
}

function isDataFrame(x: unknown): x is DataFrameLike {
  return !!x && typeof x === 'object' && Array.isArray((x as DataFrameLike).columns) && Array.isArray((x as DataFrameLike).values);
}

/**
 * Validates and normalises rows: every value must be a finite number, string, boolean, null or undefined;
 * NaN/Infinity/objects throw naming the row and column (a silent "NaN" cell hides a bug upstream).
 */
export function normaliseTable(input: Row[] | DataFrameLike, opts: TableOptions = {}): NormalisedTable {
  const rows: Row[] = isDataFrame(input)
    ? input.values.map((vals) => Object.fromEntries(input.columns.map((c, j) => [c, vals[j]])))
    : input;
  if (!Array.isArray(rows)) throw new Error('table: expected an array of row objects or a danfo DataFrame');
  let columns = opts.columns;
  if (!columns) {
    const seen = new Set<string>();
    columns = [];
    for (const r of rows) for (const k of Object.keys(r ?? {})) if (!seen.has(k)) (seen.add(k), columns.push(k));
  }
  if (columns.length === 0) throw new Error(`table${opts.title ? ` "${opts.title}"` : ''}: no columns`);
  const out = rows.map((r, i) => {
    if (r === null || typeof r !== 'object' || Array.isArray(r)) throw new Error(`table row ${i}: not an object`);
    return columns!.map((c): Cell => {
      const v = r[c];
      if (v === undefined || v === null) return null;
      if (typeof v === 'number') {
        if (!Number.isFinite(v)) throw new Error(`table${opts.title ? ` "${opts.title}"` : ''} row ${i}, column "${c}": ${v} (use null for a missing value)`);
        return v;
      }
      if (typeof v === 'string' || typeof v === 'boolean') return v;
      if (typeof v === 'bigint') return Number(v);
      throw new Error(`table row ${i}, column "${c}": unsupported ${Array.isArray(v) ? 'array' : typeof v} value`);
    });
  });
  return { columns, rows: out };
}

/** RFC 4180 CSV: comma-separated, CRLF-free (\n), fields with comma, quote or newline quoted; numbers at full precision. */
export function toCsv(input: Row[] | DataFrameLike, opts: TableOptions = {}): string {
  const t = normaliseTable(input, opts);
  const field = (v: Cell): string => {
    const s = v === null ? '' : String(v);
    return /[",\n\r]/.test(s) || /^\s|\s$/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
  };
  return [t.columns, ...t.rows].map((r) => r.map(field).join(',')).join('\n') + '\n';
}

/**
 * Display strings per cell. A numeric column with any non-integer gets the same decimals on every row
 * (5 and 4.1235 would misalign as "5" and "4.1235"); all-integer columns (counts, steps) print as integers.
 */
function formatRows(t: NormalisedTable, opts: TableOptions): string[][] {
  const fractional = t.columns.map((_, j) => t.rows.some((r) => typeof r[j] === 'number' && !Number.isInteger(r[j])));
  return t.rows.map((r) =>
    r.map((v, j) => {
      if (v === null) return opts.missing ?? '\u2013';
      if (typeof v === 'number' && fractional[j]) return v.toFixed(opts.columnDigits?.[t.columns[j]] ?? opts.digits ?? 4);
      return String(v);
    }),
  );
}

/** GitHub-flavoured Markdown table; numbers right-aligned; `|` and newlines escaped. */
export function toMarkdown(input: Row[] | DataFrameLike, opts: TableOptions = {}): string {
  const t = normaliseTable(input, opts);
  const esc = (s: string) => s.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, '<br>');
  const numeric = t.columns.map((_, j) => t.rows.length > 0 && t.rows.every((r) => r[j] === null || typeof r[j] === 'number'));
  const lines: string[] = [];
  if (opts.title) lines.push(`**${esc(opts.title)}**`, '');
  if (opts.description) lines.push(esc(opts.description), '');
  lines.push(`| ${t.columns.map(esc).join(' | ')} |`);
  lines.push(`|${numeric.map((n) => (n ? ' ---: ' : ' --- ')).join('|')}|`);
  for (const r of formatRows(t, opts)) lines.push(`| ${r.map(esc).join(' | ')} |`);
  if (opts.note) lines.push('', `_${esc(opts.note)}_`);
  return lines.join('\n') + '\n';
}

/** An HTML table (escaped), for notebooks and reports. */
export function toHtml(input: Row[] | DataFrameLike, opts: TableOptions = {}): string {
  const t = normaliseTable(input, opts);
  const numeric = t.columns.map((_, j) => t.rows.length > 0 && t.rows.every((r) => r[j] === null || typeof r[j] === 'number'));
  const align = (j: number) => (numeric[j] ? ' style="text-align:right"' : '');
  const head = t.columns.map((c, j) => `<th${align(j)}>${escapeHtml(c)}</th>`).join('');
  const body = formatRows(t, opts)
    .map((r) => `<tr>${r.map((v, j) => `<td${align(j)}>${escapeHtml(v)}</td>`).join('')}</tr>`)
    .join('\n');
  const description = opts.description ? `<div style="font-weight:normal">${escapeHtml(opts.description)}</div>` : '';
  const caption = opts.title || opts.description
    ? `<caption style="caption-side:top;font-weight:bold">${escapeHtml(opts.title ?? '')}${description}</caption>`
    : '';
  const note = opts.note ? `\n<p><em>${escapeHtml(opts.note)}</em></p>` : '';
  return `<table class="star-table">${caption}\n<thead><tr>${head}</tr></thead>\n<tbody>\n${body}\n</tbody>\n</table>${note}`;
}

/**
 * Writes `<basePath>.csv` and `<basePath>.md` (folders created); returns both paths. With `display`, the Markdown shows
 * those rows (e.g. "mean ± sd" text) and the CSV keeps `rows` (the numbers).
 */
export function writeTable(rows: Row[] | DataFrameLike, basePath: string, opts: TableOptions & { display?: Row[] } = {}): { csv: string; md: string } {
  const base = basePath.replace(/\.(csv|md)$/i, '');
  fs.mkdirSync(path.dirname(path.resolve(base)), { recursive: true });
  const csv = `${base}.csv`;
  const md = `${base}.md`;
  const csvText = toCsv(rows, opts); // validate before writing anything
  const mdText = toMarkdown(opts.display ?? rows, opts);
  fs.writeFileSync(csv, csvText);
  fs.writeFileSync(md, mdText);
  return { csv, md };
}

/** HTML table in a notebook; the Markdown rendering on the console. */
export function showTable(rows: Row[] | DataFrameLike, opts: TableOptions = {}): void {
  showHtml(toHtml(rows, opts), toMarkdown(rows, opts));
}

/** A danfo DataFrame of the rows (columns in table order), for grouping/pivoting in notebooks. */
export function toDataFrame(rows: Row[], opts: TableOptions = {}): unknown {
  const t = normaliseTable(rows, opts);
  // Loaded on demand: danfojs-node pulls in @tensorflow/tfjs (~1 s) and most callers never need a frame.
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const dfd = require('danfojs-node') as { DataFrame: new (data: unknown, o?: { columns: string[] }) => unknown };
  return new dfd.DataFrame(t.rows, { columns: t.columns });
}
