/**
 * The regime grid's verdicts in words (notebook 11), from its tables (experiment-tables.ts): one sentence per
 * pre-registered primary comparison, and where the grid stands under its pre-registered stopping rule
 * (src/experiments/regime.ts: stage 1 = seeds 1–8; any primary comparison inconclusive at stage 1 → stage 2 adds seeds
 * 9–16 to every arm). The rule is applied here, not judged by whoever reads the table.
 */
import type { ComparisonRow, ExperimentTables } from './experiment-tables';
import { experimentTables, intervalText } from './experiment-tables';
import type { ExperimentData } from './experiment-data';
import { aggregateExperiment, type GridAnalysis } from '../runs/aggregate';
import { REGIME_SECONDARY, secondarySeedCount, type SeedCount } from '../experiments/regime-secondary';

/** The stages of the regime's seed rule when a spec declares none (src/experiments/regime.ts: analysis.stages). */
export const REGIME_STAGES: readonly number[] = [8, 16];

const signed = (v: number) => `${v > 0 ? '+' : ''}${v.toFixed(2)}`;

/** The primary rows (clean-truth NME, one Holm family), in the spec's order. */
export function primaryRows(t: ExperimentTables): ComparisonRow[] {
  return t.comparisons.filter((c) => c.family === 'primary');
}

/**
 * "C − A at high ambiguity: −0.41 points (Holm interval [−0.70, −0.12], Holm p 0.004; MDE 0.25; 8 seeds): **c-star-high
 * lower (better)**". Not `final` (the stopping rule has not ended the grid): marked interim, the verdict not in bold.
 */
export function primarySentence(c: ComparisonRow, final = true): string {
  if (c.n < 2) return `${c.comparison}: ${c.n === 0 ? 'no paired seed yet' : `${signed(c.meanDiff)} points on one seed`} — not testable.`;
  const holm = intervalText(c.intervalHolm);
  const body = `${c.comparison}: ${signed(c.meanDiff)} NME points (Holm interval ${holm ?? 'none'}, Holm p ${c.pHolm ?? '–'}; ` +
    `TOST p ${c.pTost ?? '–'} against ±${c.margin}; MDE ${c.mde === null ? '–' : c.mde.toFixed(2)} points; ${c.n} paired seeds)`;
  return final ? `${body}: **${c.verdict}**.` : `interim, not a verdict — ${body}: ${c.verdict} so far.`;
}

/**
 * A Holm family in words: Holm runs over the comparisons testable so far (2+ paired seeds), so while one is not (or has
 * no paired run at all), the interim p-values and MDEs are corrected for fewer comparisons than the design declares —
 * said, not hidden.
 */
export function primaryFamilyText(rows: readonly ComparisonRow[], declared: number): string {
  const testable = rows.filter((r) => r.n >= 2).length;
  if (testable === declared) return `one Holm family of ${declared}`;
  if (testable === 0) return `one Holm family of ${declared}; none testable yet (each needs 2 paired seeds)`;
  return `one Holm family of ${declared}; ${testable} testable so far, so the interim Holm p and MDE below are over those ${testable}`;
}

export interface StageStatus {
  /** The stage being run, or whose look gave the final verdicts (1-based). */
  stage: number;
  /** Paired seeds the primary comparisons have now (the least-paired one's). */
  seeds: number;
  /** Whether the primary verdicts are final under the rule. */
  final: boolean;
  /** Which tables hold the verdicts to report: all seeds now, or the look at the first stage's seeds. */
  verdicts: 'current' | 'first-look';
  text: string;
}

/** The arms the primary comparisons use (a smoke run or a first grid pass can train just these). */
export function primaryArms(analysis: GridAnalysis | undefined): string[] {
  const ids = (analysis?.primary ?? []).flatMap((p) => [p.baseline, p.arm, ...(p.versus ? [p.versus.baseline, p.versus.arm] : [])]);
  return [...new Set(ids)];
}

/** Paired seeds of the least- and most-paired primary comparison (0 while one has no pair or none is declared). */
const paired = (t: ExperimentTables, primaryCount: number): { least: number; most: number } => {
  const ns = primaryRows(t).map((r) => r.n);
  return { least: primaryCount === 0 || ns.length < primaryCount ? 0 : Math.min(...ns), most: ns.length ? Math.max(...ns) : 0 };
};
const inconclusiveOf = (t: ExperimentTables) => primaryRows(t).filter((r) => r.verdict.startsWith('inconclusive')).map((r) => r.comparison);

