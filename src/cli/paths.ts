/**
 * Path options, checked before a command does any work: inputs exist and are of the right kind; outputs can be
 * created. An output is checked at its nearest existing folder (writable, on a real file system) rather than by
 * creating it: Node's recursive mkdir never returns on /proc, and a run that fails to write after an hour of training
 * has lost the hour.
 */
import * as fs from 'fs';
import * as path from 'path';
import { UsageError } from './args';

/** An input path that must exist: `--data: no such file or folder: x`. */
export function existingPath(raw: string, option: string, kind: 'file' | 'folder' | 'file or folder' = 'file or folder'): string {
  let st: fs.Stats;
  try {
    st = fs.statSync(raw);
  } catch {
    throw new UsageError(`--${option}: no such ${kind}: ${raw}`);
  }
  if (kind === 'file' && !st.isFile()) throw new UsageError(`--${option}: ${raw} is not a file`);
  if (kind === 'folder' && !st.isDirectory()) throw new UsageError(`--${option}: ${raw} is not a folder`);
  return raw;
}

// statfs magic numbers of Linux's virtual file systems (procfs, sysfs, cgroup v1/v2, debugfs, tracefs, securityfs,
// devpts, bpf): nothing there is a place for results.
const VIRTUAL_FS = new Set([0x9fa0, 0x62656572, 0x27e0eb, 0x63677270, 0x64626720, 0x74726163, 0x73636673, 0x1cd1, 0xcafe4a11]);

function nearestExisting(p: string): string {
  let d = p;
  while (!fs.existsSync(d)) {
    const up = path.dirname(d);
    if (up === d) break;
    d = up;
  }
  return d;
}

/**
 * Check that folder `dir` exists or can be created: its nearest existing ancestor is a writable folder on a real file
 * system. `target` (the folder or a file in it) is what the messages name.
 */
function checkCreatableFolder(dir: string, option: string, target = dir): void {
  const probe = nearestExisting(dir);
  const st = fs.statSync(probe);
  if (!st.isDirectory()) throw new UsageError(`--${option}: cannot create ${target}: ${probe} is a file`);
  const real = fs.realpathSync(probe);
  if (/^\/(proc|sys)(\/|$)/.test(real) || VIRTUAL_FS.has(Number(fs.statfsSync(real).type))) {
    throw new UsageError(`--${option}: ${target} is on a virtual file system (${real}), not a place for results`);
  }
  try {
    fs.accessSync(probe, fs.constants.W_OK);
  } catch (e) {
    throw new UsageError(`--${option}: cannot write to ${probe} (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
  }
}

/** An output folder (created later by the command): it exists as a folder or can be created. Returns the absolute path. */
export function outputFolder(raw: string, option: string): string {
  const abs = path.resolve(raw);
  if (fs.existsSync(abs) && !fs.statSync(abs).isDirectory()) throw new UsageError(`--${option}: ${raw} exists and is not a folder`);
  checkCreatableFolder(abs, option);
  return abs;
}

/** An output file (or file stem): not a folder, and its folder exists or can be created. Returns the absolute path. */
export function outputFile(raw: string, option: string): string {
  const abs = path.resolve(raw);
  if (fs.existsSync(abs) && fs.statSync(abs).isDirectory()) throw new UsageError(`--${option}: ${raw} is a folder; expected a file name`);
  checkCreatableFolder(path.dirname(abs), option, abs);
  return abs;
}

/**
 * The readers' missing-image error names their library options (`imageRoot`, `checkImages`); on the command line the
 * hint must name what the command accepts.
 */
export function withImageHint(e: unknown, hint: string): unknown {
  if (!(e instanceof Error) || !/image not found/.test(e.message)) return e;
  e.message = e.message.replace(/\s*\(set imageRoot[^)]*\)/, '') + ` (${hint})`;
  return e;
}
