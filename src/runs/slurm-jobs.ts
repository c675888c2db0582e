/**
 * What Slurm says about a job: the one place that asks it (squeue while the job is known to the controller, scontrol
 * for a job that ended less than MinJobAge ago; sacct needs slurmdbd, which a small cluster may not run). Used by the
 * run locks (is the job holding a lock alive?) and by the grid status.
 */
import { execFileSync } from 'child_process';
import type { SlurmTask } from './records';

/** The Slurm task this process runs in, from the variables slurmd sets; undefined outside Slurm. */
export function slurmTaskFromEnv(env: NodeJS.ProcessEnv = process.env): SlurmTask | undefined {
  const jobId = env.SLURM_JOB_ID;
  if (!jobId) return undefined;
  return {
    jobId,
    ...(env.SLURM_ARRAY_JOB_ID ? { arrayJobId: env.SLURM_ARRAY_JOB_ID } : {}),
    ...(env.SLURM_ARRAY_TASK_ID ? { arrayTaskId: env.SLURM_ARRAY_TASK_ID } : {}),
  };
}

/** "12_3" for an array task, else the job id. */
export function slurmTaskName(t: SlurmTask): string {
  return t.arrayJobId && t.arrayTaskId !== undefined ? `${t.arrayJobId}_${t.arrayTaskId}` : t.jobId;
}

export interface SlurmJobState {
  /** Slurm's state (RUNNING, PENDING, COMPLETED, CANCELLED, FAILED, TIMEOUT, NODE_FAIL, ...); null: Slurm no longer knows the job. */
  state: string | null;
  /** "exit:signal" as scontrol reports it, once the job ended. */
  exitCode?: string;
  /** Why it is pending (squeue's %r), while it is. */
  reason?: string;
}

/** States in which a job may still be running or about to run. */
const LIVE_STATES = new Set(['PENDING', 'RUNNING', 'SUSPENDED', 'COMPLETING', 'CONFIGURING', 'RESIZING', 'REQUEUED', 'REQUEUE_HOLD', 'REQUEUE_FED', 'STOPPED', 'SIGNALING', 'STAGE_OUT', 'RESV_DEL_HOLD']);

export function isLiveState(state: string | null): boolean {
  return state !== null && LIVE_STATES.has(state);
}

/** Thrown when Slurm cannot be asked (no squeue on PATH, controller unreachable): callers must not guess. */
export class SlurmUnavailable extends Error {}

function run(cmd: string, args: string[]): { ok: boolean; out: string } {
  try {
    return { ok: true, out: execFileSync(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 }).toString() };
  } catch (e) {
    const err = e as NodeJS.ErrnoException & { stdout?: Buffer; stderr?: Buffer };
    if (err.code === 'ENOENT') throw new SlurmUnavailable(`${cmd} not found: is this a Slurm node?`);
    return { ok: false, out: `${err.stdout ?? ''}${err.stderr ?? ''}` };
  }
}

/**
 * The state of one job or array task ("12" or "12_3"). squeue first (live jobs, with the pending reason), then
 * scontrol (jobs that ended within MinJobAge, with the exit code). An id neither knows -> state null.
 */
export function slurmJobState(id: string): SlurmJobState {
  const q = run('squeue', ['-h', '-j', id, '-o', '%T|%r']);
  const line = q.out.split('\n').map((l) => l.trim()).find((l) => /^[A-Z_]+\|/.test(l));
  if (q.ok && line) {
    const [state, reason] = line.split('|');
    return { state, ...(state === 'PENDING' && reason && reason !== 'None' ? { reason } : {}) };
  }
  if (!q.ok && !/Invalid job id/i.test(q.out)) throw new SlurmUnavailable(`squeue -j ${id}: ${q.out.trim() || 'failed'}`);
  const s = run('scontrol', ['show', 'job', '-o', id]);
  if (!s.ok) {
    if (/Invalid job id/i.test(s.out)) return { state: null };
    throw new SlurmUnavailable(`scontrol show job ${id}: ${s.out.trim() || 'failed'}`);
  }
  // One line per record (an array id gives one per task); ours is the one naming this task.
  const records = s.out.split('\n').filter((l) => l.includes('JobState='));
  const [arrayJob, task] = id.split('_');
  const mine = records.find((r) => task === undefined || (r.includes(`ArrayJobId=${arrayJob} `) && r.includes(`ArrayTaskId=${task} `))) ?? records[0];
  if (!mine) return { state: null };
  const field = (name: string) => new RegExp(`(?:^|\\s)${name}=(\\S+)`).exec(mine)?.[1];
  return { state: field('JobState') ?? null, ...(field('ExitCode') ? { exitCode: field('ExitCode') } : {}) };
}

/** States of many array tasks at once (one squeue call): "12_3" -> state (plus pending reason). Tasks absent from the queue are absent. */
export function slurmQueue(jobIds: string[]): Map<string, SlurmJobState> {
  const states = new Map<string, SlurmJobState>();
  if (jobIds.length === 0) return states;
  const q = run('squeue', ['-h', '-r', '-j', jobIds.join(','), '-o', '%i|%T|%r']);
  if (!q.ok && !/Invalid job id/i.test(q.out)) throw new SlurmUnavailable(`squeue: ${q.out.trim() || 'failed'}`);
  for (const line of q.out.split('\n')) {
    const [id, state, reason] = line.trim().split('|');
    if (!id || !state) continue;
    states.set(id, { state, ...(state === 'PENDING' && reason && reason !== 'None' ? { reason } : {}) });
  }
  return states;
}
