/**
 * Outputs that change only when something changed: rebuilding an experiment's tables and figures from the same run
 * folders (what `star tables <name>` does) gives byte-identical JSON, CSV, Markdown, PNG and SVG files. Plotly's
 * random SVG ids (`defs-…`, clip paths, trace ids) are seeded from the figure (src/report/plot/export.ts).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { EXPERIMENTS } from '../src/experiments/ablations';
import { scaleSpec } from '../src/experiments/spec';
import { resultsDir } from '../src/config/profile';
import { summariseExperiment } from '../src/report/experiment-tables';
import { experimentFigures } from '../src/report/figures/experiment';
import { chromiumPath, closeExporter } from '../src/report/plot';
import { requireSetup } from './helpers/setup';

const noChromium = chromiumPath() ? false : 'Chromium not installed (/usr/bin/chromium); run npm run setup';

/** Every file under `dir` (relative path -> bytes). */
function snapshot(dir: string): Map<string, Buffer> {
  const out = new Map<string, Buffer>();
  const walk = (d: string): void => {
    for (const e of fs.readdirSync(d, { withFileTypes: true })) {
      const p = path.join(d, e.name);
      if (e.isDirectory()) walk(p);
      else out.set(path.relative(dir, p), fs.readFileSync(p));
    }
  };
  walk(dir);
  return out;
}

test('star tables on the same runs twice: byte-identical tables (JSON, CSV, Markdown) and figures (JSON, PNG, SVG)', async () => {
  requireSetup(noChromium);
  const spec = scaleSpec(EXPERIMENTS.main, 'full');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-deterministic-'));
  try {
    // The committed main grid's records (summaries and logs, not the weights) in a scratch results folder.
    for (const dir of fs.readdirSync(path.join(resultsDir('full'), 'runs', 'main'))) {
      const from = path.join(resultsDir('full'), 'runs', 'main', dir);
      const to = path.join(root, 'runs', 'main', dir);
      fs.mkdirSync(to, { recursive: true });
      for (const f of ['summary.json', 'metrics.jsonl', 'eigen.jsonl']) fs.copyFileSync(path.join(from, f), path.join(to, f));
    }
    const rebuild = async () => {
      const { tables, results } = summariseExperiment(spec, 'full', root);
      return experimentFigures(results, tables.label, root);
    };
    const figs = await rebuild();
    assert.ok(figs.some((f) => f.endsWith('.png')), `figures rendered: ${figs.join(', ')}`);
    const first = new Map([...snapshot(path.join(root, 'tables')), ...snapshot(path.join(root, 'figures'))].map(([k, v]) => [k, v]));
    await rebuild();
    const second = new Map([...snapshot(path.join(root, 'tables')), ...snapshot(path.join(root, 'figures'))]);
    assert.deepEqual([...second.keys()].sort(), [...first.keys()].sort());
    for (const ext of ['json', 'csv', 'md', 'png', 'svg']) assert.ok([...first.keys()].some((k) => k.endsWith(`.${ext}`)), `a .${ext} file was written`);
    for (const [k, v] of first) assert.ok(v.equals(second.get(k)!), `${k} differs between two rebuilds from the same runs`);
    assert.match(first.get('main-nme.svg')!.toString(), /id="defs-[0-9a-f]{6}"/, 'Plotly still names its defs');
  } finally {
    await closeExporter();
    fs.rmSync(root, { recursive: true, force: true });
  }
});
