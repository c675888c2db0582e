/**
 * The regime's secondary ablations in words and tables (notebook 12): each pre-registered experiment
 * (src/experiments/regime-secondary.ts) on the seeds the sizing rule set, its verdicts on the clean-truth NME (its own
 * Holm family), and where it stands. The rule is read from the grid's final primary verdicts (report/regime.ts).
 */
import type { LocatedExperiment } from '../experiments/ensure';
import type { ComparisonRow, ExperimentTables } from './experiment-tables';
import { experimentData, provenanceMarkdown, type ExperimentData } from './experiment-data';
import { primaryFamilyText, primarySentence, regimeVerdicts, secondaryPlan, type SecondaryPlan, type StageStatus } from './regime';

export interface SecondaryVerdicts {
  /** Where the experiment stands against the seeds the sizing rule set. */
  status: string;
  final: boolean;
  /** One sentence per clean-truth comparison (its Holm family), marked interim unless final. */
  lines: string[];
}

/** The verdict family of a secondary experiment: its comparisons on the clean-truth NME (the noisy-label family is descriptive). */
export const secondaryRows = (t: ExperimentTables): ComparisonRow[] => t.comparisons.filter((c) => c.family === 'secondary' && c.metric.includes('clean'));

/**
 * A secondary experiment's verdicts. Final only when the sizing rule has set `planned` seeds (null: not applied, or not
 * the full profile), every one of its `declared` comparisons has exactly that many paired seeds, and the runs share one
 * code version and kernel set; interim otherwise, exploratory while the rule has not been applied.
 */
export function secondaryVerdicts(t: ExperimentTables, opts: { planned: number | null; declared: number }): SecondaryVerdicts {
  const { planned, declared } = opts;
  const rows = secondaryRows(t);
  if (!rows.length) {
    const armsOnly = t.arms.length ? ' (the arms shown are those with runs; arms shared with the grid are copies of its runs, not results of this experiment)' : '';
    return { status: `no paired comparison yet${armsOnly}.`, final: false, lines: [] };
  }
  const least = rows.length < declared ? 0 : Math.min(...rows.map((r) => r.n));
  const most = Math.max(...rows.map((r) => r.n));
  const range = most > least ? `${least}–${most}` : `${least}`;
  const family = primaryFamilyText(rows, declared);
  let status: string;
  if (planned === null) status = `not sized yet (the primary verdicts are not final, or these are not full-profile runs), so these numbers are exploratory, not verdicts`;
  else if (most > planned) status = `a comparison has ${most} paired seeds, more than the ${planned} the sizing rule set: the protocol was exceeded, so no verdict is final`;
  else if (t.provenance.mixed) status = `its runs come from ${t.provenance.groups.length} code versions or kernel sets: no verdict is final (retrain on one commit)`;
  else if (least < planned) status = `running: ${range} of the ${planned} paired seeds the sizing rule set; no verdict is final`;
  else status = `complete (${planned} paired seeds, as the sizing rule set): the verdicts below are final, inconclusive ones with their MDE`;
  const final = planned !== null && rows.length === declared && least === planned && most === planned && !t.provenance.mixed;
  return { status: `${status} (${family}).`, final, lines: rows.map((r) => primarySentence(r, final)) };
}

/** Where the grid stands, and the secondary seed counts its final primary verdicts set (null before). */
export function gridSecondaryPlan(grid: ExperimentData): { stage: StageStatus; plan: SecondaryPlan | null } {
  const { stage, verdictTables } = regimeVerdicts(grid);
  return { stage, plan: secondaryPlan(verdictTables, grid.spec.analysis, stage.final) };
}

/** The seeds the rule set for this experiment, or null (rule not applied yet, or runs of another profile). */
export function plannedSeeds(plan: SecondaryPlan | null, located: LocatedExperiment): number | null {
  if (located.profile !== 'full') return null;
  return plan?.experiments.find((e) => e.name === located.spec.name)?.n ?? null;
}

export interface SecondarySection {
  /** The experiment's data on seeds 1 … planned (all the spec's seeds before the rule is applied). */
  data: ExperimentData;
  planned: number | null;
  verdicts: SecondaryVerdicts;
  /** Heading, question, provenance, missing runs and the verdicts, for a notebook. */
  markdown: string;
}

/**
 * One secondary experiment for notebook 12: restricted to the seeds the sizing rule set (so missing runs, arm means and
 * the paired tables all count seeds 1 … n, and seeds past n do not enter), with its verdicts.
 */
export function secondarySection(located: LocatedExperiment, plan: SecondaryPlan | null, specFile: string): SecondarySection {
  const planned = plannedSeeds(plan, located);
  const onSeeds = planned === null ? located : { ...located, spec: { ...located.spec, seeds: located.spec.seeds.slice(0, planned) } };
  const data = experimentData(onSeeds);
  const verdicts = secondaryVerdicts(data.tables, { planned, declared: data.spec.comparisons.length });
  const seeds = planned === null ? `the ${data.spec.seeds.length} seeds this profile declares (the sizing rule has not set n)` : `seeds 1–${planned} (set by the sizing rule)`;
  const markdown = `### \`${data.spec.name}\`: ${data.spec.title}\n\n${data.spec.question} (spec: \`${specFile}\`; counted on ${seeds})\n\n` +
    `${provenanceMarkdown(data)}\n\n**Where it stands:** ${verdicts.status}` +
    (verdicts.lines.length ? `\n\n${verdicts.lines.map((l) => `- ${l}`).join('\n')}` : '') +
    (data.profile === 'smoke' ? '\n\n*Smoke profile: a few training steps on tiny data; these numbers only prove the code path runs.*' : '');
  return { data, planned, verdicts, markdown };
}