/**
 * Where a staged grid stands (two stages, e.g. [8, 16]). Below the first look nothing is final; at it, the verdicts are
 * final unless a primary comparison is inconclusive, which starts stage 2; between the looks nothing is final; at the
 * second look everything is. The current tables are the first look only while every primary comparison has exactly the
 * first stage's seeds: once any has more (stage 2 trains arms one after another, so C − B can reach 9 seeds while the
 * interaction still has 8), whether stage 2 was due is decided by `firstLook` — the tables of the first stage's seeds
 * alone (stageLookTables) — never by interim numbers: if the first look was conclusive, its verdicts stay the final
 * ones whatever was trained after. More seeds than the last stage is a protocol breach.
 */
export function stageStatus(t: ExperimentTables, primaryCount: number, stages: readonly number[] = REGIME_STAGES, firstLook?: ExperimentTables): StageStatus {
  const { least: seeds, most } = paired(t, primaryCount);
  const [s1, s2 = s1] = stages;
  const range = most > seeds ? `${seeds}–${most}` : `${seeds}`;
  if (most > s2) {
    return { stage: stages.length, seeds, final: false, verdicts: 'current',
      text: `a primary comparison has ${most} paired seeds, more than the design's ${s2}: the protocol was exceeded, so no verdict is final (restrict the tables to seeds 1–${s2}).` };
  }
  if (seeds < s1) {
    const early = most > s1 ? ` Seeds beyond ${s1} were trained before stage 1 was complete: they do not enter the first look.` : '';
    return { stage: 1, seeds, final: false, verdicts: 'current',
      text: `stage 1 running: the primary comparisons have ${range} of ${s1} paired seeds (the least-paired decides the look); no verdict is final.${early}` };
  }
  const atLook = most === s1;
  const look = atLook ? t : firstLook;
  if (!look) throw new Error(`stageStatus: a primary comparison has ${most} paired seeds, past the first look (${s1}): pass the tables of the first ${s1} seeds`);
  const lookSeeds = paired(look, primaryCount);
  if (lookSeeds.least !== s1 || lookSeeds.most !== s1) {
    throw new Error(`stageStatus: the first look must pair every primary comparison on exactly its ${s1} seeds, but its tables have ${lookSeeds.least}–${lookSeeds.most} (a run of seeds 1–${s1} is missing or unfinished)`);
  }
  const inconclusive = inconclusiveOf(look);
  if (inconclusive.length === 0 || s2 === s1) {
    const extra = atLook ? '' : ` (seeds beyond ${s1} were trained, but the design stopped at ${s1}: they do not enter the verdicts)`;
    const head = inconclusive.length === 0 ? `stage 1 complete (${s1} paired seeds) and no primary comparison is inconclusive: the verdicts below, from those ${s1} seeds, are final`
      : `the only stage is complete (${s1} paired seeds): the verdicts below are final, inconclusive ones included (with their MDE)`;
    return { stage: 1, seeds: s1, final: true, verdicts: atLook ? 'current' : 'first-look', text: `${head}${extra}.` };
  }
  const why = `${inconclusive.length} primary comparison(s) inconclusive at ${s1} seeds (${inconclusive.join('; ')})`;
  if (seeds < s2) {
    return { stage: 2, seeds, final: false, verdicts: 'current', text: `${why}: the pre-registered rule adds seeds ${s1 + 1}–${s2} to every arm; stage 2 running (${range} of ${s2} paired seeds), no verdict is final.` };
  }
  return { stage: 2, seeds, final: true, verdicts: 'current', text: `${why}, so stage 2 ran; it is complete (${seeds} paired seeds): the verdicts below are final, inconclusive ones included (with their MDE).` };
}

/** The tables of a grid restricted to its first `n` seeds (the look of stage 1), computed from the run folders, not written. */
export function stageLookTables(d: ExperimentData, n: number): ExperimentTables {
  const spec = { ...d.spec, seeds: d.spec.seeds.slice(0, n) };
  return experimentTables(spec, d.profile, aggregateExperiment(d.resultsRoot, spec, { allowMixed: true }));
}

