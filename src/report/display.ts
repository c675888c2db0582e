/**
 * Display helpers that render rich output inside a tslab notebook and degrade to plain console output
 * everywhere else (scripts, tests, CI logs), so library code can call them unconditionally.
 */
import * as path from 'path';

/** The subset of tslab's `Display` we use (tslab's own type, restated so this file compiles without it). */
interface TslabDisplay {
  html(s: string): void;
  markdown(s: string): void;
  png(b: Uint8Array): void;
  text(s: string): void;
}

/**
 * tslab's display object when this code runs inside a tslab kernel, else null.
 * tslab's `display.*` throws "Not ready" outside a kernel, and importing 'tslab' loads a whole TypeScript
 * compiler; so we look for the kernel's already-loaded jupyter module instead of importing it blindly.
 */
export function tslabDisplay(): TslabDisplay | null {
  let jupyterModule: string;
  try {
    jupyterModule = require.resolve('tslab/dist/jupyter');
  } catch {
    return null;
  }
  const loaded = require.cache[jupyterModule];
  if (!loaded || (loaded.exports as { lastWriteDisplayData?: unknown }).lastWriteDisplayData == null) return null;
  // eslint-disable-next-line @typescript-eslint/no-var-requires
  return (require(path.join(path.dirname(jupyterModule), 'public')) as { display: TslabDisplay }).display;
}

/** True inside a running tslab kernel. */
export function inNotebook(): boolean {
  return tslabDisplay() !== null;
}

/** HTML in a notebook; `fallback` (default: the HTML with tags stripped) on the console. */
export function showHtml(html: string, fallback?: string): void {
  const d = tslabDisplay();
  if (d) d.html(html);
  else console.log(fallback ?? stripTags(html));
}

/** Markdown in a notebook; the raw Markdown (readable as is) on the console. */
export function showMarkdown(markdown: string): void {
  const d = tslabDisplay();
  if (d) d.markdown(markdown);
  else console.log(markdown);
}

/** A PNG image in a notebook; a one-line placeholder naming it on the console. */
export function showPng(png: Uint8Array, alt: string): void {
  if (!(png instanceof Uint8Array) || png.length < 8 || png[0] !== 0x89 || png[1] !== 0x50) {
    throw new Error(`showPng("${alt}"): not PNG bytes`);
  }
  const d = tslabDisplay();
  if (d) d.png(png);
  else console.log(`[image: ${alt} (${png.length} bytes PNG)]`);
}

/** Escapes text for inclusion in HTML element content or a double-quoted attribute. */
export function escapeHtml(s: string): string {
  return s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;').replace(/'/g, '&#39;');
}

function stripTags(html: string): string {
  return html
    .replace(/<script[\s\S]*?<\/script>/gi, '')
    .replace(/<style[\s\S]*?<\/style>/gi, '')
    .replace(/<[^>]+>/g, '')
    .replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&quot;/g, '"').replace(/&#39;/g, "'").replace(/&amp;/g, '&')
    .trim();
}
