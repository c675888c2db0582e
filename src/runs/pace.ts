/**
 * How fast a run trained, from the wall-clock stamps of its loss lines (metrics.jsonl): the grid's budget is derived
 * from the pilot's runs, not assumed. A run that spans sessions has gaps (stopped, later resumed) and a resumed run
 * logs some steps twice; both are left out, while the pauses for validation stay in (a grid pays for them too).
 */
import { readMetrics } from './folder';
import type { LossRecord } from './records';

export interface RunPace {
  /** Median ms per training step over the logged intervals (validation pauses fall outside the median). */
  medianMsPerStep: number;
  /** Seconds of wall time per step over the kept intervals, validation pauses included. */
  secondsPerStep: number;
  /** Steps the kept intervals cover. */
  steps: number;
  /** Intervals left out as interruptions (longer than `gapFactor` × the median interval per step). */
  gaps: number;
}

const isLoss = (r: unknown): r is LossRecord => typeof (r as LossRecord).loss === 'number' && typeof (r as LossRecord).time === 'number';

/**
 * The pace of one run. Only the last occurrence of a step counts (a resume rewrites what followed its checkpoint), and
 * an interval slower than `gapFactor` × the median per step is an interruption, not training. Null with < 2 lines.
 */
export function runPace(dir: string, gapFactor = 20): RunPace | null {
  const last = new Map<number, number>();
  for (const r of readMetrics(dir)) if (isLoss(r)) last.set(r.step, r.time);
  const steps = [...last.keys()].sort((a, b) => a - b);
  const intervals: Array<{ steps: number; ms: number }> = [];
  for (let i = 1; i < steps.length; i++) {
    const ms = last.get(steps[i])! - last.get(steps[i - 1])!;
    if (ms > 0) intervals.push({ steps: steps[i] - steps[i - 1], ms });
  }
  if (intervals.length === 0) return null;
  const perStep = intervals.map((v) => v.ms / v.steps).sort((a, b) => a - b);
  const mid = perStep.length >> 1;
  const median = perStep.length % 2 ? perStep[mid] : (perStep[mid - 1] + perStep[mid]) / 2;
  const kept = intervals.filter((v) => v.ms / v.steps <= gapFactor * median);
  const keptSteps = kept.reduce((s, v) => s + v.steps, 0);
  return {
    medianMsPerStep: median,
    secondsPerStep: kept.reduce((s, v) => s + v.ms, 0) / 1000 / keptSteps,
    steps: keptSteps,
    gaps: intervals.length - kept.length,
  };
}

/**
 * A finished run's training time in seconds: its steps × its pace over every segment (a summary's own wall time covers
 * only the segment after the last resume). Without two loss lines to measure, the trainer's ms/step, else null.
 */
export function trainingSeconds(dir: string, summary: { steps: number; msPerStep?: number }): number | null {
  const sPerStep = runPace(dir)?.secondsPerStep ?? (summary.msPerStep !== undefined ? summary.msPerStep / 1000 : null);
  return sPerStep === null ? null : summary.steps * sPerStep;
}