export interface RegimeVerdicts {
  stage: StageStatus;
  /** The tables of the first stage's seeds alone (needed once a comparison is past the first look). */
  firstLook?: ExperimentTables;
  /** The tables the verdicts are read from (the current ones, or the first look's). */
  verdictTables: ExperimentTables;
}

/**
 * Verdicts on a staged grid from its tables and its first look: where it stands under the rule, and which tables the
 * verdicts are read from. Runs of mixed code versions are shown while the grid is in progress (a notebook's provenance
 * line names them), but final verdicts from them are refused, as `star tables` and the README refuse them; only the
 * runs the verdicts are read from count (runs past a conclusive first look do not enter them).
 */
export function verdictsFrom(name: string, tables: ExperimentTables, firstLook: ExperimentTables | undefined, analysis: GridAnalysis | undefined): RegimeVerdicts {
  const stage = stageStatus(tables, analysis?.primary?.length ?? 0, analysis?.stages ?? REGIME_STAGES, firstLook);
  // stageStatus throws before answering 'first-look' without those tables.
  const verdictTables = stage.verdicts === 'first-look' ? firstLook! : tables;
  if (stage.final && verdictTables.provenance.mixed) {
    throw new Error(`${name}: the final verdicts would mix runs of ${verdictTables.provenance.groups.length} code versions or kernel sets, ` +
      `so they are refused (as star tables refuses them):\n  ${verdictTables.provenance.groups.join('\n  ')}`);
  }
  return { stage, firstLook, verdictTables };
}

/** verdictsFrom on a notebook's experiment data (its first look computed from the run folders). */
export function regimeVerdicts(d: ExperimentData): RegimeVerdicts {
  return verdictsFrom(d.spec.name, d.tables, stageLookTables(d, (d.spec.analysis?.stages ?? REGIME_STAGES)[0]), d.spec.analysis);
}

export interface SecondaryPlan {
  /** The larger observed sd of the paired differences the sizing rule reads (NME points), and the rows it came from. */
  sd: number;
  from: string[];
  experiments: Array<{ name: string; comparisons: number } & SeedCount>;
}

/**
 * The pre-registered sizing rule of the secondary ablations (src/experiments/regime-secondary.ts), applied to the
 * primary rows the final verdicts come from: null while those verdicts are not final (the rule must not read interim
 * numbers) or a sized comparison has no sd.
 */
export function secondaryPlan(verdictTables: ExperimentTables, analysis: GridAnalysis | undefined, final: boolean): SecondaryPlan | null {
  if (!final) return null;
  // C − A and C − B at high ambiguity: the primary comparisons within one level (the interaction is a difference of two).
  const sized = new Set((analysis?.primary ?? []).filter((p) => !p.versus).map((p) => p.label));
  const rows = primaryRows(verdictTables).filter((r) => sized.has(r.comparison));
  if (rows.length === 0 || rows.some((r) => r.sdDiff === null)) return null;
  const sd = Math.max(...rows.map((r) => r.sdDiff!));
  return {
    sd, from: rows.map((r) => r.comparison),
    experiments: REGIME_SECONDARY.map((s) => ({ name: s.name, comparisons: s.comparisons.length, ...secondarySeedCount(sd, s.comparisons.length) })),
  };
}

/** One sentence for the README and notebook 11. */
export function secondaryPlanText(plan: SecondaryPlan | null): string {
  const names = REGIME_SECONDARY.map((s) => `\`${s.name}\``).join(', ');
  const head = `Secondary ablations (pre-registered on 2026-12-03 with one paired seed of the grid, \`src/experiments/regime-secondary.ts\`; ` +
    `in this order, at high ambiguity: ${names}): `;
  if (!plan) return `${head}not sized yet: their seeds follow from the primary comparisons' observed sd once the primary verdicts are final.`;
  return head + `sized from the primary sd ${plan.sd.toFixed(3)} points (the larger of ${plan.from.join(' and ')}): ` +
    plan.experiments.map((e) => `${e.name} ${e.n} seeds (MDE ${e.mde.toFixed(2)} points at α = 0.05/${e.comparisons}${e.meetsMargin ? '' : ', above the margin: the cap'})`).join('; ') + '.';
}
