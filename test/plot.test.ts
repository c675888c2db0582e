import { test, after } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import sharp from 'sharp';
import { requireSetup } from './helpers/setup';
import {
  barFigure, chromiumPath, closeExporter, exportFigure, figureDivHtml, heatmapFigure, lineFigure, renderImage,
  showFigure, validateFigure, FigureSpec,
} from '../src/report/plot';

const AXES = { title: 'NME per loss', x: { label: 'step', unit: null }, y: { label: 'NME', unit: '%' } } as const;
const noChromium = chromiumPath() ? false : 'Chromium not installed (/usr/bin/chromium); run npm run setup';

after(() => closeExporter());

test('builders: axis titles carry units, legend only with several series, spec is plain JSON', () => {
  const one = lineFigure([{ name: 'STAR', x: [0, 1, 2], y: [5, 4, 3.5] }], { ...AXES });
  assert.equal(one.layout.xaxis.title.text, 'step');
  assert.equal(one.layout.yaxis.title.text, 'NME (%)');
  assert.equal(one.layout.showlegend, false);
  assert.equal(one.data[0].mode, 'lines+markers');
  const two = lineFigure(
    [{ name: 'STAR', x: [0, 1], y: [5, 4], yError: [0.1, 0.2] }, { name: 'L2', x: [0, 1], y: [6, 5], dash: 'dash' }],
    { ...AXES },
  );
  assert.equal(two.layout.showlegend, true);
  assert.deepEqual(two.data[0].error_y, { type: 'data', array: [0.1, 0.2], visible: true });
  assert.deepEqual(JSON.parse(JSON.stringify(two)), two);
  const bars = barFigure([{ name: 'STAR', x: ['pose', 'blur'], y: [5, 6] }], { ...AXES });
  assert.equal(bars.layout.barmode, 'group');
  const hm = heatmapFigure([[0, 1], [2, 3]], { ...AXES, name: 'heatmap', colorbar: { label: 'probability', unit: null } });
  assert.equal(hm.layout.yaxis.autorange, 'reversed'); // image convention: row 0 on top
});

test('validation names the figure, trace and field', () => {
  const s = [{ name: 'a', x: [1, 2], y: [1, NaN] }];
  assert.throws(() => lineFigure(s, { ...AXES }), /figure "NME per loss", trace 0 \("a"\): y\[1\] is NaN/);
  assert.throws(() => lineFigure([{ name: 'a', x: [1, 2], y: [1] }], { ...AXES }), /x has 2 values but y has 1/);
  assert.throws(() => lineFigure([{ name: '', x: [1], y: [1] }], { ...AXES }), /trace 0: name is empty/);
  assert.throws(() => lineFigure([{ name: 'a', x: [1], y: [1] }], { ...AXES, x: { label: ' ', unit: null } }), /xaxis\.title\.text is empty/);
  assert.throws(() => lineFigure([{ name: 'a', x: [1], y: [1] }, { name: 'a', x: [1], y: [1] }], { ...AXES }), /duplicate legend name/);
  assert.throws(() => lineFigure([{ name: 'a', x: [1], y: [1], yError: [] }], { ...AXES }), /yError has 0 values/);
  // null is a legitimate gap
  assert.doesNotThrow(() => lineFigure([{ name: 'a', x: [1, 2], y: [1, null] }], { ...AXES }));
});

test('figure HTML cannot be broken out of by data (no raw "</script" inside the script)', () => {
  const spec = lineFigure([{ name: '</script><img src=x onerror=alert(1)>', x: [1], y: [1] }], { ...AXES });
  const html = figureDivHtml(spec, { divId: 'f1' });
  assert.equal(html.match(/<\/script/gi)?.length, 1);
  assert.ok(html.includes('\\u003c/script>'));
});

test('showFigure outside a notebook prints a one-line summary', async () => {
  const spec = lineFigure([{ name: 'STAR', x: [0, 1, 2], y: [5, 4, 3] }], { ...AXES });
  const logged: string[] = [];
  const orig = console.log;
  console.log = (s: string) => void logged.push(s);
  try {
    await showFigure(spec);
  } finally {
    console.log = orig;
  }
  assert.deepEqual(logged, ['[figure: NME per loss | x: step | y: NME (%) | STAR (3 points)]']);
});

/** Count pixels close to an RGB colour in a PNG (sharp decodes independently of Chromium). */
async function countColour(png: Buffer, rgb: [number, number, number]): Promise<{ n: number; width: number; height: number }> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  let n = 0;
  for (let i = 0; i < data.length; i += 3) {
    if (Math.abs(data[i] - rgb[0]) < 8 && Math.abs(data[i + 1] - rgb[1]) < 8 && Math.abs(data[i + 2] - rgb[2]) < 8) n++;
  }
  return { n, width: info.width, height: info.height };
}

