import { test } from 'node:test';
import assert from 'node:assert/strict';
import { primarySentence, stageStatus } from '../src/report/regime';
import type { ComparisonRow, ExperimentTables } from '../src/report/experiment-tables';

const row = (comparison: string, n: number, verdict: string, meanDiff = -0.4): ComparisonRow => ({
  family: 'primary', comparison, baseline: 'a', arm: 'c', metric: 'NME % (clean truth)', n, meanDiff, sdDiff: n > 1 ? 0.3 : null,
  ci95: n > 1 ? [-0.6, -0.2] : null, pHolm: n > 1 ? 0.004 : null, intervalHolm: n > 1 ? [-0.7, -0.1] : null, margin: 0.2,
  pTost: n > 1 ? 0.9 : null, mde: n > 1 ? 0.25 : null, verdict,
});
const tables = (rows: ComparisonRow[]) => ({ comparisons: [...rows, { ...row('secondary one', 1, 'x'), family: 'secondary' }] }) as unknown as ExperimentTables;

test('stage status follows the pre-registered rule: 8 seeds, then 16 if any primary comparison is inconclusive', () => {
  const at = (n: number, verdicts: string[]) => stageStatus(tables(verdicts.map((v, i) => row(`P${i}`, n, v))), 3);
  assert.deepEqual([at(5, ['c lower', 'c lower', 'c lower']).stage, at(5, ['c lower', 'c lower', 'c lower']).final], [1, false]);
  const decided = at(8, ['c lower (better)', 'equivalent within ±0.20 points', 'c higher (worse)']);
  assert.deepEqual([decided.stage, decided.final], [1, true]);
  const extend = at(8, ['c lower (better)', 'inconclusive (detectable: 0.31 points)', 'c lower (better)']);
  assert.deepEqual([extend.stage, extend.final], [2, false]);
  assert.match(extend.text, /\(P1\)[\s\S]*adds seeds 9–16/);
  // Between the looks nothing is final, even if the interim verdicts look decided.
  assert.deepEqual([at(12, ['c lower', 'c lower', 'c lower']).stage, at(12, ['c lower', 'c lower', 'c lower']).final], [2, false]);
  assert.deepEqual([at(16, ['inconclusive (detectable: 0.2 points)', 'c lower', 'c lower']).final], [true]);
  // A primary comparison without any paired run counts as zero seeds.
  assert.equal(stageStatus(tables([row('P0', 8, 'c lower')]), 3).seeds, 0);
});

test('primary sentence: Holm interval, TOST, MDE and the verdict; one seed is not testable', () => {
  const s = primarySentence(row('C − A at high ambiguity', 8, 'c-star-high lower (better)'));
  assert.match(s, /^C − A at high ambiguity: -0\.40 NME points \(Holm interval \[-0\.70, -0\.10\], Holm p 0\.004; TOST p 0\.9 against ±0\.2; MDE 0\.25 points; 8 paired seeds\): \*\*c-star-high lower \(better\)\*\*\.$/);
  assert.equal(primarySentence(row('X', 1, 'not testable (n = 1)', 0.5)), 'X: +0.50 points on one seed — not testable.');
  assert.equal(primarySentence(row('X', 0, 'not testable (n = 0)')), 'X: no paired seed yet — not testable.');
});
