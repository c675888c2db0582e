/**
 * Figures of several panels side by side (one per facial part, per condition...) sharing one legend, and bands
 * (a median line inside a shaded quantile band). Pure builders like figures.ts: data in, validated Plotly spec out.
 * A series that appears in several panels keeps one legend entry (Plotly legend groups); its traces in later panels
 * are named "<series> · <panel>" so that every trace stays uniquely named.
 */
import { axisTitle, type FigureSpec, type Trace, validateFigure } from './spec';
import { fitTitle, layoutOf, titleMargin, toTrace, type FigureOptions, type Series } from './figures';

/** A median (or any centre) line with a band between `lo` and `hi`, e.g. the 10–90% range over seeds. */
export interface Band {
  name: string;
  x: number[];
  centre: (number | null)[];
  lo: (number | null)[];
  hi: (number | null)[];
  /** CSS hex colour (#rrggbb) of the line; the band is the same colour, translucent. */
  color: string;
  /** Legend text of the band (default "10–90%"). */
  bandLabel?: string;
}

export interface Panel {
  title: string;
  series?: Series[];
  bands?: Band[];
}

export interface PanelOptions extends FigureOptions {
  /** Panels per row (default: all in one row up to 3, then rows of 3). */
  columns?: number;
  /** How series are drawn (default lines). */
  mode?: 'lines' | 'markers' | 'lines+markers';
}

function translucent(hex: string, alpha: number): string {
  const m = /^#([0-9a-f]{2})([0-9a-f]{2})([0-9a-f]{2})$/i.exec(hex);
  if (!m) throw new Error(`band colour must be #rrggbb, got "${hex}"`);
  return `rgba(${parseInt(m[1], 16)},${parseInt(m[2], 16)},${parseInt(m[3], 16)},${alpha})`;
}

function bandTraces(b: Band): Trace[] {
  const lo: Trace = { type: 'scatter', mode: 'lines', name: `${b.name} · lower`, x: [...b.x], y: [...b.lo], line: { width: 0, color: b.color }, showlegend: false, hoverinfo: 'skip' };
  const hi: Trace = {
    type: 'scatter', mode: 'lines', name: `${b.name} · ${b.bandLabel ?? '10–90%'}`, x: [...b.x], y: [...b.hi], line: { width: 0, color: b.color },
    fill: 'tonexty', fillcolor: translucent(b.color, 0.2),
  };
  const centre: Trace = { type: 'scatter', mode: 'lines', name: b.name, x: [...b.x], y: [...b.centre], line: { color: b.color, width: 2 } };
  return [lo, hi, centre];
}

function countLegendEntries(panels: Panel[]): number {
  const names = new Set<string>();
  for (const p of panels) {
    for (const s of p.series ?? []) names.add(s.name);
    for (const b of p.bands ?? []) names.add(b.name).add(`${b.name} · band`);
  }
  return names.size;
}

export function panelFigure(panels: Panel[], opts: PanelOptions): FigureSpec {
  if (panels.length === 0) throw new Error(`panelFigure "${opts.title}": no panels`);
  const columns = opts.columns ?? Math.min(3, panels.length);
  const rows = Math.ceil(panels.length / columns);
  // Room for the legend under the panels: one line per two entries, 22 px each.
  const legendPx = 22 * Math.ceil(countLegendEntries(panels) / 2);
  const width = opts.width ?? Math.max(720, 320 * columns);
  // The title block, then room for the panels' own titles above their plots.
  const top = titleMargin(fitTitle(opts.title, width).lines) + 30;
  const bottom = 70 + legendPx;
  const height = opts.height ?? top + bottom + 300 * rows;
  const layout = layoutOf({ ...opts, width, height }, 2);
  const axis = (a: FigureOptions['x']) => ({ title: { text: axisTitle(a), font: { size: 11 } }, ...(a.type ? { type: a.type } : {}), ...(a.range ? { range: a.range } : {}) });
  const data: Trace[] = [];
  const seen = new Set<string>();
  const annotations: unknown[] = [];
  panels.forEach((p, i) => {
    const k = i === 0 ? '' : String(i + 1);
    layout[`xaxis${k}`] = axis(opts.x);
    layout[`yaxis${k}`] = axis(opts.y);
    annotations.push({ text: `<b>${p.title}</b>`, xref: `x${k} domain`, yref: `y${k} domain`, x: 0.5, y: 1.02, xanchor: 'center', yanchor: 'bottom', showarrow: false });
    // A trace keeps its legend entry the first time its key appears; `group` toggles the traces of one series together.
    const place = (t: Trace, key: string, group: string): Trace => {
      const first = !seen.has(key);
      seen.add(key);
      return { ...t, name: first ? t.name : `${t.name} · ${p.title}`, xaxis: `x${k}`, yaxis: `y${k}`, legendgroup: group, showlegend: first && t.showlegend !== false };
    };
    for (const s of p.series ?? []) data.push(place(toTrace(s, 'scatter', opts.mode ?? 'lines'), s.name, s.name));
    for (const b of p.bands ?? []) {
      const [lo, hi, centre] = bandTraces(b);
      data.push(place(lo, `${b.name} · lower`, b.name), place(hi, `${b.name} · band`, b.name), place(centre, b.name, b.name));
    }
  });
  layout.grid = { rows, columns, pattern: 'independent', roworder: 'top to bottom' };
  layout.annotations = annotations;
  // The legend starts below the bottom row's axis titles (60 px under the plot area).
  layout.legend = { orientation: 'h', x: 0, y: -60 / (height - top - bottom), yanchor: 'top' };
  layout.margin = { l: 70, r: 20, t: top, b: bottom };
  layout.showlegend = true;
  return validateFigure({ data, layout });
}
