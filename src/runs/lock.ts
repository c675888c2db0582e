/**
 * One process per run: `<run dir>/.lock` names its holder (host, pid, and the Slurm job when it runs in one), so several
 * `star experiment` processes — on one machine or on the nodes of a cluster sharing the results folder — can work
 * through the same grid (each skips runs another live process holds). The lock is created by link(), which is atomic and
 * never overwrites, on local file systems and on NFS alike.
 *
 * A lock whose holder is gone is stale and taken over (the run resumes from its checkpoint). Gone means:
 * - same host: the pid is no longer alive;
 * - another host, in a Slurm job: Slurm no longer lists the job as pending/running (squeue, then scontrol); when Slurm
 *   cannot be asked, the lock counts as held;
 * - another host without Slurm: nobody can tell from here, so it counts as held; the message says which file to remove.
 * Locks written before the holder record existed hold just a pid and are judged on this host.
 */
import * as fs from 'fs';
import * as os from 'os';
import * as path from 'path';
import { processAlive } from '../util/files';
import { LOCK_FILE } from './folder';
import type { ProcessRecord } from './records';
import { isLiveState, slurmJobState, slurmTaskFromEnv, slurmTaskName, SlurmUnavailable } from './slurm-jobs';

export interface LockHolder extends ProcessRecord {
  /** ISO time the lock was taken; '' for old pid-only locks. */
  since: string;
}

export interface RunLock {
  /** False when another live process holds the run (then `holder` names it and release does nothing). */
  ok: boolean;
  holder?: LockHolder;
  release(): void;
}

/** This process, as lock files and start records name it. */
export function thisProcess(): ProcessRecord {
  const slurm = slurmTaskFromEnv();
  return { host: os.hostname(), pid: process.pid, ...(slurm ? { slurm } : {}) };
}

/** "pid 123 on node7 (Slurm job 12_3)". */
export function describeHolder(h: ProcessRecord): string {
  return `pid ${h.pid} on ${h.host}${h.slurm ? ` (Slurm job ${slurmTaskName(h.slurm)})` : ''}`;
}

function parseHolder(text: string): LockHolder | null {
  const t = text.trim();
  if (/^\d+$/.test(t)) return { host: os.hostname(), pid: Number(t), since: '' };
  try {
    const h = JSON.parse(t) as LockHolder;
    return typeof h.host === 'string' && Number.isInteger(h.pid) ? h : null;
  } catch {
    return null; // half-written by a process killed mid-write: nobody can hold it
  }
}

/** Is the holder still (possibly) training? See the rules at the top. */
export function holderAlive(h: LockHolder, jobState: (id: string) => string | null = (id) => slurmJobState(id).state): boolean {
  if (h.host === os.hostname()) return h.pid !== process.pid && processAlive(h.pid);
  if (!h.slurm) return true;
  try {
    return isLiveState(jobState(h.slurm.jobId));
  } catch (e) {
    if (e instanceof SlurmUnavailable) return true;
    throw e;
  }
}

/** The current holder of a run's lock, or null when it is free or stale. */
export function readLockHolder(dir: string): LockHolder | null {
  const file = path.join(dir, LOCK_FILE);
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch {
    return null;
  }
  const h = parseHolder(text);
  return h && holderAlive(h) ? h : null;
}

/**
 * Remove a lock judged stale, but only if it is still the one that was judged: another process may have broken it and
 * taken the run in between. The file is moved aside first (rename is atomic); if what was moved is not what was judged,
 * it is put back with link(), which never overwrites.
 */
function breakStaleLock(file: string, judged: string): void {
  const aside = `${file}.stale-${process.pid}`;
  try {
    fs.renameSync(file, aside);
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return;
    throw e;
  }
  if (fs.readFileSync(aside, 'utf8') !== judged) {
    try {
      fs.linkSync(aside, file);
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
    }
  }
  fs.rmSync(aside, { force: true });
}

// A plain interface rather than a union discriminated by `ok`: tslab's compiler (non-strict) does not narrow on it.
export function acquireRunLock(dir: string): RunLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  const mine = JSON.stringify({ ...thisProcess(), since: new Date().toISOString() } satisfies LockHolder);
  // The lock appears with its content in one step (link of a finished file), so nobody reads a half-written holder.
  const draft = `${file}.new-${os.hostname()}-${process.pid}`;
  fs.writeFileSync(draft, mine);
  try {
    return takeLock(file, draft, mine);
  } finally {
    fs.rmSync(draft, { force: true });
  }
}

function takeLock(file: string, draft: string, mine: string): RunLock {
  for (let attempt = 0; attempt < 3; attempt++) {
    try {
      fs.linkSync(draft, file);
      return {
        ok: true,
        // Only our own lock: after a takeover by another process (ours judged stale), the file is theirs.
        release: () => {
          try {
            if (fs.readFileSync(file, 'utf8') === mine) fs.rmSync(file, { force: true });
          } catch {
            // already gone
          }
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      let text: string;
      try {
        text = fs.readFileSync(file, 'utf8');
      } catch {
        continue; // removed in between: try again
      }
      const holder = parseHolder(text);
      if (holder && holderAlive(holder)) return { ok: false, holder, release: () => {} };
      breakStaleLock(file, text); // stale (or our own from an earlier crash in this process)
    }
  }
  throw new Error(`${file}: could not take the run lock`);
}
