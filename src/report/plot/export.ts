/**
 * Static figure export (PNG, SVG) through headless Chromium: Debian's /usr/bin/chromium driven by
 * playwright-core, rendering with Plotly.toImage. One browser and page are shared by every export in the
 * process, started lazily (about 2 s) and closed after an idle period or by closeExporter(); playwright also
 * kills it at process exit. Without Chromium, exportFigure degrades to standalone HTML + JSON and says so.
 * Exports are byte-identical for the same figure: Plotly names its SVG defs, clip paths and traces with
 * Math.random (`defs-6b52c4`), so each render runs with Math.random seeded from the figure itself (a different
 * figure gets different ids, so SVGs placed in one page do not clash).
 */
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';
import { plotlyBundlePath, standaloneHtml } from './html';
import { FigureSpec, validateFigure } from './spec';
import { inNotebook } from '../display';

export const CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking'];

/** The Chromium binary to use: STAR_CHROMIUM ("none" disables), else Debian's /usr/bin/chromium; null when neither exists. */
export function chromiumPath(env: NodeJS.ProcessEnv = process.env): string | null {
  if (env.STAR_CHROMIUM === 'none') return null; // lets tests and users exercise the no-Chromium fallback
  const candidates = [env.STAR_CHROMIUM, '/usr/bin/chromium', '/usr/bin/chromium-browser'].filter(
    (p): p is string => !!p,
  );
  return candidates.find((p) => fs.existsSync(p)) ?? null;
}

export interface ImageOptions {
  /** CSS pixels; default: the figure's layout size. */
  width?: number;
  height?: number;
  /** Device pixel ratio of PNGs; default 2 (sharp on high-DPI screens and in papers). */
  scale?: number;
}

// Minimal structural types for the playwright objects we touch: playwright-core is loaded lazily, so that
// importing this module costs nothing when no figure is exported.
interface PwPage {
  evaluate<R, A>(fn: (arg: A) => R | Promise<R>, arg: A): Promise<R>;
  addScriptTag(opts: { path: string }): Promise<unknown>;
  setContent(html: string): Promise<void>;
}
interface PwBrowser {
  newPage(): Promise<PwPage>;
  close(): Promise<void>;
}

interface Renderer {
  browser: PwBrowser;
  page: PwPage;
}

let renderer: Promise<Renderer> | null = null;
let queue: Promise<unknown> = Promise.resolve();
let idleTimer: NodeJS.Timeout | null = null;

/** Idle time before the shared browser closes: long inside a notebook session, short in scripts. */
function idleCloseMs(): number {
  const env = Number(process.env.STAR_EXPORT_IDLE_MS);
  if (Number.isFinite(env) && env > 0) return env;
  return inNotebook() ? 10 * 60_000 : 3_000;
}

async function startRenderer(): Promise<Renderer> {
  const exe = chromiumPath();
  if (!exe) throw new Error('Chromium not found (install Debian chromium: npm run setup, or set STAR_CHROMIUM)');
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  const { chromium } = require('playwright-core') as {
    chromium: { launch(o: { executablePath: string; args: string[]; headless: boolean }): Promise<PwBrowser> };
  };
  const browser = await chromium.launch({ executablePath: exe, args: CHROMIUM_FLAGS, headless: true });
  try {
    const page = await browser.newPage();
    await page.setContent('<!DOCTYPE html><html><body><div id="fig"></div></body></html>');
    await page.addScriptTag({ path: plotlyBundlePath() });
    return { browser, page };
  } catch (e) {
    await browser.close().catch(() => undefined);
    throw e;
  }
}

function getRenderer(): Promise<Renderer> {
  if (!renderer) {
    renderer = startRenderer();
    renderer.catch(() => {
      renderer = null; // let a later call retry, e.g. after Chromium was installed
    });
  }
  return renderer;
}

function scheduleIdleClose(): void {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = setTimeout(() => void closeExporter(), idleCloseMs());
  idleTimer.unref(); // never the reason a process stays alive
}

/** Closes the shared browser now (scripts call it to exit promptly; later exports start a new one). */
export async function closeExporter(): Promise<void> {
  if (idleTimer) clearTimeout(idleTimer);
  idleTimer = null;
  const r = renderer;
  renderer = null;
  if (r) await r.then((x) => x.browser.close()).catch(() => undefined);
}

