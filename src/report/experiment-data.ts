/**
 * What a notebook shows of an experiment: the runs src/experiments/ensure.ts located (read through src/runs/, never
 * trained here), aggregated over seeds and tabulated, with a provenance line that says where the numbers come from.
 */
import { profileLabel, type Profile } from '../config/profile';
import type { LocatedExperiment } from '../experiments/ensure';
import { restrictSpec } from '../experiments/spec';
import { aggregateExperiment, type ExperimentResults } from '../runs/aggregate';
import { isRunComplete, runDirFor } from '../runs/folder';
import { summariseExperiment, UNITS, type ExperimentTables } from './experiment-tables';

export interface ExperimentData extends LocatedExperiment {
  /** Column/legend label for every number: "ours, synthetic benchmark (<profile>)". */
  label: string;
  /** The experiment's tables over the arms that have runs (also written to `<resultsRoot>/tables/`). */
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
  const tables = withRuns.arms.length ? summariseExperiment(withRuns, profile, root).tables : emptyTables(spec, profile);
  const results = aggregateExperiment(root, spec);
  const keep = (m: string) => !only || only.some((a) => m.startsWith(`${a}-s`));
  return { ...located, label: oursLabel(profile), tables, results, missing: results.missing.filter(keep) };
}

function emptyTables(spec: LocatedExperiment['spec'], profile: Profile): ExperimentTables {
  return { experiment: spec.name, title: spec.title, question: spec.question, profile, label: profileLabel(profile), threshold: null, units: UNITS, arms: [], comparisons: [], missing: [] };
}

/** Markdown line for a notebook: data source and missing runs (said plainly, never hidden). */
export function provenanceMarkdown(d: ExperimentData): string {
  const miss = d.missing.length ? `\n\n**Missing runs (${d.missing.length}):** ${d.missing.join(', ')} — numbers below use only the runs that exist.` : '';
  return `**Data:** ${d.label}; ${d.source}.${miss}`;
}

/** Finished run folders of one arm, in seed order. */
export function armRunDirs(d: ExperimentData, armId: string): string[] {
  const arm = d.results.arms.find((a) => a.arm === armId);
  if (!arm) throw new Error(`${d.spec.name}: no arm "${armId}"`);
  return arm.seeds.map((s) => runDirFor(d.resultsRoot, d.spec, { id: armId }, s));
}