test('PNG and SVG export draw the data at the requested size', async () => {
  requireSetup(noChromium);
  const red = (ys: number[]): FigureSpec => {
    const f = barFigure([{ name: 'bars', x: ['a', 'b'], y: ys }], { ...AXES, width: 400, height: 300 });
    f.data[0].marker = { color: '#ff0000' };
    f.layout.yaxis.range = [0, 10];
    return validateFigure(f);
  };
  const tall = await countColour(await renderImage(red([9, 9]), 'png', { scale: 1 }), [255, 0, 0]);
  const short = await countColour(await renderImage(red([1, 1]), 'png', { scale: 1 }), [255, 0, 0]);
  assert.equal(tall.width, 400);
  assert.equal(tall.height, 300);
  // Bars 9x taller cover ~9x the pixels (plot area ~ 310 x 180 px).
  assert.ok(short.n > 100, `short bars: ${short.n} red pixels`);
  const ratio = tall.n / short.n;
  assert.ok(ratio > 7 && ratio < 11, `red pixel ratio ${ratio}`);
  const png2 = await renderImage(red([9, 9]), 'png', { scale: 2 });
  const meta = await sharp(png2).metadata();
  assert.deepEqual([meta.width, meta.height], [800, 600]);

  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fig-'));
  try {
    const r = await exportFigure(red([3, 4]), path.join(dir, 'nested', 'bars'));
    assert.equal(r.warning, undefined);
    assert.deepEqual(JSON.parse(fs.readFileSync(r.json, 'utf8')), red([3, 4]));
    const svg = fs.readFileSync(r.svg!, 'utf8');
    assert.match(svg, /^<svg/);
    assert.ok(svg.includes('NME (%)'), 'axis title in SVG');
    assert.ok((await sharp(fs.readFileSync(r.png!)).metadata()).format === 'png');
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('without Chromium exportFigure writes standalone HTML + JSON and says why', async () => {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'fig-'));
  const prev = process.env.STAR_CHROMIUM;
  process.env.STAR_CHROMIUM = 'none';
  const warn = console.warn;
  console.warn = () => undefined;
  try {
    await closeExporter();
    const spec = lineFigure([{ name: 'STAR', x: [0, 1], y: [5, 4] }], { ...AXES });
    const r = await exportFigure(spec, path.join(dir, 'curve'));
    assert.equal(r.png, undefined);
    assert.match(r.warning!, /Chromium not found/);
    const html = fs.readFileSync(r.html!, 'utf8');
    assert.ok(html.length > 1_000_000, 'plotly bundle inlined (offline)');
    assert.ok(html.includes('"NME (%)"'));
    assert.deepEqual(JSON.parse(fs.readFileSync(r.json, 'utf8')), spec);
  } finally {
    console.warn = warn;
    if (prev === undefined) delete process.env.STAR_CHROMIUM;
    else process.env.STAR_CHROMIUM = prev;
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test('titles wider than the figure wrap at words, each subtitle piece in its own <sub>, and the top margin grows with the lines', async () => {
  const { fitTitle, titleMargin } = await import('../src/report/plot/figures');
  const { panelFigure } = await import('../src/report/plot/panels');
  // 720 px: (720 − 40) / 6 = 113 subtitle characters, (720 − 40) / 9 = 75 title characters per line.
  const long = Array.from({ length: 30 }, (_, i) => `word${i}`).join(' '); // 30 words, 209 characters
  const f = fitTitle(`Short title<br><sub>${long}</sub>`, 720);
  const lines = f.text.split('<br>');
  assert.equal(f.lines, lines.length);
  assert.equal(lines[0], 'Short title');
  assert.ok(lines.length === 3, f.text);
  for (const l of lines.slice(1)) {
    assert.match(l, /^<sub>[^<>]+<\/sub>$/);
    assert.ok(l.length - '<sub></sub>'.length <= 113, l);
  }
  // Nothing lost or reordered.
  assert.equal(lines.slice(1).map((l) => l.slice(5, -6)).join(' '), long);
  // Short lines and lines with markup inside stay as they are.
  assert.deepEqual(fitTitle('A<br><sub>b</sub>', 720), { text: 'A<br><sub>b</sub>', lines: 2 });
  const bold = `<b>${long}</b>`;
  assert.equal(fitTitle(bold, 720).text, bold);
  // A wider figure takes more per line.
  assert.equal(fitTitle(`<sub>${long}</sub>`, 1440).lines, 1);
  // The margins follow: one line 60 px, each further line 22 px; bar figures keep the title's margin.
  assert.equal(titleMargin(1), 60);
  assert.equal(titleMargin(3), 104);
  const opts = { title: `T<br><sub>${long}</sub>`, x: { label: 'x', unit: null }, y: { label: 'y', unit: null } };
  const top = (f: FigureSpec) => (f.layout.margin as { t: number }).t;
  assert.equal(top(lineFigure([{ name: 's', x: [0], y: [1] }], opts)), 104);
  assert.equal(top(barFigure([{ name: 's', x: ['a'], y: [1] }], opts)), 104);
  // Panels: the title block plus 30 px for the panel titles.
  assert.equal(top(panelFigure([{ title: 'p', series: [{ name: 's', x: [0], y: [1] }] }], opts)), 134);
});
