/**
 * Where every run of a grid stands: done, running (who trains it, step and ETA from its progress record), queued in
 * Slurm, failed (exit code and the last lines of its log; a checkpoint, when kept, makes the next attempt resume) or
 * missing. Reads the run folders (src/runs/) and the Slurm executor's submissions (./slurm.ts); `star experiment
 * --status` prints it, and `--executor slurm` submits the failed and missing runs.
 */
import { checkpointStep } from '../model/checkpoint';
import { hasStarted, readProgress, readRunStarts, readSummary, runDirFor, trainingLog } from '../runs/folder';
import { describeHolder, readLockHolder } from '../runs/lock';
import { trainingSeconds } from '../runs/pace';
import type { ProgressRecord } from '../runs/records';
import { slurmJobState, slurmQueue, SlurmUnavailable, type SlurmJobState } from '../runs/slurm-jobs';
import { formatDuration } from '../train/progress';
import { readSubmissions, readTaskLog, runName, taskLogFile, type SubmissionRecord } from './slurm';
import type { ScaledSpec } from './spec';

export type RunState = 'done' | 'running' | 'queued' | 'failed' | 'missing';

export interface RunStatus {
  /** `<arm>-s<seed>`. */
  run: string;
  arm: string;
  seed: number;
  state: RunState;
  /** One line: the test NME, who trains it and where it is, why it failed. */
  detail: string;
  /** The Slurm array task that last had the run ("12_3"). */
  job?: string;
  progress?: ProgressRecord;
  exitCode?: number;
  /** Last lines of the failed task's log. */
  logTail?: string[];
  /** Where a failed run resumes from (its checkpoint's step). */
  checkpointStep?: number;
  /** A finished run's training time, steps × its pace (0 for a run reused from another experiment). */
  trainedSeconds?: number;
}

/**
 * The grid's pace, from its own runs: a finished run's training time is its steps × its pace over every segment
 * (runs/pace.ts: the loss lines' time stamps, validation included, interruptions left out), because a summary's wall
 * time covers only the segment since the last resume.
 */
export interface GridPace {
  /** Finished runs and the training time they took together (seconds). */
  done: number;
  trainedSeconds: number;
  /** Runs training now: the workers the remaining time is divided among (at least 1). */
  workers: number;
  /** Training time still needed, summed over runs (seconds): running runs' ETAs, then each unfinished run at its arm's mean (the grid's mean for an arm with no finished run), less its checkpoint's share. */
  remainingSeconds: number;
  /** remainingSeconds / workers: the wall time left if the workers keep this pace. */
  etaSeconds: number;
}

/** One stage of a staged seed rule (analysis.stages): its seeds and how many of its listed runs are done. */
export interface StageProgress {
  stage: number;
  seeds: number[];
  done: number;
  total: number;
}

export interface GridStatus {
  experiment: string;
  runs: RunStatus[];
  /** A staged grid's stages, for the runs listed. */
  stages?: StageProgress[];
  /**
   * Absent until a run has finished (no pace to extrapolate from). For a staged grid: the remaining time of the first
   * stage not yet complete (a later stage runs only if the stopping rule calls for it), named by `paceStage`.
   */
  pace?: GridPace;
  paceStage?: number;
  /** Set when Slurm could not be asked (states of submitted runs are then a guess from the files). */
  slurmUnavailable?: string;
}

const pct = (v: number) => `${(100 * v).toFixed(2)}%`;

function progressText(p: ProgressRecord | null): string {
  if (!p) return 'no step logged yet';
  // The ETA was computed at the last logged step: subtract the time since.
  const eta = Math.max(0, p.etaSeconds - (Date.now() - p.time) / 1000);
  return `step ${p.step}/${p.total}, ${(p.msPerStep / 1000).toFixed(2)} s/step, ETA ${formatDuration(eta)}`;
}

/** The grid's runs in the runner's order (seed-major), for a spec already scaled to its profile. */
export function gridRuns(spec: ScaledSpec, only?: string[], seeds?: number[]): { arm: string; seed: number }[] {
  const arms = spec.arms.filter((a) => !only || only.includes(a.id));
  return spec.seeds.filter((s) => !seeds || seeds.includes(s)).flatMap((seed) => arms.map((a) => ({ arm: a.id, seed })));
}

/** The last submission that had `run`, with its task id. */
function lastTask(subs: SubmissionRecord[], run: string): { sub: SubmissionRecord; task: number } | null {
  for (let i = subs.length - 1; i >= 0; i--) {
    const task = subs[i].runs.indexOf(run);
    if (task >= 0) return { sub: subs[i], task };
  }
  return null;
}

