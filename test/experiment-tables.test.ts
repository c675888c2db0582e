/**
 * Tables a reader can read: numbers as numbers with one documented unit in the JSON, units and thresholds in the
 * headers, a legend and the question with the Markdown, and no spread (no "±", no error bar) with one seed.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { scaleSpec } from '../src/experiments/spec';
import { summariseExperiment } from '../src/report/experiment-tables';
import { nmeBarFigure } from '../src/report/figures/experiment';

function fakeGrid(seeds: number[]) {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-tables-'));
  const spec = scaleSpec({
    name: 'fake-tables', title: 'Fake tables', question: 'Is B better than A?', data: {}, model: { preset: 'cpu-tiny' }, train: {}, seeds,
    arms: [{ id: 'a', label: 'A', loss: { kind: 'heatmap-mse' } }, { id: 'b', label: 'B', loss: { kind: 'heatmap-mse' } }],
    comparisons: [['a', 'b']],
  }, 'full');
  for (const seed of seeds) for (const [arm, nme] of [['a', 0.1457], ['b', 0.1206]] as const) {
    const dir = path.join(root, 'runs', spec.name, `${arm}-s${seed}`);
    fs.mkdirSync(dir, { recursive: true });
    const m = { n: 10, nme: nme + 0.001 * seed, fr: 0.3, auc: 0.25 };
    fs.writeFileSync(path.join(dir, 'summary.json'), JSON.stringify({
      experiment: spec.name, arm, seed, loss: 'heatmap MSE', decoder: 'argmax-subpixel', test: { labels: m, clean: m, threshold: 0.1 },
      testSoftArgmax: { labels: m, clean: m }, msPerStep: 120,
    }));
  }
  return { root, spec };
}

test('experiment tables: JSON numbers in % (AUC 0..1) with their units, units and thresholds in the headers, question and legend in the Markdown', () => {
  const { root, spec } = fakeGrid([1, 2, 3]);
  const { tables } = summariseExperiment(spec, 'full', root);
  const json = JSON.parse(fs.readFileSync(path.join(root, 'tables', 'fake-tables.json'), 'utf8'));
  assert.deepEqual(json, JSON.parse(JSON.stringify(tables)));
  const a = json.arms[0];
  assert.equal(a.nmeClean.mean, 14.77, 'NME in % of the inter-ocular distance, a number');
  assert.equal(typeof a.nmeClean.sd, 'number');
  assert.equal(a.fr.mean, 30);
  assert.equal(a.auc.mean, 0.25, 'AUC stays 0..1');
  assert.equal(json.threshold, 0.1);
  for (const k of ['nme', 'fr', 'auc', 'differences']) assert.equal(typeof json.units[k], 'string', `units.${k} documented`);
  assert.ok(!JSON.stringify(json.arms).includes('±'), 'no formatted strings in the JSON');
  assert.ok(Array.isArray(json.comparisons[0].ci95) && json.comparisons[0].ci95.every((v: unknown) => typeof v === 'number'));
  const md = fs.readFileSync(path.join(root, 'tables', 'fake-tables.md'), 'utf8');
  assert.match(md, /Question: Is B better than A\?/);
  assert.match(md, /\| NME % \(clean truth\) \|/);
  assert.match(md, /\| FR@0\.10 % \| AUC@0\.10 \|/);
  assert.match(md, /14\.77 ± 0\.10/);
  assert.match(md, /inter-ocular distance/, 'legend');
  const csv = fs.readFileSync(path.join(root, 'tables', 'fake-tables.csv'), 'utf8').split('\n');
  assert.match(csv[0], /NME % \(clean truth\) mean,NME % \(clean truth\) sd/);
  assert.ok(!csv[1].includes('±'), 'CSV holds numbers');
  const paired = fs.readFileSync(path.join(root, 'tables', 'fake-tables-paired.md'), 'utf8');
  assert.match(paired, /mean diff \(points\)/);
  assert.match(paired, /Question: Is B better than A\?/);
  fs.rmSync(root, { recursive: true });
});

test('one seed: no spread in the tables, "not testable (n = 1)" as the verdict, no error bars in the figure', () => {
  const { root, spec } = fakeGrid([1]);
  const { tables, results } = summariseExperiment(spec, 'full', root);
  assert.deepEqual(tables.arms[0].nmeClean, { mean: 14.67, sd: null });
  const md = fs.readFileSync(path.join(root, 'tables', 'fake-tables.md'), 'utf8');
  assert.ok(!md.split('\n').filter((l) => l.startsWith('| a ')).some((l) => l.includes('±')), 'a value without spread has no ±');
  for (const c of tables.comparisons) {
    assert.equal(c.verdict, 'not testable (n = 1)');
    assert.equal(c.ci95, null);
  }
  const fig = nmeBarFigure(results, 'fake');
  for (const t of fig.data) assert.equal((t as { error_y?: unknown }).error_y, undefined, `${t.name}: error bars without spread`);
  assert.match(String(fig.layout.title && (fig.layout.title as { text: string }).text), /one seed: no spread, no error bars/);
  const three = fakeGrid([1, 2]);
  const withSpread = nmeBarFigure(summariseExperiment(three.spec, 'full', three.root).results, 'fake');
  assert.ok(withSpread.data.every((t) => (t as { error_y?: { array: number[] } }).error_y?.array.every((v) => v > 0)));
  fs.rmSync(root, { recursive: true });
  fs.rmSync(three.root, { recursive: true });
});

test('a comparison row prints one MDE: the table column, the verdict and the sentences agree to the last digit', async () => {
  const { comparisonRow } = await import('../src/report/experiment-tables');
  const { analyseFamily } = await import('../src/runs/inference');
  const { primarySentence } = await import('../src/report/regime');
  const base = [0.10, 0.11, 0.12];
  const [row] = analyseFamily([[base, base.map((v, i) => v + [0.004, -0.006, 0.001][i])]], { margin: 0.002 });
  assert.equal(row.verdict, 'inconclusive');
  // Raw MDEs just below a rounding boundary at 3 decimals: 0.7849… points used to print as 0.785 → "0.79" beside "0.78".
  for (const mde of [0.007849, 0.0265499, 0.0921499]) {
    const c = {
      family: 'primary' as const, id: 'x', label: 'C − A', baseline: 'a', arm: 'c', metric: 'nmeClean' as const, seeds: [1, 2, 3],
      difference: { mean: row.test.mean, lo: -0.01, hi: 0.01, n: 3, sd: row.test.sd }, inference: { ...row, mde }, margin: 0.002,
    };
    const r = comparisonRow(c as never);
    const inVerdict = /detectable: ([\d.]+)/.exec(r.verdict)?.[1];
    const inSentence = /MDE ([\d.]+) points/.exec(primarySentence(r, false))?.[1];
    assert.equal(inVerdict, (100 * mde).toFixed(2), `verdict for raw ${mde}`);
    assert.equal(r.mde!.toFixed(2), inVerdict, `table column for raw ${mde}`);
    assert.equal(inSentence, inVerdict, `sentence for raw ${mde}`);
  }
});