/** Renders one figure to PNG bytes or an SVG string. Calls are serialised on the shared page. */
export function renderImage(spec: FigureSpec, format: 'png', opts?: ImageOptions): Promise<Buffer>;
export function renderImage(spec: FigureSpec, format: 'svg', opts?: ImageOptions): Promise<string>;
export function renderImage(spec: FigureSpec, format: 'png' | 'svg', opts: ImageOptions = {}): Promise<Buffer | string> {
  validateFigure(spec);
  const job = queue.then(async () => {
    if (idleTimer) clearTimeout(idleTimer);
    try {
      const { page } = await getRenderer();
      const arg = {
        data: spec.data,
        layout: spec.layout,
        format,
        width: opts.width ?? spec.layout.width ?? 720,
        height: opts.height ?? spec.layout.height ?? 440,
        scale: format === 'png' ? (opts.scale ?? 2) : 1,
        seed: 0,
      };
      arg.seed = createHash('sha256').update(JSON.stringify(arg)).digest().readUInt32LE(0);
      // Runs in the browser. tslab compiles this file without DOM types, hence `globalThis as any`.
      const url = await page.evaluate(async (a: typeof arg) => {
        const g = globalThis as any; // eslint-disable-line @typescript-eslint/no-explicit-any
        const el = g.document.getElementById('fig');
        // mulberry32, seeded per figure: Plotly's random ids (Lib.randstr) become a function of the figure.
        const random = g.Math.random;
        let s = a.seed >>> 0;
        g.Math.random = () => {
          s = (s + 0x6d2b79f5) >>> 0;
          let t = s;
          t = Math.imul(t ^ (t >>> 15), t | 1);
          t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
          return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
        };
        try {
          await g.Plotly.newPlot(el, a.data, a.layout, { staticPlot: true });
          const out: string = await g.Plotly.toImage(el, { format: a.format, width: a.width, height: a.height, scale: a.scale });
          g.Plotly.purge(el);
          return out;
        } finally {
          g.Math.random = random;
        }
      }, arg);
      return decodeDataUrl(url, format);
    } finally {
      scheduleIdleClose();
    }
  });
  queue = job.catch(() => undefined);
  return job;
}

function decodeDataUrl(url: string, format: 'png' | 'svg'): Buffer | string {
  const comma = url.indexOf(',');
  const head = url.slice(0, comma);
  const body = url.slice(comma + 1);
  if (format === 'png') {
    if (!head.startsWith('data:image/png;base64')) throw new Error(`Plotly.toImage returned ${head}, expected PNG`);
    return Buffer.from(body, 'base64');
  }
  if (!head.startsWith('data:image/svg+xml')) throw new Error(`Plotly.toImage returned ${head}, expected SVG`);
  return head.endsWith(';base64') ? Buffer.from(body, 'base64').toString('utf8') : decodeURIComponent(body);
}

export interface ExportResult {
  /** Always written: the spec itself, so the figure can be re-rendered without the data pipeline. */
  json: string;
  png?: string;
  svg?: string;
  /** Written instead of PNG/SVG when Chromium is unavailable. */
  html?: string;
  /** Why PNG/SVG are missing, when they are. */
  warning?: string;
}

/**
 * Writes `<basePath>.png`, `.svg` and `.json` (folders created). Without Chromium, or when rendering fails,
 * writes `<basePath>.html` (bundle inlined, opens offline) and `.json`, prints why, and returns the warning.
 */
export async function exportFigure(spec: FigureSpec, basePath: string, opts: ImageOptions = {}): Promise<ExportResult> {
  validateFigure(spec);
  const base = basePath.replace(/\.(png|svg|json|html)$/i, '');
  fs.mkdirSync(path.dirname(path.resolve(base)), { recursive: true });
  const result: ExportResult = { json: `${base}.json` };
  fs.writeFileSync(result.json, JSON.stringify(spec, null, 1) + '\n');
  try {
    const png = await renderImage(spec, 'png', opts);
    const svg = await renderImage(spec, 'svg', opts);
    fs.writeFileSync(`${base}.png`, png);
    fs.writeFileSync(`${base}.svg`, svg);
    result.png = `${base}.png`;
    result.svg = `${base}.svg`;
  } catch (e) {
    result.html = `${base}.html`;
    fs.writeFileSync(result.html, standaloneHtml(spec));
    result.warning = `exportFigure("${spec.layout.title.text}"): no PNG/SVG (${(e as Error).message}); wrote ${result.html} and ${result.json} instead`;
    console.warn(result.warning);
  }
  return result;
}
