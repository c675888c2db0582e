/**
 * Pure figure builders: data in, validated Plotly spec out. Each one forces a title, axis labels with units
 * and a legend name per series, because a figure without them cannot be read in a results notebook.
 */
import { axisTitle, AxisSpec, FigureSpec, Layout, Trace, validateFigure } from './spec';

export interface Series {
  /** Legend entry. */
  name: string;
  x: (number | string | null)[];
  y: (number | null)[];
  /**
   * Optional symmetric error bars (same length as y), e.g. an sd over seeds; null where there is no spread to show
   * (one seed): no bar is drawn there, and none at all when every entry is null.
   */
  yError?: (number | null)[];
  /** Plotly dash style: the same colour with a different dash separates, e.g., train from validation. */
  dash?: 'solid' | 'dash' | 'dot';
  /** Fixed colour (CSS), e.g. one per model across the panels of a figure; default Plotly's cycle. */
  color?: string;
}

export interface FigureOptions {
  title: string;
  x: AxisSpec;
  y: AxisSpec;
  /** Pixel size of static exports and the default interactive size. Defaults: 720 x 440. */
  width?: number;
  height?: number;
}

export const DEFAULT_WIDTH = 720;
export const DEFAULT_HEIGHT = 440;

/** Characters per title line at a figure width: the title's font (17 px) and a subtitle's (<sub>), measured on exports. */
const TITLE_PX_PER_CHAR = 9;
const SUBTITLE_PX_PER_CHAR = 6;

/**
 * Plotly does not wrap titles: a line wider than the figure is clipped at both edges in the static export. Each
 * `<br>`-separated line is wrapped at words to the width, a subtitle's pieces each in their own `<sub>`. Lines with
 * other markup inside are left alone (a break could split a tag).
 */
export function fitTitle(title: string, width: number): { text: string; lines: number } {
  const out: string[] = [];
  for (const line of title.split('<br>')) {
    const sub = /^<sub>(.*)<\/sub>$/.exec(line);
    const inner = sub ? sub[1] : line;
    const max = Math.max(20, Math.floor((width - 40) / (sub ? SUBTITLE_PX_PER_CHAR : TITLE_PX_PER_CHAR)));
    if (inner.length <= max || /<[^>]*>/.test(inner)) {
      out.push(line);
      continue;
    }
    for (const piece of wrapWords(inner, max).split('<br>')) out.push(sub ? `<sub>${piece}</sub>` : piece);
  }
  return { text: out.join('<br>'), lines: out.length };
}

/** Top margin for a title of `lines` lines hung from the top edge (60 px for one; each further line 22 px). */
export const titleMargin = (lines: number): number => 60 + 22 * Math.max(0, lines - 1);

export function layoutOf(opts: FigureOptions, seriesCount: number): Layout {
  const width = opts.width ?? DEFAULT_WIDTH;
  const height = opts.height ?? DEFAULT_HEIGHT;
  const title = fitTitle(opts.title, width);
  const axis = (a: AxisSpec) => ({
    title: { text: axisTitle(a) },
    ...(a.type ? { type: a.type } : {}),
    ...(a.range ? { range: a.range } : {}),
  });
  return {
    // Hung from the top edge: plotly would centre a title's first line in the margin and let further lines run down
    // into the plot (or the panel titles). It places the first line's middle at y whatever the anchor: 28 px down.
    title: { text: title.text, yref: 'container', y: 1 - 28 / height, yanchor: 'top' },
    xaxis: axis(opts.x),
    yaxis: axis(opts.y),
    // One series needs no legend box: the title names it. Several always get one.
    showlegend: seriesCount > 1,
    width,
    height,
    margin: { l: 70, r: 20, t: titleMargin(title.lines), b: 60 },
  };
}

export function toTrace(s: Series, type: Trace['type'], mode?: Trace['mode']): Trace {
  const t: Trace = { type, name: s.name, x: [...s.x], y: [...s.y] };
  if (mode) t.mode = mode;
  if (s.yError) {
    if (s.yError.length !== s.y.length) {
      throw new Error(`series "${s.name}": yError has ${s.yError.length} values but y has ${s.y.length}`);
    }
    // Plotly draws no bar for a null entry (a zero would draw a flat bar that looks like a measured zero spread).
    if (s.yError.some((e) => e !== null)) t.error_y = { type: 'data', array: [...s.yError], visible: true };
  }
  if (s.dash || s.color) t.line = { ...(s.dash ? { dash: s.dash } : {}), ...(s.color ? { color: s.color } : {}) };
  if (s.color) t.marker = { color: s.color };
  return t;
}

/** Lines (with markers when a series has few points): training curves, CED curves, sweeps. */
export function lineFigure(series: Series[], opts: FigureOptions): FigureSpec {
  const data = series.map((s) => toTrace(s, 'scatter', s.x.length <= 30 ? 'lines+markers' : 'lines'));
  return validateFigure({ data, layout: layoutOf(opts, series.length) });
}

/** Markers only: e.g. predicted vs. true anisotropy per landmark. */
export function scatterFigure(series: Series[], opts: FigureOptions): FigureSpec {
  const data = series.map((s) => toTrace(s, 'scatter', 'markers'));
  return validateFigure({ data, layout: layoutOf(opts, series.length) });
}

/** Grouped bars: e.g. NME per loss per subset. x holds the category labels. */
export function barFigure(series: Series[], opts: FigureOptions): FigureSpec {
  // Long category labels (arm names) would be rotated and clipped in the static export: wrap them onto horizontal
  // lines instead and leave room for up to three lines under the axis.
  const wrap = (v: unknown) => (typeof v === 'string' && v.length > 12 ? wrapWords(v, 12) : v);
  const data = series.map((s) => ({ ...toTrace(s, 'bar'), x: s.x.map(wrap) }) as Trace);
  const layout = layoutOf(opts, series.length);
  layout.xaxis = { ...layout.xaxis, tickangle: 0, automargin: true };
  layout.margin = { ...(layout.margin as object), b: 120 };
  const spec: FigureSpec = { data, layout: { ...layout, barmode: 'group' } };
  return validateFigure(spec);
}

/** A single heatmap, row 0 at the top as in an image (e.g. one landmark's predicted heatmap). */
export function heatmapFigure(
  z: number[][],
  opts: FigureOptions & { name: string; colorbar: AxisSpec },
): FigureSpec {
  const width = z[0]?.length ?? 0;
  z.forEach((row, r) => {
    if (row.length !== width) throw new Error(`heatmap "${opts.name}": row ${r} has ${row.length} values, row 0 has ${width}`);
  });
  const layout = layoutOf(opts, 1);
  layout.yaxis = { ...layout.yaxis, autorange: 'reversed', scaleanchor: 'x' };
  // The colour bar takes the right edge: overlays added later (ellipses, arrows) list their legend below the plot.
  layout.legend = { orientation: 'h', x: 0, y: -0.15, yanchor: 'top' };
  layout.margin = { ...(layout.margin as object), b: 110 };
  const data: Trace[] = [
    { type: 'heatmap', name: opts.name, z: z.map((r) => [...r]), colorbar: { title: { text: axisTitle(opts.colorbar) } } },
  ];
  return validateFigure({ data, layout });
}

/** Greedy word wrap with plotly line breaks. */
function wrapWords(text: string, width: number): string {
  const lines: string[] = [];
  let line = '';
  for (const w of text.split(' ')) {
    if (line && line.length + 1 + w.length > width) {
      lines.push(line);
      line = w;
    } else line = line ? `${line} ${w}` : w;
  }
  if (line) lines.push(line);
  return lines.join('<br>');
}
