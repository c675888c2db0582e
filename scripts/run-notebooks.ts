/**
 * Executes notebooks headlessly and fails loudly on the first failing cell of each.
 *
 *   npm run notebooks                         every notebooks/*.ipynb
 *   npm run notebooks -- 00-setup-check       chosen ones (name, name.ipynb or a path)
 *   options: --dir <folder>  --out <folder>  --timeout <s per cell, 0 = none>
 *
 * Each notebook runs through scripts/nbrun.py (nbclient under Debian's /usr/bin/python3) with the tslab kernel
 * from the project-local Jupyter path, in the project root, with STAR_PROFILE passed through (default: smoke
 * when CI is set, else the profile default). Executed copies, outputs included, go to
 * <resultsDir(profile)>/notebooks/ (git-ignored results/local/<profile>/ for smoke and quick, committed
 * results/notebooks/ for full). Exit status: 0 all passed, 1 a cell failed, 2 the runner could not run.
 */
import { spawnSync } from 'child_process';
import * as fs from 'fs';
import * as path from 'path';
import { currentProfile, PROJECT_ROOT, Profile, resultsDir } from '../src/config/profile';

/** Debian's interpreter: the first python3 on PATH may be another one without Jupyter. */
export const SYSTEM_PYTHON = process.env.STAR_PYTHON ?? '/usr/bin/python3';

export interface RunNotebooksOptions {
  /** Notebook names (`00-setup-check`, `00-setup-check.ipynb`) or paths; empty = every .ipynb in `dir`. */
  names?: string[];
  /** Folder holding the notebooks. Default: <root>/notebooks. */
  dir?: string;
  /** Folder for the executed copies. Default: <resultsDir(profile)>/notebooks. */
  outDir?: string;
  /** Profile passed to the kernel as STAR_PROFILE. Default: STAR_PROFILE, else smoke under CI, else quick. */
  profile?: Profile;
  /** Seconds per cell; 0 = no limit. Default: smoke 300, quick 1800, full none. */
  cellTimeoutS?: number;
  /** Where progress and errors go. Default: console.log. */
  log?: (line: string) => void;
}

export interface NotebookResult {
  notebook: string;
  output: string;
  ok: boolean;
  cells?: number;
  seconds?: number;
  failedCell?: number;
  error?: string;
  source?: string;
}

const DEFAULT_CELL_TIMEOUT_S: Record<Profile, number> = { smoke: 300, quick: 1800, full: 0 };

export function defaultProfile(env: NodeJS.ProcessEnv = process.env): Profile {
  // CI jobs must stay in the smoke budget unless they ask for more explicitly.
  if (env.STAR_PROFILE === undefined && env.CI) return 'smoke';
  return currentProfile(env);
}

/** Resolves names to existing .ipynb paths; throws listing what is available when one does not exist. */
export function resolveNotebooks(dir: string, names: string[] = []): string[] {
  const available = fs.existsSync(dir)
    ? fs.readdirSync(dir).filter((f) => f.endsWith('.ipynb')).sort()
    : [];
  if (names.length === 0) {
    if (available.length === 0) throw new Error(`no .ipynb files in ${dir}`);
    return available.map((f) => path.join(dir, f));
  }
  return names.map((name) => {
    const candidates = [name, path.join(dir, name), path.join(dir, `${name}.ipynb`)];
    const hit = candidates.find((c) => c.endsWith('.ipynb') && fs.existsSync(c) && fs.statSync(c).isFile());
    if (!hit) {
      throw new Error(`notebook "${name}" not found in ${dir}; available: ${available.join(', ') || '(none)'}`);
    }
    return path.resolve(hit);
  });
}

/** Writes the tslab kernel spec (absolute paths) and returns the Jupyter path holding it. */
export function ensureKernelSpec(): string {
  const r = spawnSync('bash', [path.join(PROJECT_ROOT, 'scripts', 'kernel', 'install-kernelspec.sh')], {
    encoding: 'utf8',
  });
  if (r.status !== 0) throw new Error(`install-kernelspec.sh failed: ${r.stderr || r.error?.message}`);
  return r.stdout.trim().split('\n').pop()!;
}

/** Throws a message saying what to install when Debian's Python lacks nbclient. */
export function checkPython(): void {
  const r = spawnSync(SYSTEM_PYTHON, ['-c', 'import nbclient, nbformat'], { encoding: 'utf8' });
  if (r.error || r.status !== 0) {
    throw new Error(
      `${SYSTEM_PYTHON} cannot import nbclient (${r.error?.message ?? r.stderr.trim().split('\n').pop()}); ` +
        'run `npm run setup` (apt: python3-nbclient jupyter-client)',
    );
  }
}

