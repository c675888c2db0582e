/**
 * showFigure: one call in a notebook cell gives an interactive Plotly figure and a static PNG.
 * - The PNG (display.png) comes first: viewers that run no scripts (GitHub, nbviewer untrusted) show it.
 * - The interactive figure comes second; where scripts run it hides the PNG above it.
 * - The Plotly bundle is inlined once per kernel session (the first figure's output carries it).
 * Outside a notebook it prints a one-line summary of the figure instead (and can still write files).
 */
import { inNotebook, showHtml, showPng, tslabDisplay } from '../display';
import { figureDivHtml, plotlyScriptTag } from './html';
import { chromiumPath, renderImage, ImageOptions } from './export';
import { FigureSpec, validateFigure } from './spec';

export interface ShowFigureOptions extends ImageOptions {
  /** Interactive Plotly output. Default true. */
  interactive?: boolean;
  /** Static PNG output (needs Chromium; skipped with a note when absent). Default true. */
  png?: boolean;
}

// On globalThis rather than module state: tslab may re-evaluate this module when the notebook's imports change,
// but the kernel (and the page that received the bundle) stays the same.
const BUNDLE_FLAG = '__starPlotlyBundleShown';

/** True once this kernel session has sent the Plotly bundle to the frontend. */
export function plotlyBundleShown(): boolean {
  return (globalThis as Record<string, unknown>)[BUNDLE_FLAG] === true;
}

/** Forces the next showFigure to inline the bundle again (e.g. after the page was reloaded with cleared outputs). */
export function resetPlotlyBundle(): void {
  (globalThis as Record<string, unknown>)[BUNDLE_FLAG] = false;
}

export async function showFigure(spec: FigureSpec, opts: ShowFigureOptions = {}): Promise<void> {
  validateFigure(spec);
  if (!inNotebook()) {
    const traces = spec.data.map((t) => `${t.name} (${t.x?.length ?? t.z?.length ?? 0} points)`).join(', ');
    console.log(`[figure: ${spec.layout.title.text} | x: ${spec.layout.xaxis.title.text} | y: ${spec.layout.yaxis.title.text} | ${traces}]`);
    return;
  }
  const wantPng = opts.png ?? true;
  const wantInteractive = opts.interactive ?? true;
  let pngShown = false;
  if (wantPng) {
    if (chromiumPath()) {
      showPng(await renderImage(spec, 'png', opts), spec.layout.title.text);
      pngShown = true;
    } else {
      tslabDisplay()?.text('(no static PNG: Chromium not found; run npm run setup)');
    }
  }
  if (wantInteractive) {
    let html = '';
    if (!plotlyBundleShown()) {
      html += plotlyScriptTag();
      (globalThis as Record<string, unknown>)[BUNDLE_FLAG] = true;
    }
    html += figureDivHtml(spec, { hidePreviousStaticImage: pngShown });
    showHtml(html);
  }
}