export function gridStatus(resultsRoot: string, spec: ScaledSpec, opts: { only?: string[]; seeds?: number[] } = {}): GridStatus {
  const subs = readSubmissions(resultsRoot, spec.name);
  let queue = new Map<string, SlurmJobState>();
  let slurmUnavailable: string | undefined;
  try {
    queue = slurmQueue([...new Set(subs.map((s) => s.arrayJobId))]);
  } catch (e) {
    if (!(e instanceof SlurmUnavailable)) throw e;
    slurmUnavailable = e.message;
  }
  const runs = gridRuns(spec, opts.only, opts.seeds).map(({ arm, seed }): RunStatus => {
    const run = runName({ arm, seed });
    const dir = runDirFor(resultsRoot, spec, { id: arm }, seed);
    const base = { run, arm, seed };
    const summary = readSummary(dir);
    if (summary) {
      const clean = summary.test.clean ? ` (clean truth ${pct(summary.test.clean.nme)})` : '';
      const trained = trainingSeconds(dir, summary)!;
      const segments = readRunStarts(dir).length;
      const time = `${summary.steps} steps at ${((1000 * trained) / summary.steps).toFixed(0)} ms/step ≈ ${formatDuration(trained)} of training${segments > 1 ? ` in ${segments} segments` : ''}`;
      return { ...base, state: 'done', detail: `test NME ${pct(summary.test.labels.nme)}${clean}, ${time}${summary.reusedFrom ? `, reused from ${summary.reusedFrom}` : ''}`, trainedSeconds: summary.reusedFrom ? 0 : trained };
    }
    const t = lastTask(subs, run);
    const job = t ? `${t.sub.arrayJobId}_${t.task}` : undefined;
    const holder = readLockHolder(dir);
    if (holder) {
      const progress = readProgress(dir);
      return { ...base, state: 'running', job: holder.slurm ? job : undefined, detail: `${describeHolder(holder)}, ${progressText(progress)}`, ...(progress ? { progress } : {}) };
    }
    const queued = job ? queue.get(job) : undefined;
    if (queued?.state === 'PENDING') return { ...base, state: 'queued', job, detail: `Slurm job ${job} pending${queued.reason ? ` (${queued.reason})` : ''}` };
    if (queued?.state) return { ...base, state: 'running', job, detail: `Slurm job ${job} ${queued.state.toLowerCase()}, not training yet (no run lock)` };
    const step = checkpointStep(trainingLog(dir).checkpointDir) ?? undefined;
    const resumes = step !== undefined ? `; its checkpoint at step ${step} is kept: the next attempt resumes there` : '';
    if (t) {
      const log = readTaskLog(taskLogFile(resultsRoot, t.sub, t.task));
      let how: string;
      let exitCode: number | undefined;
      if (log?.exitCode != null) {
        exitCode = log.exitCode;
        how = `exit ${exitCode}${exitCode === 130 ? ' (stopped by a signal after a checkpoint)' : ''}`;
      } else {
        how = endedWithoutExitLine(job!, slurmUnavailable);
      }
      return {
        ...base, state: 'failed', job, detail: `Slurm job ${job}: ${how}${resumes}`, ...(exitCode !== undefined ? { exitCode } : {}),
        ...(log ? { logTail: log.tail } : {}), ...(step !== undefined ? { checkpointStep: step } : {}),
      };
    }
    if (hasStarted(dir)) return { ...base, state: 'failed', detail: `started here but neither finished nor running${resumes || ' (no checkpoint)'}`, ...(step !== undefined ? { checkpointStep: step } : {}) };
    return { ...base, state: 'missing', detail: '' };
  });
  const scale = (arm: string) => spec.arms.find((a) => a.id === arm)?.stepsScale ?? 1;
  const stages = stageProgress(runs, spec.seeds, spec.analysis?.stages);
  const open = stages?.find((st) => st.done < st.total);
  // Finished runs of every stage give the pace; only the open stage's unfinished runs are extrapolated.
  const pace = gridPace(open ? runs.filter((r) => r.state === 'done' || open.seeds.includes(r.seed)) : runs, spec.train.steps, scale);
  return {
    experiment: spec.name, runs, ...(stages ? { stages } : {}), ...(pace ? { pace } : {}), ...(pace && open ? { paceStage: open.stage } : {}),
    ...(slurmUnavailable ? { slurmUnavailable } : {}),
  };
}

