/**
 * The regime grid's verdicts in words (notebook 11), from its tables (experiment-tables.ts): one sentence per
 * pre-registered primary comparison, and where the grid stands under its pre-registered stopping rule
 * (src/experiments/regime.ts: stage 1 = seeds 1–8; any primary comparison inconclusive at stage 1 → stage 2 adds seeds
 * 9–16 to every arm). The rule is applied here, not judged by whoever reads the table.
 */
import type { ComparisonRow, ExperimentTables } from './experiment-tables';
import { intervalText } from './experiment-tables';

/** The stages of the pre-registered seed rule: the paired seeds each stage needs. */
export const REGIME_STAGES = [8, 16] as const;

const signed = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(2)}`;

/** The primary rows (clean-truth NME, one Holm family), in the spec's order. */
export function primaryRows(t: ExperimentTables): ComparisonRow[] {
  return t.comparisons.filter((c) => c.family === 'primary');
}

/** "C − A at high ambiguity: −0.41 points (Holm interval [−0.70, −0.12], Holm p 0.004; MDE 0.25; 8 seeds): c-star-high lower (better)". */
export function primarySentence(c: ComparisonRow): string {
  if (c.n < 2) return `${c.comparison}: ${c.n === 0 ? 'no paired seed yet' : `${signed(c.meanDiff)} points on one seed`} — not testable.`;
  const holm = intervalText(c.intervalHolm);
  return `${c.comparison}: ${signed(c.meanDiff)} NME points (Holm interval ${holm ?? 'none'}, Holm p ${c.pHolm ?? '–'}; ` +
    `TOST p ${c.pTost ?? '–'} against ±${c.margin}; MDE ${c.mde === null ? '–' : c.mde.toFixed(2)} points; ${c.n} paired seeds): **${c.verdict}**.`;
}

export interface StageStatus {
  /** The stage whose seeds are being run or were last completed (1 or 2). */
  stage: 1 | 2;
  /** Paired seeds the primary comparisons have now (the smallest over them). */
  seeds: number;
  /** Whether the primary verdicts are final under the rule. */
  final: boolean;
  text: string;
}

/**
 * Where the grid stands: stage 1 running (fewer than 8 paired seeds), stage 1 complete and final (no primary
 * comparison inconclusive), stage 2 required or running, or stage 2 complete (final whatever the verdicts).
 */
export function stageStatus(t: ExperimentTables, primaryCount: number): StageStatus {
  const rows = primaryRows(t);
  const seeds = rows.length < primaryCount ? 0 : Math.min(...rows.map((r) => r.n));
  const [s1, s2] = REGIME_STAGES;
  const inconclusive = rows.filter((r) => r.verdict.startsWith('inconclusive')).map((r) => r.comparison);
  if (seeds < s1) return { stage: 1, seeds, final: false, text: `stage 1 running: ${seeds} of ${s1} paired seeds on every primary comparison; no verdict is final.` };
  if (seeds > s1 && seeds < s2) {
    return { stage: 2, seeds, final: false, text: `stage 2 running: ${seeds} of ${s2} paired seeds; no verdict is final until all ${s2} (the stage 1 look at ${s1} seeds decided to extend).` };
  }
  if (seeds === s1 && inconclusive.length === 0) {
    return { stage: 1, seeds, final: true, text: `stage 1 complete (${seeds} paired seeds) and no primary comparison is inconclusive: the verdicts below are final (no stage 2).` };
  }
  if (seeds === s1) {
    return { stage: 2, seeds, final: false, text: `stage 1 complete (${seeds} paired seeds) with ${inconclusive.length} inconclusive primary comparison(s) (${inconclusive.join('; ')}): ` +
      `the pre-registered rule adds seeds ${s1 + 1}–${s2} to every arm; stage 2 running, no verdict is final.` };
  }
  return { stage: 2, seeds, final: true, text: `stage 2 complete (${seeds} paired seeds): the verdicts below are final, inconclusive ones included (with their MDE).` };
}
