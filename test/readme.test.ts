/** The README's numbers are generated from results/ (src/report/readme.ts, scripts/readme.ts): they must agree. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import * as fs from 'fs';
import * as path from 'path';
import { blockNames, fillReadme } from '../src/report/readme';
import { readmeBlocks } from '../scripts/readme';

const README = path.join(__dirname, '..', 'README.md');

test('every generated block of README.md matches what results/ says (run `npm run readme` after new results)', () => {
  const text = fs.readFileSync(README, 'utf8');
  assert.deepEqual(blockNames(text).sort(), ['original-grid', 'quick', 'regime', 'speed']);
  const blocks = readmeBlocks();
  for (const name of blockNames(text)) {
    const want = fillReadme(`<!-- generated:${name} -->\nX\n<!-- end generated:${name} -->`, blocks);
    assert.ok(text.includes(want), `README block "${name}" is stale: run npm run readme`);
  }
});

test('fillReadme replaces only the marked blocks and refuses unknown ones', () => {
  const t = 'a\n<!-- generated:x -->\nold\n<!-- end generated:x -->\nb';
  assert.equal(fillReadme(t, { x: 'new' }), 'a\n<!-- generated:x -->\nnew\n<!-- end generated:x -->\nb');
  assert.throws(() => fillReadme(t, {}), /README block "x" has no generator/);
});

test('run-length line: hand-computed gap from two run folders of each length (a resumed step keeps its last value)', async () => {
  const os = await import('os');
  const { runLengthLine } = await import('../src/report/readme');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-readme-length-'));
  const run = (experiment: string, name: string, vals: [number, number][], commit = 'abc1234') => {
    const dir = path.join(root, 'runs', experiment, name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), vals.map(([step, nme]) => JSON.stringify({ step, val: { nme, fr: 0, auc: 0 } })).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({ gitCommit: commit, backend: 'wasm', threads: 1, customKernels: [], starLossKernels: 'host', tfjs: '4.22.0' }));
    fs.writeFileSync(path.join(dir, 'summary.json'), '{}');
  };
  run('regime-pilot', 'a-coord-s1', [[500, 0.2], [1000, 0.11], [1000, 0.1]]);
  run('regime-pilot', 'a-coord-s2', [[500, 0.2], [1000, 0.12]]);
  run('regime-pilot', 'a-coord-long-s1', [[500, 0.2], [1000, 0.1], [2500, 0.09]]);
  run('regime-pilot', 'a-coord-long-s2', [[500, 0.2], [1000, 0.1], [2500, 0.1]]);
  run('regime-pilot', 'c-star-s1', [[500, 0.1]]); // no long twin: left out
  // Second stage, across experiments: the 2.5x runs against regime-length's 40k runs (seed 1 only finished there).
  run('regime-length', 'a-coord-40k-s1', [[500, 0.2], [5000, 0.0891]]);
  fs.mkdirSync(path.join(root, 'runs', 'regime-length', 'a-coord-40k-s2')); // started, not finished: left out
  // Seed means, stage 1: chosen best 0.11 at 1000; longer best 0.095 at 2500; gap 0.015 / 0.095.
  // Stage 2, seed 1: best 0.09 at 2500 vs 0.0891 at 5000: gap 0.0009 / 0.0891 = +1.01%, within 2%.
  assert.equal(runLengthLine(root, { 'a-coord': 'A' }),
    `8,000 vs 20,000 steps: A 11.00% at step 1,000 vs 9.50% at step 2,500 (+${(100 * 0.015 / 0.095).toFixed(2)}%, 2 seeds: beyond 2%). ` +
    `20,000 vs 40,000 steps: A 9.00% at step 2,500 vs 8.91% at step 5,000 (+${(100 * 0.0009 / 0.0891).toFixed(2)}%, 1 seed: within 2%)`);
  // Runs of another commit are never compared: the stage-2 pair drops out of the line.
  run('regime-length', 'a-coord-40k-s1', [[500, 0.2], [5000, 0.0891]], 'def5678');
  const { lengthChecks, LENGTH_STAGES } = await import('../src/report/pilot');
  const row = lengthChecks(root, LENGTH_STAGES[1])[0];
  assert.equal(row.check, null);
  assert.match(row.missing ?? '', /other code or kernels.*abc1234.*def5678|other code or kernels.*def5678.*abc1234/);
  assert.equal(runLengthLine(root, { 'a-coord': 'A' })?.includes('20,000 vs 40,000'), false);
  fs.rmSync(root, { recursive: true });
});

test('run pace and grid budget: hand-computed from logged wall-clock stamps (resumed steps keep their last stamp, interruptions are left out)', async () => {
  const os = await import('os');
  const { runPace } = await import('../src/runs/pace');
  const { budgetLine } = await import('../src/report/readme');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-readme-pace-'));
  const run = (name: string, lines: Array<[number, number]>) => {
    const dir = path.join(root, 'runs', 'regime-pilot', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), lines.map(([step, time]) => JSON.stringify({ step, loss: 0.1, lr: 1e-3, time })).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'summary.json'), '{}');
    return dir;
  };
  // 10-step intervals of 2 s (200 ms/step), one of 5 s (a validation pause: kept), one of 2 h (a stop: left out);
  // step 30 was logged twice (a resume): its last stamp counts.
  const a = run('a-coord-long-s1', [[10, 0], [20, 2000], [30, 9999], [30, 4000], [40, 9000], [50, 11000], [60, 11000 + 7.2e6], [70, 11000 + 7.2e6 + 2000]]);
  const p = runPace(a)!;
  assert.equal(p.medianMsPerStep, 200);
  assert.equal(p.gaps, 1);
  assert.equal(p.steps, 50);
  assert.ok(Math.abs(p.secondsPerStep - 13 / 50) < 1e-12); // (2 + 2 + 5 + 2 + 2) s over 50 steps
  run('c-star-long-s1', [[10, 0], [20, 1000], [30, 2000]]); // 100 ms/step
  run('a-coord-s1', [[10, 0], [20, 99000]]); // not a 20,000-step run: not counted
  // Mean s/step (0.26 + 0.1) / 2 = 0.18; a 10,000-step run = 0.5 h; 4 runs on 2 workers = 1 h, 2 runs 0.5 h.
  assert.equal(budgetLine(root, { steps: 10000, runs: 4, primaryRuns: 2, workers: 2 }),
    "Budget, from the pilot's 2 finished runs of 20,000 and 40,000 steps (two single-threaded workers sharing the 2-core machine; median 150 ms per step, "
    + '0.180 s per step with validation, 0.100–0.260 across runs and machines): 0.50 h per 10,000-step run; stage 1 (4 runs) ≈ 1.0 h on 2 workers, its primary arms alone (2 runs) ≈ 0.5 h.');
  // A 40,000-step run of the second check counts too (regime-length): 0.12 s/step -> mean (0.26 + 0.1 + 0.12) / 3 = 0.16.
  const l = path.join(root, 'runs', 'regime-length', 'a-coord-40k-s1');
  fs.mkdirSync(l, { recursive: true });
  fs.writeFileSync(path.join(l, 'metrics.jsonl'), [[10, 0], [20, 1200], [30, 2400]].map(([step, time]) => JSON.stringify({ step, loss: 0.1, lr: 1e-3, time })).join('\n') + '\n');
  fs.writeFileSync(path.join(l, 'summary.json'), '{}');
  assert.match(budgetLine(root, { steps: 10000, runs: 4, primaryRuns: 2, workers: 2 })!, /pilot's 3 finished runs .*median 120 ms per step, 0\.160 s per step with validation, 0\.100–0\.260 .*: 0\.44 h per 10,000-step run/);
  fs.rmSync(root, { recursive: true });
});

test('speed block: repeats of one configuration give median and range; another engine is not a repeat; paper line from its file', async () => {
  const os = await import('os');
  const { benchRepeats, paperLine, speedBlock } = await import('../src/report/readme');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-readme-speed-'));
  const dir = path.join(root, 'bench');
  fs.mkdirSync(dir, { recursive: true });
  const line = (dnnl: string) => `wasm threads=1 engines=OpenBLAS Haswell${dnnl} kernels=Conv2D(native)`;
  const bench = (stamp: string, tfjsMs: number, torchMs: number, dnnl = ' + oneDNN 2.6.3 avx2', load = 0.1) =>
    fs.writeFileSync(path.join(dir, `train-step-${stamp}.json`), JSON.stringify({
      date: stamp, host: { cpus: 2, model: 'Test CPU', loadavg: [load, 0, 0] }, batch: 8,
      summary: [{ net: 'hg-cpu-tiny', threads: 1, tfjsMs, torchMs, ratio: tfjsMs / torchMs }],
      results: [{ net: 'hg-cpu-tiny', threads: 1, backendLine: line(dnnl), flopsPerStep: 0.5e9, sgemmGflops: 100, medianMs: tfjsMs, loss: { starShare: tfjsMs / 1000 } }],
    }));
  bench('2026-01-01T00-00-00', 50, 40, ''); // OpenBLAS only: another configuration
  bench('2026-01-02T00-00-00', 30, 40, undefined, 0.2);
  bench('2026-01-02T01-00-00', 36, 40, undefined, 0.4);
  bench('2026-01-02T02-00-00', 40, 32, undefined, 0.3);
  const reps = benchRepeats(dir);
  assert.deepEqual(reps.map((r) => r.file), ['train-step-2026-01-02T00-00-00.json', 'train-step-2026-01-02T01-00-00.json', 'train-step-2026-01-02T02-00-00.json']);
  const block = speedBlock({ resultsRoot: root });
  // tfjs ms 30, 36, 40 -> median 36; PyTorch 40, 40, 32 -> 40; ratios 0.75, 0.90, 1.25 -> median 0.90, range 0.75-1.25;
  // GFLOP/s of the newest file: 0.5 GFLOP / 0.040 s = 12.5 -> "13 (100)".
  assert.match(block, /\| hg-cpu-tiny \| 1 \| 36 \(30–40\) \| 40 \(32–40\) \| 0\.90 \(0\.75–1\.25\) \| 13 \(100\) \| 4\.0% \|/);
  assert.match(block, /3 repeats/);
  assert.match(block, /load average 0\.20–0\.40/);
  assert.match(block, /OpenBLAS Haswell \+ oneDNN 2\.6\.3 avx2/);
  assert.match(paperLine(dir), /no committed CPU measurement/);
  const rows = [45000, 16000, 17000, 15000].map((ms, i) => ({ step: i + 1, ms, rssMB: 12000 + i, numTensors: 2732, load1: 1 + i / 10, loaderWaitMs: 0, loss: 1 }));
  fs.writeFileSync(path.join(dir, 'paper-2026-01-03T00-00-00.json'), JSON.stringify({
    date: 'x', host: { cpus: 2, model: 'Test CPU' }, args: { batch: 8, threads: 2 },
    tfjs: { backendLine: '[backend] host + native', params: 13476468, rows }, torch: { median_ms: 32000, torch: '1.13' },
  }));
  const paper = paperLine(dir);
  // Steps 2-4: 16, 17, 15 s -> median 16.0; PyTorch 32.0 -> 0.50; RSS 12001 at step 2, 12003 at step 4.
  assert.match(paper, /4 training steps on host \+ native; median 16\.0 s per step after the first \(45\.0 s\)/);
  assert.match(paper, /PyTorch 1\.13's 32\.0 s .*tfjs \/ PyTorch 0\.50/);
  assert.match(paper, /RSS 12001 MB at step 2 and 12003 MB at step 4, live tensors 2732 at every step/);
  assert.match(paper, /13\.48 M parameters/);
});

test('grid flatness: per arm from its finished runs, hand-computed; mixed code refused; shown in the regime block', async () => {
  const os = await import('os');
  const { flatnessChecks } = await import('../src/report/pilot');
  const { regimeBlock } = await import('../src/report/readme');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-readme-flat-'));
  const run = (name: string, vals: [number, number][], commit = 'abc1234') => {
    const dir = path.join(root, 'runs', 'regime', name);
    fs.mkdirSync(dir, { recursive: true });
    fs.writeFileSync(path.join(dir, 'metrics.jsonl'), vals.map(([step, nme]) => JSON.stringify({ step, val: { nme, fr: 0, auc: 0 } })).join('\n') + '\n');
    fs.writeFileSync(path.join(dir, 'env.json'), JSON.stringify({ gitCommit: commit, backend: 'wasm', threads: 1, customKernels: [], starLossKernels: 'host', tfjs: '4.22.0' }));
    fs.writeFileSync(path.join(dir, 'summary.json'), '{}');
  };
  // A: seed means 0.2, 0.11, 0.104, 0.100 at 10k..40k -> up to 30k best 0.104 vs 0.100: +4% (still improving).
  run('a-s1', [[10000, 0.21], [20000, 0.12], [30000, 0.100], [40000, 0.098]]);
  run('a-s2', [[10000, 0.19], [20000, 0.10], [30000, 0.108], [40000, 0.102]]);
  // C: one seed, 0.103 at 30k vs 0.102 at 40k: +0.98% (flat).
  run('c-s1', [[10000, 0.2], [20000, 0.11], [30000, 0.103], [40000, 0.102]]);
  // D: two seeds of different commits: refused.
  run('d-s1', [[10000, 0.2], [40000, 0.1]]);
  run('d-s2', [[10000, 0.2], [40000, 0.1]], 'def5678');
  const rule = { upToFraction: 0.75, tolerance: 0.02 };
  const rows = flatnessChecks(root, 'regime', ['a', 'c', 'd', 'e'], rule);
  assert.ok(Math.abs(rows[0].flatness!.relativeGain - 0.04) < 1e-9 && rows[0].flatness!.flat === false && rows[0].flatness!.seeds === 2);
  assert.ok(Math.abs(rows[1].flatness!.relativeGain - (0.103 - 0.102) / 0.102) < 1e-9 && rows[1].flatness!.flat === true);
  assert.match(rows[2].missing!, /other code or kernels/);
  assert.equal(rows[3].missing, 'no finished run');
  const block = regimeBlock({ resultsRoot: root }, { pilot: 16, grid: 40 }, { flatness: { arms: ['a', 'c', 'd', 'e'], rule } });
  assert.match(block, /Grid flatness .*a 10\.40% up to step 30,000 vs 10\.00% at step 40,000 \(\+4\.00%, 2 seeds: still improving\); c 10\.30% .*\(\+0\.98%, 1 seed: flat on one seed, provisional: the pilot.s rule asks for 2\); d: runs of other code or kernels \(code \(commit abc1234 vs def5678\)\): not compared\./);
  assert.doesNotMatch(regimeBlock({ resultsRoot: root }, { pilot: 16, grid: 40 }), /Grid flatness/);
});

test('speed block: the default (fastest) engines first, then pinned and the same-ISA ratio, median and range over the repeats that have them', async () => {
  const os = await import('os');
  const { speedBlock } = await import('../src/report/readme');
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'star-readme-isa-'));
  const dir = path.join(root, 'bench');
  fs.mkdirSync(dir, { recursive: true });
  const line = 'wasm threads=1 engines=OpenBLAS Haswell + oneDNN 2.6.3 avx2 kernels=Conv2D(native)';
  const fastLine = 'wasm threads=1 engines=OpenBLAS SkylakeX + oneDNN 2.6.3 avx512_core kernels=Conv2D(native)';
  const bench = (stamp: string, tfjsMs: number, torchMs: number, torchAvx2Ms: number, tfjsFastestMs: number) =>
    fs.writeFileSync(path.join(dir, `train-step-${stamp}.json`), JSON.stringify({
      date: stamp, host: { cpus: 2, model: 'Test CPU', loadavg: [0.1, 0, 0] }, batch: 8,
      summary: [{ net: 'hg-cpu-128', threads: 2, tfjsMs, torchMs, ratio: tfjsMs / torchMs, torchAvx2Ms, ratioSameIsa: tfjsMs / torchAvx2Ms, tfjsFastestMs, ratioFastest: tfjsFastestMs / torchMs }],
      results: [{ net: 'hg-cpu-128', threads: 2, engines: 'pinned', backendLine: line, flopsPerStep: 2e9, sgemmGflops: 200, medianMs: tfjsMs, loss: { starMs: 3.3, mseMs: 2.1, starShare: 3.3 / tfjsMs } },
        { net: 'hg-cpu-128', threads: 2, engines: 'fastest', backendLine: fastLine, flopsPerStep: 2e9, sgemmGflops: 300, medianMs: tfjsFastestMs, loss: null }],
    }));
  bench('2026-02-01T00-00-00', 80, 64, 100, 72); // same-ISA 0.80, fastest 1.125
  bench('2026-02-01T01-00-00', 90, 60, 90, 60); // 1.00, 1.00
  const block = speedBlock({ resultsRoot: root });
  // tfjs 80, 90 -> 85 (80–90); PyTorch 64, 60 -> 62; ratios 1.25, 1.50 -> 1.38 (1.25–1.50); AVX2 PyTorch 100, 90 -> 95;
  // same-ISA 0.80, 1.00 -> 0.90; fastest 72, 60 -> 66; fastest ratio 1.125, 1.00 -> 1.06 (1.00–1.13, rounded).
  // The headline columns are the default engines' (fastest); pinned and the same-ISA ratio follow. GFLOP/s of the
  // newest fastest step: 2 GFLOP / 60 ms = 33 (sgemm 300); STAR share: 3.3 / (60 − 2.1 + 3.3) = 5.4% of the newest fastest step.
  assert.match(block, /\| tfjs ms\/step \| PyTorch ms\/step \| tfjs \/ PyTorch \| tfjs pinned ms \| pinned \/ PyTorch \| PyTorch at AVX2 ms \| same-ISA ratio \| tfjs GFLOP\/s \(sgemm\) \| STAR share of a step \|/);
  assert.match(block, /\| hg-cpu-128 \| 2 \| 66 \(60–72\) \| 62 \(60–64\) \| 1\.06 \(1\.00–1\.13\) \| 85 \(80–90\) \| 1\.38 \(1\.25–1\.50\) \| 95 \(90–100\) \| 0\.90 \(0\.80–1\.00\) \| 33 \(300\) \| 5\.4% \|/);
  assert.match(block, /tfjs on OpenBLAS Haswell \+ oneDNN 2\.6\.3 avx2, OpenBLAS SkylakeX \+ oneDNN 2\.6\.3 avx512_core;/);
  assert.match(block, /same-ISA ratio: tfjs pinned \(AVX2\) over PyTorch with its oneDNN capped at AVX2/);
});
