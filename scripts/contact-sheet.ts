/**
 * Contact sheet of the synthetic benchmark: a grid of generated faces with the clean landmarks (dots) and the
 * label-noise arrows clean -> noisy (magnified, so the scatter along contours is visible), plus each sample's flags.
 *
 *   node --import tsx scripts/contact-sheet.ts [--out results/local/contact-sheet.png] [--n 24] [--seed 1]
 *        [--split train] [--size 128] [--tile 256] [--magnify 4] [--tangent 0.03] [--yaw 60] [--no-labels]
 */
import * as fs from 'fs';
import * as path from 'path';
import sharp from 'sharp';
import { resolveSyntheticConfig, type Split } from '../src/data/synthetic/config';
import { generateSample } from '../src/data/synthetic/generate';
import { PROJECT_ROOT } from '../src/config/profile';

function arg(name: string, def: string): string {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 && i + 1 < process.argv.length ? process.argv[i + 1] : def;
}

const PART_COLOURS: [number, number, string][] = [
  [0, 32, '#00e5ff'], [33, 50, '#ffd400'], [51, 59, '#ff8c00'], [60, 75, '#7cff00'], [76, 95, '#ff3df2'], [96, 97, '#ffffff'],
];
const colourOf = (i: number): string => PART_COLOURS.find(([a, b]) => i >= a && i <= b)![2];

async function main(): Promise<void> {
  const out = path.resolve(PROJECT_ROOT, arg('out', 'results/local/contact-sheet.png'));
  const n = Number(arg('n', '24'));
  const seed = Number(arg('seed', '1'));
  const split = arg('split', 'train') as Split;
  const size = Number(arg('size', '128'));
  const tile = Number(arg('tile', '256'));
  const magnify = Number(arg('magnify', '4'));
  const labels = !process.argv.includes('--no-labels');
  const cfg = resolveSyntheticConfig({
    seed, imageSize: size,
    ambiguity: { sigmaTangent: Number(arg('tangent', '0.03')) },
    pose: { yawMaxDeg: Number(arg('yaw', '60')) },
  });
  const cols = Math.ceil(Math.sqrt(n * 1.5));
  const rows = Math.ceil(n / cols);
  const comps: { input: Buffer; left: number; top: number }[] = [];
  const overlay: string[] = [];
  const f = tile / size;
  const r = (v: number): string => (Math.round(v * 10) / 10).toString();
  for (let i = 0; i < n; i++) {
    const { rgb, label } = await generateSample(cfg, split, i);
    const left = (i % cols) * tile, top = Math.floor(i / cols) * tile;
    const t = await sharp(rgb, { raw: { width: size, height: size, channels: 3 } }).resize(tile, tile, { kernel: 'lanczos3' }).png().toBuffer();
    comps.push({ input: t, left, top });
    if (!labels) continue;
    const X = (x: number): string => r(left + (x + 0.5) * f);
    const Y = (y: number): string => r(top + (y + 0.5) * f);
    label.cleanLandmarks.forEach((c, j) => {
      const q = label.landmarks[j];
      const e: [number, number] = [c[0] + magnify * (q[0] - c[0]), c[1] + magnify * (q[1] - c[1])];
      overlay.push(`<line x1="${X(c[0])}" y1="${Y(c[1])}" x2="${X(e[0])}" y2="${Y(e[1])}" stroke="#ff2020" stroke-width="1.2"/>`);
      overlay.push(`<circle cx="${X(c[0])}" cy="${Y(c[1])}" r="1.6" fill="${colourOf(j)}"/>`);
    });
    const flags = Object.entries(label.attributes).filter(([, v]) => v).map(([k]) => k.slice(0, 5)).join(' ');
    overlay.push(`<text x="${left + 3}" y="${top + 11}" font-family="sans-serif" font-size="10" fill="#fff" stroke="#000" stroke-width="2" paint-order="stroke">#${i} yaw ${label.meta.yaw.toFixed(0)} pitch ${label.meta.pitch.toFixed(0)} roll ${label.meta.roll.toFixed(0)}</text>`);
    overlay.push(`<text x="${left + 3}" y="${top + tile - 4}" font-family="sans-serif" font-size="10" fill="#ff0" stroke="#000" stroke-width="2" paint-order="stroke">${flags}</text>`);
  }
  const W = cols * tile, H = rows * tile + 18;
  overlay.push(`<text x="4" y="${H - 5}" font-family="sans-serif" font-size="12" fill="#fff">synthetic seed ${seed}, ${split}, ${size}px, sigma_t ${cfg.ambiguity.sigmaTangent} sigma_n ${cfg.ambiguity.sigmaNormal} sigma_c ${cfg.ambiguity.sigmaCorner} IOD; red = noise x${magnify} (clean to noisy)</text>`);
  comps.push({ input: Buffer.from(`<svg xmlns="http://www.w3.org/2000/svg" width="${W}" height="${H}">${overlay.join('')}</svg>`), left: 0, top: 0 });
  fs.mkdirSync(path.dirname(out), { recursive: true });
  await sharp({ create: { width: W, height: H, channels: 3, background: '#222' } }).composite(comps).png().toFile(out);
  console.log(`wrote ${out} (${n} faces, ${cols}x${rows})`);
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