export function runNotebooks(opts: RunNotebooksOptions = {}): NotebookResult[] {
  const log = opts.log ?? ((line: string) => console.log(line));
  const profile = opts.profile ?? defaultProfile();
  const dir = path.resolve(opts.dir ?? path.join(PROJECT_ROOT, 'notebooks'));
  const outDir = path.resolve(opts.outDir ?? path.join(resultsDir(profile), 'notebooks'));
  const timeout = opts.cellTimeoutS ?? DEFAULT_CELL_TIMEOUT_S[profile];
  const notebooks = resolveNotebooks(dir, opts.names);
  checkPython();
  const jupyterPath = ensureKernelSpec();
  const env = {
    ...process.env,
    // Project-local first, so a user-wide "tslab" spec pointing elsewhere cannot win.
    JUPYTER_PATH: [jupyterPath, process.env.JUPYTER_PATH].filter(Boolean).join(path.delimiter),
    STAR_PROFILE: profile,
    PYDEVD_DISABLE_FILE_VALIDATION: '1', // silences a debugger warning Debian's python prints on every start
  };
  log(`notebooks: profile=${profile}, ${notebooks.length} notebook(s), outputs -> ${path.relative(PROJECT_ROOT, outDir) || '.'}`);

  const results: NotebookResult[] = [];
  for (const nb of notebooks) {
    const name = path.basename(nb);
    const output = path.join(outDir, name);
    const r = spawnSync(
      SYSTEM_PYTHON,
      [path.join(PROJECT_ROOT, 'scripts', 'nbrun.py'), nb, output, '--cwd', PROJECT_ROOT, '--timeout', String(Math.ceil(timeout))],
      { cwd: PROJECT_ROOT, env, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 },
    );
    const last = (r.stdout ?? '').trim().split('\n').pop() ?? '';
    let parsed: Record<string, unknown> = {};
    try {
      parsed = JSON.parse(last);
    } catch {
      parsed = { ok: false, error: `nbrun.py gave no result (exit ${r.status}${r.signal ? `, ${r.signal}` : ''}): ${(r.stderr ?? '').trim().slice(-2000)}` };
    }
    const res: NotebookResult = {
      notebook: nb,
      output,
      ok: parsed.ok === true && r.status === 0,
      cells: parsed.cells as number | undefined,
      seconds: parsed.seconds as number | undefined,
      failedCell: parsed.failed_cell as number | undefined,
      error: parsed.error as string | undefined,
      source: parsed.source as string | undefined,
    };
    results.push(res);
    if (res.ok) {
      log(`  ok    ${name} (${res.cells} code cells, ${res.seconds} s)`);
    } else {
      const where = res.failedCell !== undefined ? `cell ${res.failedCell}` : 'kernel';
      log(`  FAIL  ${name}: ${where} failed${res.seconds !== undefined ? ` after ${res.seconds} s` : ''}`);
      if (res.source) log(indent(`source:\n${indent(res.source)}`));
      log(indent(`error:\n${indent(res.error ?? '(no message)')}`));
      log(indent(`partial output: ${path.relative(PROJECT_ROOT, output)}`));
    }
  }
  const failed = results.filter((r) => !r.ok).length;
  log(`notebooks: ${results.length - failed} passed, ${failed} failed`);
  return results;
}

function indent(s: string): string {
  return s.replace(/^/gm, '    ');
}

function parseArgs(argv: string[]): RunNotebooksOptions {
  const opts: RunNotebooksOptions = { names: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i];
    const value = (): string => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    if (a === '--dir') opts.dir = value();
    else if (a === '--out') opts.outDir = value();
    else if (a === '--timeout') {
      const t = Number(value());
      if (!Number.isFinite(t) || t < 0) throw new Error(`--timeout must be seconds >= 0, got "${argv[i]}"`);
      opts.cellTimeoutS = t;
    } else if (a === '-h' || a === '--help') {
      console.log('usage: npm run notebooks [-- [--dir D] [--out D] [--timeout S] [name ...]]');
      process.exit(0);
    } else if (a.startsWith('--')) throw new Error(`unknown option ${a}`);
    else opts.names!.push(a);
  }
  return opts;
}

if (require.main === module) {
  let code = 0;
  try {
    const results = runNotebooks(parseArgs(process.argv.slice(2)));
    code = results.every((r) => r.ok) ? 0 : 1;
  } catch (e) {
    console.error(`notebooks: ${(e as Error).message}`);
    code = 2;
  }
  process.exit(code);
}
