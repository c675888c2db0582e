/**
 * Plotly HTML for notebooks and standalone files. plotly.js is browser-only and no CDN is reachable, so the
 * local cartesian bundle (1.3 MB; the full one is 4.8 MB) is inlined: once per kernel session in notebooks,
 * into each file for standalone HTML exports.
 */
import * as fs from 'fs';
import * as path from 'path';
import { randomBytes } from 'crypto';
import { escapeHtml } from '../display';
import { FigureSpec } from './spec';

export const PLOTLY_PACKAGE = 'plotly.js-cartesian-dist-min';

/** Absolute path of the minified Plotly bundle. */
export function plotlyBundlePath(): string {
  const pkg = require.resolve(`${PLOTLY_PACKAGE}/package.json`);
  return path.join(path.dirname(pkg), 'plotly-cartesian.min.js');
}

let bundleCache: string | null = null;
export function plotlyBundle(): string {
  if (bundleCache === null) bundleCache = fs.readFileSync(plotlyBundlePath(), 'utf8');
  return bundleCache;
}

/** JSON safe inside a <script> element (no "</script>" or "<!--" can close it early). */
export function scriptJson(value: unknown): string {
  return JSON.stringify(value).replace(/</g, '\\u003c').replace(/\u2028/g, '\\u2028').replace(/\u2029/g, '\\u2029');
}

/** A <script> defining window.Plotly from the local bundle. */
export function plotlyScriptTag(): string {
  // The bundle is a UMD file; inside Jupyter's output area `define` (require.js) may exist and would capture
  // it as an AMD module instead of setting window.Plotly, so hide `define` while it runs.
  return `<script type="text/javascript">(function(){var define=undefined;${plotlyBundle().replace(/<\/script/gi, '<\\/script')}\n}).call(window);</script>`;
}

export interface FigureHtmlOptions {
  /** Element id; default random, so several figures can share a page. */
  divId?: string;
  /**
   * Where scripts run, hide the previous output in the same output list if it is an image: showFigure emits a
   * static PNG first (for viewers that do not run scripts, e.g. GitHub) and the interactive figure second.
   */
  hidePreviousStaticImage?: boolean;
}

/** A div plus the script that draws the figure with an already-loaded window.Plotly. */
export function figureDivHtml(spec: FigureSpec, opts: FigureHtmlOptions = {}): string {
  const id = opts.divId ?? `star-fig-${randomBytes(6).toString('hex')}`;
  const hide = opts.hidePreviousStaticImage
    ? `var area=el.closest('.output_area, .jp-OutputArea-child');var prev=area&&area.previousElementSibling;` +
      `if(prev&&prev.querySelector('img')&&!prev.querySelector('.plotly-graph-div')){prev.style.display='none';}`
    : '';
  return (
    `<div id="${escapeHtml(id)}" class="star-figure" style="width:${spec.layout.width ?? 720}px;height:${spec.layout.height ?? 440}px"></div>\n` +
    `<script type="text/javascript">(function(){var el=document.getElementById(${scriptJson(id)});var spec=${scriptJson(spec)};` +
    `if(!window.Plotly){el.textContent='Plotly is not loaded: run the cell that first displays a figure in this session again.';return;}` +
    `window.Plotly.newPlot(el,spec.data,spec.layout,{responsive:true,displaylogo:false}).then(function(){${hide}});})();</script>`
  );
}

/** A complete standalone HTML page (bundle inlined): opens offline in any browser. */
export function standaloneHtml(spec: FigureSpec): string {
  return (
    `<!DOCTYPE html>\n<html><head><meta charset="utf-8"><title>${escapeHtml(spec.layout.title.text)}</title>\n` +
    `${plotlyScriptTag()}\n</head><body>\n${figureDivHtml(spec, { divId: 'figure' })}\n</body></html>\n`
  );
}
