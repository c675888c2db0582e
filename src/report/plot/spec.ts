/**
 * The figure contract: a plain, JSON-serialisable Plotly spec `{data, layout}` built by pure functions, so a
 * figure can be re-rendered from results files without recomputing anything, and checked in tests.
 * Only the Plotly fields we use are typed; `extra` escape hatches take the rest.
 */

/** One axis: what is measured and in which unit; `unit: null` states "dimensionless" on purpose. */
export interface AxisSpec {
  label: string;
  unit: string | null;
  /** Plotly axis type; default 'linear'. */
  type?: 'linear' | 'log' | 'category';
  range?: [number, number];
}

/** A Plotly trace. `name` is required: it is the legend entry. */
export interface Trace {
  type: 'scatter' | 'bar' | 'histogram' | 'heatmap' | 'image';
  name: string;
  x?: (number | string | null)[];
  y?: (number | string | null)[];
  z?: (number | null)[][];
  mode?: 'lines' | 'markers' | 'lines+markers';
  showlegend?: boolean;
  [extra: string]: unknown;
}

export interface Layout {
  title: { text: string; [extra: string]: unknown };
  xaxis: { title: { text: string }; type?: string; range?: [number, number]; [extra: string]: unknown };
  yaxis: { title: { text: string }; type?: string; range?: [number, number]; [extra: string]: unknown };
  showlegend: boolean;
  width?: number;
  height?: number;
  [extra: string]: unknown;
}

export interface FigureSpec {
  data: Trace[];
  layout: Layout;
}

/** "NME (%)", "step", "loss (dimensionless)" is avoided: a null unit prints only the label. */
export function axisTitle(axis: AxisSpec): string {
  return axis.unit ? `${axis.label} (${axis.unit})` : axis.label;
}

/**
 * Throws a message naming the trace and field when a figure lacks what a reader needs (title, axis titles,
 * legend names) or holds values Plotly would silently drop (NaN, Infinity, mismatched lengths).
 * `null` is allowed in x/y: Plotly draws it as a gap.
 */
export function validateFigure(spec: FigureSpec): FigureSpec {
  const where = `figure "${spec?.layout?.title?.text ?? '(untitled)'}"`;
  if (!spec || !Array.isArray(spec.data) || !spec.layout) throw new Error(`${where}: expected {data: Trace[], layout}`);
  if (!spec.layout.title?.text?.trim()) throw new Error(`${where}: layout.title.text is empty`);
  for (const ax of ['xaxis', 'yaxis'] as const) {
    if (!spec.layout[ax]?.title?.text?.trim()) throw new Error(`${where}: layout.${ax}.title.text is empty (axis titles are required)`);
  }
  if (spec.data.length === 0) throw new Error(`${where}: no traces`);
  const names = new Set<string>();
  spec.data.forEach((t, i) => {
    const tr = `${where}, trace ${i} ("${t.name}")`;
    if (!t.name?.trim()) throw new Error(`${where}, trace ${i}: name is empty (it is the legend entry)`);
    if (names.has(t.name) && spec.data.length > 1) throw new Error(`${tr}: duplicate legend name`);
    names.add(t.name);
    if (t.x && t.y && t.type !== 'heatmap' && t.x.length !== t.y.length) {
      throw new Error(`${tr}: x has ${t.x.length} values but y has ${t.y.length}`);
    }
    for (const field of ['x', 'y'] as const) {
      const v = t[field];
      if (v === undefined) continue;
      if (!Array.isArray(v)) throw new Error(`${tr}: ${field} is not an array`);
      const bad = v.findIndex((e) => typeof e === 'number' && !Number.isFinite(e));
      if (bad >= 0) throw new Error(`${tr}: ${field}[${bad}] is ${v[bad]} (use null for a gap)`);
    }
    if (t.z) {
      t.z.forEach((row, r) => {
        const c = row.findIndex((e) => typeof e === 'number' && !Number.isFinite(e));
        if (c >= 0) throw new Error(`${tr}: z[${r}][${c}] is ${row[c]}`);
      });
    }
  });
  return spec;
}
