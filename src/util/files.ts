/** File helpers: every result file is written atomically (temp file + rename), so an interrupted run never leaves half a file. */
import * as fs from 'fs';
import * as path from 'path';

export function writeFileAtomic(file: string, data: string | Uint8Array): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  const tmp = `${file}.tmp-${process.pid}`;
  fs.writeFileSync(tmp, data);
  fs.renameSync(tmp, file);
}

export function writeJsonAtomic(file: string, value: unknown): void {
  writeFileAtomic(file, JSON.stringify(value, null, 1) + '\n');
}

export function readJson<T>(file: string): T {
  const text = fs.readFileSync(file, 'utf8');
  try {
    return JSON.parse(text) as T;
  } catch (e) {
    throw new Error(`${file}: not valid JSON (${(e as Error).message})`);
  }
}

/** Written into a directory built by `replaceDirAtomic` once the build has finished: a temporary without it is partial. */
export const COMPLETE_MARKER = '.complete';

const TEMP_SUFFIX = /^\.(tmp|old)-(\d+)$/;

/**
 * Replace a whole directory so that a kill at any instruction leaves a recoverable state: the new copy is built at
 * `<dir>.tmp-<pid>` and marked complete, the current one moved to `<dir>.old-<pid>`, the new one renamed into place,
 * the old one removed. A kill between the two renames leaves no `<dir>` but two intact copies; `recoverDir` (run
 * first here, and by every checkpoint reader) puts the newer complete one back and removes stale temporaries.
 */
export async function replaceDirAtomic(dir: string, build: (tmpDir: string) => void | Promise<void>): Promise<void> {
  recoverDir(dir);
  const tmp = `${dir}.tmp-${process.pid}`;
  const old = `${dir}.old-${process.pid}`;
  fs.rmSync(tmp, { recursive: true, force: true });
  fs.mkdirSync(tmp, { recursive: true });
  await build(tmp);
  fs.writeFileSync(path.join(tmp, COMPLETE_MARKER), '');
  if (fs.existsSync(dir)) fs.renameSync(dir, old);
  fs.renameSync(tmp, dir);
  fs.rmSync(old, { recursive: true, force: true });
}

/**
 * Finish or undo an interrupted `replaceDirAtomic` of `dir` and delete its stale temporaries (`<dir>.tmp-<pid>`,
 * `<dir>.old-<pid>` of processes that are gone, or of this process: it never has one open between calls).
 * Where `<dir>` is missing, a complete new copy wins over the old one (it holds the later state). Temporaries of a
 * live other process are left alone. Returns what it did, for messages and tests.
 */
export function recoverDir(dir: string): { restored?: string; removed: string[] } {
  const parent = path.dirname(dir);
  const base = path.basename(dir);
  if (!fs.existsSync(parent)) return { removed: [] };
  const temps = fs.readdirSync(parent)
    .filter((name) => name.startsWith(base) && TEMP_SUFFIX.test(name.slice(base.length)))
    .map((name) => {
      const [, kind, pid] = TEMP_SUFFIX.exec(name.slice(base.length))!;
      return { file: path.join(parent, name), kind: kind as 'tmp' | 'old', pid: Number(pid) };
    })
    .filter((t) => t.pid === process.pid || !processAlive(t.pid));
  let restored: string | undefined;
  if (!fs.existsSync(dir)) {
    const complete = temps.find((t) => t.kind === 'tmp' && fs.existsSync(path.join(t.file, COMPLETE_MARKER)));
    const previous = temps.find((t) => t.kind === 'old');
    const pick = complete ?? previous;
    if (pick) {
      fs.renameSync(pick.file, dir);
      restored = pick.file;
    }
  }
  const removed: string[] = [];
  for (const t of temps) {
    if (t.file === restored) continue;
    fs.rmSync(t.file, { recursive: true, force: true });
    removed.push(t.file);
  }
  return { restored, removed };
}

/** Whether a process with this pid exists (EPERM: it does, under another user). */
export function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    return (e as NodeJS.ErrnoException).code === 'EPERM';
  }
}

export function appendLine(file: string, line: string): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.appendFileSync(file, line.endsWith('\n') ? line : line + '\n');
}
