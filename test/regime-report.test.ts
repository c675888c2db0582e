import { test } from 'node:test';
import assert from 'node:assert/strict';
import { primaryArms, primaryFamilyText, primarySentence, stageStatus, verdictsFrom } from '../src/report/regime';
import { secondaryVerdicts } from '../src/report/secondary';
import type { ComparisonRow, ExperimentTables } from '../src/report/experiment-tables';

const row = (comparison: string, n: number, verdict: string, meanDiff = -0.4): ComparisonRow => ({
  family: 'primary', comparison, baseline: 'a', arm: 'c', metric: 'NME % (clean truth)', n, meanDiff, sdDiff: n > 1 ? 0.3 : null,
  ci95: n > 1 ? [-0.6, -0.2] : null, pHolm: n > 1 ? 0.004 : null, intervalHolm: n > 1 ? [-0.7, -0.1] : null, margin: 0.2,
  pTost: n > 1 ? 0.9 : null, mde: n > 1 ? 0.25 : null, verdict,
});
const tables = (rows: ComparisonRow[]) => ({ comparisons: [...rows, { ...row('secondary one', 1, 'x'), family: 'secondary' }] }) as unknown as ExperimentTables;

test('stage status follows the pre-registered rule: 8 seeds, then 16 only if the 8-seed look has an inconclusive primary comparison', () => {
  const t = (n: number, verdicts: string[]) => tables(verdicts.map((v, i) => row(`P${i}`, n, v)));
  const decided = ['c lower (better)', 'equivalent within ±0.20 points', 'c higher (worse)'];
  const open = ['c lower (better)', 'inconclusive (detectable: 0.31 points)', 'c lower (better)'];
  const at = (n: number, verdicts: string[], look?: string[]) => stageStatus(t(n, verdicts), 3, [8, 16], look && t(8, look));
  assert.deepEqual([at(5, decided).stage, at(5, decided).final], [1, false]);
  const stop = at(8, decided);
  assert.deepEqual([stop.stage, stop.final, stop.verdicts], [1, true, 'current']);
  const extend = at(8, open);
  assert.deepEqual([extend.stage, extend.final], [2, false]);
  assert.match(extend.text, /\(P1\)[\s\S]*adds seeds 9–16/);
  // Between the looks nothing is final, even if the interim verdicts look decided.
  assert.deepEqual([at(12, decided, open).stage, at(12, decided, open).final], [2, false]);
  // Seeds trained past a conclusive first look do not change the verdicts: those of the first look are final.
  const past = at(12, open, decided);
  assert.deepEqual([past.stage, past.final, past.verdicts, past.seeds], [1, true, 'first-look', 8]);
  assert.match(past.text, /do not enter the verdicts/);
  assert.deepEqual([at(16, open, open).final, at(16, open, open).verdicts], [true, 'current']);
  assert.equal(at(17, open, open).final, false, 'more seeds than the design is a breach');
  assert.throws(() => at(12, decided), /pass the tables of the first 8 seeds/);
  // Stage 2 trains arm by arm: C − B can have 9 seeds while the interaction still has 8. The 9-seed numbers are not the
  // first look: an inconclusive first look keeps stage 2 running even if the interim rows all look decided.
  const mixed = (verdicts: string[], ns: number[]) => tables(verdicts.map((v, i) => row(`P${i}`, ns[i], v)));
  const uneven = stageStatus(mixed(decided, [8, 9, 8]), 3, [8, 16], t(8, open));
  assert.deepEqual([uneven.stage, uneven.final, uneven.seeds], [2, false, 8]);
  assert.match(uneven.text, /stage 2 running \(8–9 of 16/);
  assert.throws(() => stageStatus(mixed(decided, [8, 9, 8]), 3, [8, 16]), /has 9 paired seeds, past the first look/);
  const stopped = stageStatus(mixed(open, [8, 9, 8]), 3, [8, 16], t(8, decided));
  assert.deepEqual([stopped.final, stopped.verdicts], [true, 'first-look']);
  assert.equal(stageStatus(mixed(open, [16, 17, 16]), 3, [8, 16], t(8, open)).final, false, 'one comparison past the design is a breach');
  assert.match(stageStatus(mixed(open, [2, 2, 1]), 3).text, /have 1–2 of 8 paired seeds/);
  // A failed stage-1 run while later seeds of other arms finished: still stage 1, and said.
  const early = stageStatus(mixed(decided, [7, 9, 9]), 3, [8, 16]);
  assert.deepEqual([early.stage, early.final], [1, false]);
  assert.match(early.text, /7–9 of 8 .*Seeds beyond 8 were trained before stage 1 was complete/);
  // The first look must pair every comparison on exactly the first stage's seeds (a seed of 1–8 missing is refused).
  assert.throws(() => stageStatus(mixed(decided, [9, 9, 9]), 3, [8, 16], mixed(decided, [8, 7, 8])), /exactly its 8 seeds, but its tables have 7–8/);
  // A single-stage design: more seeds than it declares is a breach, never final; at its look the verdicts are final.
  assert.equal(stageStatus(mixed(open, [8, 9, 8]), 3, [8], t(8, open)).final, false);
  assert.match(stageStatus(mixed(open, [9, 9, 9]), 3, [8], t(8, open)).text, /more than the design's 8/);
  assert.deepEqual([stageStatus(t(8, open), 3, [8]).final, stageStatus(t(8, open), 3, [8]).verdicts], [true, 'current']);
  // A primary comparison without any paired run counts as zero seeds; no primary comparison at all, too.
  assert.equal(stageStatus(tables([row('P0', 8, 'c lower')]), 3).seeds, 0);
  assert.equal(stageStatus(tables([]), 0).seeds, 0);
});

test('primary arms: every arm a primary comparison names, once', () => {
  assert.deepEqual(primaryArms({ margin: 0.2, primary: [
    { id: 'a', label: 'a', baseline: 'x', arm: 'y' },
    { id: 'b', label: 'b', baseline: 'x', arm: 'y', versus: { baseline: 'u', arm: 'v' } },
  ] }), ['x', 'y', 'u', 'v']);
  assert.deepEqual(primaryArms(undefined), []);
});

test('primary sentence: Holm interval, TOST, MDE and the verdict; one seed is not testable', () => {
  const s = primarySentence(row('C − A at high ambiguity', 8, 'c-star-high lower (better)'));
  assert.match(s, /^C − A at high ambiguity: -0\.40 NME points \(Holm interval \[-0\.70, -0\.10\], Holm p 0\.004; TOST p 0\.9 against ±0\.2; MDE 0\.25 points; 8 paired seeds\): \*\*c-star-high lower \(better\)\*\*\.$/);
  assert.match(primarySentence(row('C − A', 8, 'c-star-high lower (better)'), false), /^interim, not a verdict — C − A: -0\.40 NME points .*: c-star-high lower \(better\) so far\.$/);
  assert.equal(primarySentence(row('X', 1, 'not testable (n = 1)', 0.5)), 'X: +0.50 points on one seed — not testable.');
  assert.equal(primarySentence(row('X', 0, 'not testable (n = 0)')), 'X: no paired seed yet — not testable.');
});

test('the look tables of a grid use only its first n seeds (committed original main grid: 3 seeds, look at 2)', async () => {
  const { EXPERIMENTS } = await import('../src/experiments/ablations');
  const { ensureExperiment } = await import('../src/experiments/ensure');
  const { experimentData } = await import('../src/report/experiment-data');
  const { stageLookTables } = await import('../src/report/regime');
  const d = experimentData(await ensureExperiment(EXPERIMENTS.main, { profile: 'full', train: 'never' }));
  assert.equal(d.profile, 'full');
  assert.ok(d.tables.arms.every((a) => a.seeds === 3), 'the committed main grid has 3 seeds per arm');
  const look = stageLookTables(d, 2);
  assert.ok(look.arms.every((a) => a.seeds === 2));
  assert.ok(look.comparisons.length > 0 && look.comparisons.every((c) => c.n === 2));
});

test('missing runs: named while few, then as seed ranges per arm', async () => {
  const { missingRunsText } = await import('../src/report/experiment-data');
  assert.equal(missingRunsText(['a-s2', 'b-s1']), 'a-s2, b-s1');
  const many = [...[2, 3, 4, 5, 7, 9, 10].map((s) => `a-coord-high-s${s}`), ...[1, 2, 3, 4, 5, 6, 7, 8].map((s) => `d-star-detach-high-s${s}`), 'odd-name'];
  assert.equal(missingRunsText(many), 'a-coord-high seeds 2–5, 7, 9–10; d-star-detach-high seeds 1–8; odd-name');
  assert.equal(missingRunsText(['x-s3', ...Array.from({ length: 12 }, (_, i) => `y-s${i + 1}`)]), 'x seed 3; y seeds 1–12');
});

test('primary family text: says when Holm runs over fewer comparisons than declared', () => {
  assert.equal(primaryFamilyText([row('a', 8, 'x'), row('b', 8, 'x'), row('c', 8, 'x')], 3), 'one Holm family of 3');
  assert.match(primaryFamilyText([row('a', 1, 'x')], 3), /none testable yet/);
  assert.equal(primaryFamilyText([row('a', 2, 'x'), row('b', 2, 'x'), row('c', 1, 'x')], 3),
    'one Holm family of 3; 2 testable so far, so the interim Holm p and MDE below are over those 2');
});

test('verdictsFrom: the tables the verdicts come from, and final verdicts from mixed runs refused', () => {
  const analysis = { margin: 0.2, stages: [8, 16], primary: ['P0', 'P1', 'P2'].map((id) => ({ id, label: id, baseline: 'a', arm: 'c' })) };
  const decided = ['c lower (better)', 'equivalent within ±0.20 points', 'c higher (worse)'];
  const withProv = (n: number, verdicts: string[], mixedRuns: boolean) => ({
    ...tables(verdicts.map((v, i) => row(`P${i}`, n, v))), provenance: { mixed: mixedRuns, groups: mixedRuns ? ['1. code x', '2. code y'] : ['1. code x'] },
  }) as unknown as ExperimentTables;
  // Past a conclusive first look: its tables give the verdicts; stage-2 runs of other code do not count.
  const past = verdictsFrom('g', withProv(12, decided, true), withProv(8, decided, false), analysis);
  assert.equal(past.stage.verdicts, 'first-look');
  assert.equal(past.verdictTables.comparisons[0].n, 8);
  assert.throws(() => verdictsFrom('g', withProv(8, decided, true), withProv(8, decided, true), analysis), /g: the final verdicts would mix runs of 2 code versions/);
  // In progress, mixed runs are shown (not final, not refused).
  assert.equal(verdictsFrom('g', withProv(5, decided, true), withProv(5, decided, true), analysis).stage.final, false);
});

test('secondaryVerdicts: final only when every declared comparison has exactly the planned seeds on one code version', () => {
  const sec = (n: number, metric = 'NME % (clean truth)', comparison = 'x − y') => ({ ...row(comparison, n, 'inconclusive (detectable: 0.30 points)'), family: 'secondary' as const, metric });
  const t = (rows: ComparisonRow[], mixed = false, arms: unknown[] = []) => ({ comparisons: rows, arms, provenance: { mixed, groups: mixed ? ['1. a', '2. b'] : ['1. a'] } }) as unknown as ExperimentTables;
  const at = (rows: ComparisonRow[], planned: number | null, declared = rows.length, mixed = false) => secondaryVerdicts(t(rows, mixed), { planned, declared });
  // The noisy-label family is descriptive only: it never yields a verdict line.
  assert.deepEqual(at([sec(4, 'NME % (noisy labels)')], 6, 1), { status: 'no paired comparison yet.', final: false, lines: [] });
  assert.match(secondaryVerdicts(t([], false, [{}]), { planned: 6, declared: 2 }).status, /arms shared with the grid are copies of its runs/);
  const done = at([sec(6), sec(6, undefined, 'u − v')], 6);
  assert.equal(done.final, true);
  assert.match(done.status, /^complete \(6 paired seeds.*\(one Holm family of 2\)\.$/);
  assert.match(done.lines[0], /^x − y: .*\*\*inconclusive/);
  // A declared comparison without any paired run: not final, and Holm covers fewer comparisons than declared (said).
  const short = at([sec(6), sec(6, undefined, 'u − v')], 6, 3);
  assert.equal(short.final, false);
  assert.match(short.status, /^running: 0–6 of the 6 .*one Holm family of 3; 2 testable so far/);
  const running = at([sec(4), sec(5, undefined, 'u − v')], 6);
  assert.equal(running.final, false);
  assert.match(running.status, /^running: 4–5 of the 6 paired seeds the sizing rule set; no verdict is final/);
  assert.match(running.lines[0], /^interim, not a verdict/);
  assert.match(at([sec(7)], 6).status, /protocol was exceeded/);
  const mixed = at([sec(6)], 6, 1, true);
  assert.deepEqual([mixed.final, /2 code versions or kernel sets: no verdict is final/.test(mixed.status)], [false, true]);
  assert.match(at([sec(2)], null).status, /exploratory, not verdicts/);
});

test('secondarySection restricts an experiment to the planned seeds; plannedSeeds only for full-profile runs (committed original main grid)', async () => {
  const { EXPERIMENTS } = await import('../src/experiments/ablations');
  const { ensureExperiment } = await import('../src/experiments/ensure');
  const { plannedSeeds, secondarySection } = await import('../src/report/secondary');
  const located = await ensureExperiment(EXPERIMENTS.main, { profile: 'full', train: 'never' });
  const plan = { sd: 0.1, from: [], experiments: [{ name: 'main', comparisons: 2, n: 2, mde: 0.1, meetsMargin: true }] };
  assert.equal(plannedSeeds(plan, located), 2);
  assert.equal(plannedSeeds(plan, { ...located, profile: 'smoke' }), null);
  assert.equal(plannedSeeds(null, located), null);
  const s = secondarySection(located, plan, 'spec.json');
  assert.ok(s.data.tables.arms.every((a) => a.seeds === 2), 'seed 3 does not enter');
  assert.equal(s.data.missing.length, 0, 'seeds past the planned ones are not missing');
  assert.match(s.markdown, /counted on seeds 1–2 \(set by the sizing rule\)/);
  // The original grid's seeds 1–2 ran on several code versions: the section refuses to call anything final.
  assert.equal(s.verdicts.final, false);
  assert.match(s.verdicts.status, /code versions or kernel sets: no verdict is final/);
});
