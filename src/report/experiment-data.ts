/**
 * What a notebook shows of an experiment: the runs src/experiments/ensure.ts located (read through src/runs/, never
 * trained here), aggregated over seeds and tabulated, with a provenance line that says where the numbers come from.
 */
import { profileLabel, type Profile } from '../config/profile';
import type { LocatedExperiment } from '../experiments/ensure';
import { restrictSpec } from '../experiments/spec';
import { aggregateExperiment, describeProvenanceGroups, type ExperimentResults } from '../runs/aggregate';
import { isRunComplete, readPredictionRecords, runDirFor } from '../runs/folder';
import { MODEL_COLOURS, type RecordSet, type RunRef } from './figures/distributions';
import { experimentTables, summariseExperiment, UNITS, type ExperimentTables } from './experiment-tables';

export interface ExperimentData extends LocatedExperiment {
  /** Column/legend label for every number: "ours, synthetic benchmark (<profile>)". */
  label: string;
  /** The experiment's tables over the arms that have runs (also written to `<resultsRoot>/tables/`, except for committed results). */
  tables: ExperimentTables;
  /** Every arm of the spec aggregated over its finished seeds (n = 0 for an arm without runs). */
  results: ExperimentResults;
  /** Runs (`<arm>-s<seed>`) of the requested arms that do not exist. */
  missing: string[];
}

export function oursLabel(profile: Profile): string {
  return `ours, synthetic benchmark (${profile})`;
}

export function experimentData(located: LocatedExperiment): ExperimentData {
  const { spec, profile, resultsRoot: root, only } = located;
  // Tables list the arms that have runs; arms without any are reported as missing instead.
  const withRuns = restrictSpec(spec, spec.arms.filter((a) => spec.seeds.some((s) => isRunComplete(runDirFor(root, spec, a, s)))).map((a) => a.id));
  // A notebook shows what exists, mixed provenance included, and says so in its provenance line (provenanceMarkdown).
  // Committed results are read, never rewritten: their tables are the ones `star tables` wrote (all arms, no mixing).
  const tables = !withRuns.arms.length ? emptyTables(spec, profile)
    : located.committed ? experimentTables(withRuns, profile, aggregateExperiment(root, withRuns, { allowMixed: true }))
      : summariseExperiment(withRuns, profile, root, { allowMixed: true }).tables;
  const results = aggregateExperiment(root, spec, { allowMixed: true });
  const keep = (m: string) => !only || only.some((a) => m.startsWith(`${a}-s`));
  return { ...located, label: oursLabel(profile), tables, results, missing: results.missing.filter(keep) };
}

function emptyTables(spec: LocatedExperiment['spec'], profile: Profile): ExperimentTables {
  return {
    experiment: spec.name, title: spec.title, question: spec.question, profile, label: profileLabel(profile), threshold: null, units: UNITS,
    arms: [], comparisons: [], missing: [], provenance: { mixed: false, groups: [] },
  };
}

/**
 * Missing runs in words: each one named while they are few; a grid still running (dozens missing) as seed ranges per
 * arm ("a-coord-high seeds 2–16"), which says the same in a line a reader can scan.
 */
export function missingRunsText(missing: string[], listUpTo = 12): string {
  if (missing.length <= listUpTo) return missing.join(', ');
  const byArm = new Map<string, number[]>();
  for (const run of missing) {
    const m = /^(.*)-s(\d+)$/.exec(run);
    const [arm, seed] = m ? [m[1], Number(m[2])] : [run, NaN];
    byArm.set(arm, [...(byArm.get(arm) ?? []), seed]);
  }
  const ranges = (seeds: number[]) => {
    const sorted = seeds.filter((s) => Number.isFinite(s)).sort((a, b) => a - b);
    const out: string[] = [];
    for (let i = 0; i < sorted.length; i++) {
      let j = i;
      while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
      out.push(j > i ? `${sorted[i]}–${sorted[j]}` : `${sorted[i]}`);
      i = j;
    }
    return out.join(', ');
  };
  return [...byArm].map(([arm, seeds]) => (seeds.every((s) => Number.isFinite(s)) ? `${arm} seed${seeds.length === 1 ? '' : 's'} ${ranges(seeds)}` : arm)).join('; ');
}

/** The given arms that have at least one finished run, in the given order (figures skip arms not trained yet). */
export function armsWithRuns(d: ExperimentData, ids: readonly string[]): string[] {
  return ids.filter((id) => (d.results.arms.find((a) => a.arm === id)?.seeds.length ?? 0) > 0);
}

/** Markdown line for a notebook: data source and missing runs (said plainly, never hidden). */
export function provenanceMarkdown(d: ExperimentData): string {
  const miss = d.missing.length ? `\n\n**Missing runs (${d.missing.length}):** ${missingRunsText(d.missing)} — numbers below use only the runs that exist.` : '';
  const groups = describeProvenanceGroups(d.results.provenance);
  const mixed = groups.length > 1 ? `\n\n**Mixed provenance:** these runs come from ${groups.length} code versions or kernel sets, so paired differences mix the arm with the code:\n${groups.map((g) => `- ${g}`).join('\n')}` : '';
  return `**Data:** ${d.label}; ${d.source}.${miss}${mixed}`;
}

/** Finished run folders of one arm, in seed order. */
export function armRunDirs(d: ExperimentData, armId: string): string[] {
  const arm = d.results.arms.find((a) => a.arm === armId);
  if (!arm) throw new Error(`${d.spec.name}: no arm "${armId}"`);
  return arm.seeds.map((s) => runDirFor(d.resultsRoot, d.spec, { id: armId }, s));
}

/**
 * Per-prediction records of the finished runs of these arms (all seeds), labelled with the arm's label and coloured by
 * the arm's place in `armIds` (as armRunRefs does); `missing` names the finished runs without records (trained before
 * records existed and without a local best/ to regenerate them).
 */
export function armRecordSets(d: ExperimentData, armIds: string[], which: 'committed' | 'full' = 'committed'): { sets: RecordSet[]; missing: string[] } {
  const sets: RecordSet[] = [];
  const missing: string[] = [];
  for (const id of armIds) {
    const arm = d.results.arms.find((a) => a.arm === id);
    if (!arm) throw new Error(`${d.spec.name}: no arm "${id}"`);
    for (const seed of arm.seeds) {
      const dir = runDirFor(d.resultsRoot, d.spec, { id }, seed);
      const records = readPredictionRecords(dir, which);
      if (records) sets.push({ model: arm.label, seed, records, dir, colour: MODEL_COLOURS[armIds.indexOf(id) % MODEL_COLOURS.length] });
      else missing.push(`${id}-s${seed}`);
    }
  }
  return { sets, missing };
}

/** The finished runs of these arms as figure references (eigen.jsonl, config.json), coloured as armRecordSets colours them. */
export function armRunRefs(d: ExperimentData, armIds: string[]): RunRef[] {
  return armIds.flatMap((id, i) => {
    const arm = d.results.arms.find((a) => a.arm === id);
    if (!arm) throw new Error(`${d.spec.name}: no arm "${id}"`);
    return arm.seeds.map((seed) => ({ model: arm.label, seed, dir: runDirFor(d.resultsRoot, d.spec, { id }, seed), colour: MODEL_COLOURS[i % MODEL_COLOURS.length] }));
  });
}