/** The listed runs grouped by the stages of a staged seed rule (cumulative seed counts, e.g. [8, 16]); undefined without stages. */
export function stageProgress(runs: RunStatus[], seeds: number[], stages: number[] | undefined): StageProgress[] | undefined {
  if (!stages?.length) return undefined;
  return stages.map((upTo, i) => {
    const own = seeds.slice(i === 0 ? 0 : stages[i - 1], upTo);
    const listed = runs.filter((r) => own.includes(r.seed));
    return { stage: i + 1, seeds: own, done: listed.filter((r) => r.state === 'done').length, total: listed.length };
  }).filter((st) => st.total > 0);
}

/** Extrapolates the finished runs' training time to the unfinished ones (see GridPace). */
export function gridPace(runs: RunStatus[], steps: number, stepsScale: (arm: string) => number): GridPace | undefined {
  const done = runs.filter((r) => r.state === 'done' && r.trainedSeconds);
  if (!done.length) return undefined;
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  const overall = mean(done.map((r) => r.trainedSeconds!));
  const perArm = (arm: string) => {
    const own = done.filter((r) => r.arm === arm).map((r) => r.trainedSeconds!);
    return own.length ? mean(own) : overall;
  };
  let remaining = 0;
  for (const r of runs) {
    if (r.state === 'running' && r.progress) remaining += Math.max(0, r.progress.etaSeconds - (Date.now() - r.progress.time) / 1000);
    else if (r.state !== 'done') {
      const total = steps * stepsScale(r.arm);
      const left = r.checkpointStep !== undefined && total > 0 ? Math.max(0, 1 - r.checkpointStep / total) : 1;
      remaining += perArm(r.arm) * left;
    }
  }
  const workers = Math.max(1, runs.filter((r) => r.state === 'running').length);
  return {
    done: done.length, trainedSeconds: done.reduce((a, r) => a + r.trainedSeconds!, 0), workers,
    remainingSeconds: remaining, etaSeconds: remaining / workers,
  };
}

/** A task without an exit line was killed with its batch script (cancelled, timed out, node failure): ask Slurm how. */
function endedWithoutExitLine(job: string, slurmUnavailable: string | undefined): string {
  if (slurmUnavailable) return 'no exit code logged (Slurm not reachable)';
  try {
    const s = slurmJobState(job);
    if (s.state) return `${s.state.toLowerCase()}${s.exitCode ? `, exit code ${s.exitCode}` : ''} (no exit code logged)`;
  } catch (e) {
    if (!(e instanceof SlurmUnavailable)) throw e;
  }
  return 'no exit code logged (killed with its batch script: cancelled, out of time or a node failure; Slurm no longer lists it)';
}

/** The status as `star experiment --status` prints it: a count line, one line per run, failed runs' last log lines. */
export function formatGridStatus(s: GridStatus, where: string): string {
  const counts = (['done', 'running', 'queued', 'failed', 'missing'] as const).map((k) => [k, s.runs.filter((r) => r.state === k).length] as const).filter(([, n]) => n > 0);
  const width = Math.max(3, ...s.runs.map((r) => r.run.length));
  const lines = [`${s.experiment} (${where}): ${s.runs.length} runs — ${counts.map(([k, n]) => `${n} ${k}`).join(', ')}`];
  const span = (seeds: number[]) => (seeds.length > 1 ? `seeds ${seeds[0]}–${seeds[seeds.length - 1]}` : `seed ${seeds[0]}`);
  if (s.stages) {
    lines.push(`  ${s.stages.map((st) => `stage ${st.stage} (${span(st.seeds)}${st.stage > 1 ? ', only if the stopping rule calls for it' : ''}): ${st.done} of ${st.total} done`).join('; ')}`);
  }
  if (s.slurmUnavailable) lines.push(`  (Slurm not asked: ${s.slurmUnavailable})`);
  for (const r of s.runs) {
    lines.push(`  ${r.run.padEnd(width)}  ${r.state.padEnd(7)}  ${r.detail}`.trimEnd());
    for (const l of r.logTail ?? []) lines.push(`  ${' '.repeat(width)}    | ${l}`);
  }
  if (s.pace) {
    const p = s.pace;
    lines.push(`pace: ${p.done} finished run${p.done === 1 ? '' : 's'} trained ≈ ${formatDuration(p.trainedSeconds)} in all; ` +
      `≈ ${formatDuration(p.remainingSeconds)} of training left${s.paceStage ? ` in stage ${s.paceStage}` : ''}, ≈ ${formatDuration(p.etaSeconds)} of wall time on ${p.workers} worker${p.workers === 1 ? '' : 's'} at this pace`);
  }
  return lines.join('\n');
}
