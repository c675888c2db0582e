/**
 * The shared folder beside the project (`<project>/../shared`): research-licensed face samples (`data/`) and the
 * official implementation's reference values (`fixtures/`). Never committed, never named by an absolute path.
 * `STAR_SHARED` points elsewhere (e.g. a mounted copy). Tests need it and fail when it is missing; notebooks and the
 * CLI, which users run without it, skip their real-data parts with a message.
 */
import * as fs from 'fs';
import * as path from 'path';
import { PROJECT_ROOT } from './profile';

export function sharedDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.STAR_SHARED ? path.resolve(env.STAR_SHARED) : path.resolve(PROJECT_ROOT, '..', 'shared');
}

/** A path inside the shared folder, or a clear error saying what is missing and where it was looked for. */
export function requireShared(rel: string, env: NodeJS.ProcessEnv = process.env): string {
  const p = path.join(sharedDir(env), rel);
  if (!fs.existsSync(p)) {
    throw new Error(`${p} is missing: the shared folder (../shared beside the project, or $STAR_SHARED) must hold ${rel} — ` +
      'it is part of every developer\'s and CI\'s set-up (research-licensed samples and official reference values, never committed)');
  }
  return p;
}

/** A path inside the shared folder when it exists, else null (for notebooks and the CLI, which work without it). */
export function optionalShared(rel: string, env: NodeJS.ProcessEnv = process.env): string | null {
  const p = path.join(sharedDir(env), rel);
  return fs.existsSync(p) ? p : null;
}
