/**
 * One process per run: `<run dir>/.lock` holds the trainer's pid, so several `star experiment` processes can work
 * through the same grid in parallel (each skips runs another live process holds). A lock whose process is gone is stale
 * and taken over (the run resumes from its checkpoint).
 */
import * as fs from 'fs';
import * as path from 'path';
import { processAlive } from '../util/files';
import { LOCK_FILE } from './folder';

export interface RunLock {
  /** False when another live process holds the run (then `holder` is its pid and release does nothing). */
  ok: boolean;
  holder?: number;
  release(): void;
}

// A plain interface rather than a union discriminated by `ok`: tslab's compiler (non-strict) does not narrow on it.
export function acquireRunLock(dir: string): RunLock {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, LOCK_FILE);
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      fs.writeFileSync(file, String(process.pid), { flag: 'wx' });
      return { ok: true, release: () => fs.rmSync(file, { force: true }) };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      const holder = Number(fs.readFileSync(file, 'utf8').trim());
      if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && processAlive(holder)) return { ok: false, holder, release: () => {} };
      fs.rmSync(file, { force: true }); // stale (or our own from an earlier crash in this process)
    }
  }
  throw new Error(`${file}: could not take the run lock`);
}
