/**
 * Provenance of a run: the code that trained it and the kernels it trained with. Runs whose provenance differs do not
 * give paired numbers (the kernels add in different orders, a code change moves every later step), so the aggregation
 * refuses to mix them unless told to, and the runner refuses to resume a checkpoint written by other code or kernels.
 *
 * The code version is the content of the sources that can change a number (src/ and the workspace packages' src/ and
 * native/), hashed as the process found them, plus the git commit and whether those sources had uncommitted edits.
 * Identity is the source hash, not the commit: committing results between two seeds of a grid does not split it, and an
 * uncommitted edit does.
 */
import { execFileSync } from 'child_process';
import { createHash } from 'crypto';
import * as fs from 'fs';
import * as path from 'path';

export interface CodeVersion {
  /** Git commit of the checkout the process ran from (full hash); 'unknown' outside a git checkout. */
  commit: string;
  /** Uncommitted changes (or untracked files) under src/ or packages/ at the start; null when git could not say. */
  dirty: boolean | null;
  /** sha256 prefix of the number-changing sources as read at the start; null for runs recorded before provenance existed. */
  sourceHash: string | null;
}

/** What computed the numbers: the tfjs backend, its threads and which of our kernels replaced tfjs's. */
export interface KernelSet {
  backend: string;
  threads: number;
  /** Kernels served by tfjs-wasm-train instead of tfjs (BackendInfo.customKernels). */
  customKernels: string[];
  /** Which STAR loss implementation 'auto' resolved to ('host' | 'fused'); '' when not recorded. */
  starLossKernels: string;
  /** tfjs-core version; '' when not recorded. */
  tfjs: string;
  /**
   * The OpenBLAS kernels of the native convolutions (BackendInfo.blas: 'Haswell' when pinned); '' without them; absent
   * in runs recorded before it was (their machine's choice is unknown, so they never match a run that records it).
   */
  blas?: string;
  /**
   * oneDNN's version and ISA when the native 3×3 / 7×7 convolutions ran on it (BackendInfo.dnnl: '2.6.3 avx2'); ''
   * or absent when they ran on OpenBLAS (runs recorded before oneDNN existed in the addon all did). Its
   * backward-weights rounds differently from sgemm: runs with and without it never pair.
   */
  dnnl?: string;
}

export interface Provenance {
  code: CodeVersion;
  kernels: KernelSet;
}

/** The folders whose files can change a run's numbers, relative to a package root. */
const PACKAGE_SOURCES = ['src', 'native', 'package.json'];

function gitOutput(root: string, args: string[]): string | null {
  try {
    return execFileSync('git', args, { cwd: root, stdio: ['ignore', 'pipe', 'ignore'] }).toString();
  } catch {
    return null;
  }
}

function filesUnder(p: string): string[] {
  if (!fs.existsSync(p)) return [];
  if (fs.statSync(p).isFile()) return [p];
  return fs.readdirSync(p).sort().flatMap((name) => (name === 'node_modules' || name === 'build' || name.startsWith('.') ? [] : filesUnder(path.join(p, name))));
}

/**
 * The workspace packages as this checkout loads them: `node_modules/<name>` resolved, so that a node_modules linked from
 * another checkout (whose workspace links point into that checkout's packages/) is hashed as what really runs.
 */
function loadedPackages(root: string): { name: string; dir: string }[] {
  const packagesDir = path.join(root, 'packages');
  if (!fs.existsSync(packagesDir)) return [];
  return fs.readdirSync(packagesDir).sort().flatMap((d) => {
    const manifest = path.join(packagesDir, d, 'package.json');
    if (!fs.existsSync(manifest)) return [];
    const name = (JSON.parse(fs.readFileSync(manifest, 'utf8')) as { name: string }).name;
    const linked = path.join(root, 'node_modules', name);
    return [{ name, dir: fs.existsSync(linked) ? fs.realpathSync(linked) : path.join(packagesDir, d) }];
  });
}

/** Hash of src/ and the loaded workspace packages' sources; paths enter relative to their root, so two checkouts agree. */
export function sourceHash(root: string): string {
  const h = createHash('sha256');
  const add = (label: string, base: string, files: string[]) => {
    for (const f of files) h.update(`${label}/${path.relative(base, f)}\0`).update(fs.readFileSync(f)).update('\0');
  };
  add('src', path.join(root, 'src'), filesUnder(path.join(root, 'src')));
  for (const p of loadedPackages(root)) add(p.name, p.dir, PACKAGE_SOURCES.flatMap((s) => filesUnder(path.join(p.dir, s))));
  return h.digest('hex').slice(0, 16);
}

const codeVersions = new Map<string, CodeVersion>();

/**
 * The code version of the checkout at `root`, computed once per process (the modules a process runs are the ones it
 * loaded at its start; a later edit on disk does not change them).
 */
export function codeVersion(root: string): CodeVersion {
  const known = codeVersions.get(root);
  if (known) return known;
  const commit = gitOutput(root, ['rev-parse', 'HEAD'])?.trim() || 'unknown';
  const status = gitOutput(root, ['status', '--porcelain', '--', 'src', 'packages']);
  const v: CodeVersion = { commit, dirty: status === null ? null : status.trim() !== '', sourceHash: sourceHash(root) };
  codeVersions.set(root, v);
  return v;
}

/** Runs with equal keys have the same provenance. Runs recorded before provenance existed are keyed by their commit. */
export function provenanceKey(p: Provenance): string {
  const k = p.kernels;
  return JSON.stringify({
    code: p.code.sourceHash ?? `commit ${p.code.commit.slice(0, 7)}`,
    kernels: [k.backend, k.threads, [...k.customKernels].sort(), k.starLossKernels, k.tfjs, ...(k.blas === undefined ? [] : [k.blas]), ...(k.dnnl ? [`dnnl ${k.dnnl}`] : [])],
  });
}

export function sameProvenance(a: Provenance, b: Provenance): boolean {
  return provenanceKey(a) === provenanceKey(b);
}

/** One line: "commit 7d5b6d2 (+ uncommitted edits), sources 1a2b3c4d…; wasm, 1 thread, STAR host kernels, tfjs 4.22.0; 10 custom kernels: …". */
export function describeProvenance(p: Provenance): string {
  const c = p.code;
  const k = p.kernels;
  const code = `commit ${c.commit.slice(0, 7)}${c.dirty ? ' (+ uncommitted edits)' : ''}, ${c.sourceHash ? `sources ${c.sourceHash}` : 'sources not recorded'}`;
  const extras = [k.starLossKernels ? `STAR ${k.starLossKernels} kernels` : '', k.tfjs ? `tfjs ${k.tfjs}` : '', k.blas ? `OpenBLAS ${k.blas} kernels` : '',
    k.dnnl ? `oneDNN ${k.dnnl} convs` : ''].filter(Boolean);
  const custom = k.customKernels.length ? `${k.customKernels.length} custom kernels: ${k.customKernels.join(', ')}` : 'no custom kernels';
  return `${code}; ${k.backend}, ${k.threads} thread${k.threads === 1 ? '' : 's'}${extras.length ? ', ' + extras.join(', ') : ''}; ${custom}`;
}

/** Which parts of two provenances differ, in words ("sources", "threads 2 vs 1", ...). */
export function provenanceDifferences(a: Provenance, b: Provenance): string[] {
  const d: string[] = [];
  if ((a.code.sourceHash ?? a.code.commit.slice(0, 7)) !== (b.code.sourceHash ?? b.code.commit.slice(0, 7))) {
    d.push(a.code.sourceHash && b.code.sourceHash ? `sources ${a.code.sourceHash} vs ${b.code.sourceHash}` : `code (commit ${a.code.commit.slice(0, 7)} vs ${b.code.commit.slice(0, 7)})`);
  }
  const ka = a.kernels;
  const kb = b.kernels;
  if (ka.backend !== kb.backend) d.push(`backend ${ka.backend} vs ${kb.backend}`);
  if (ka.threads !== kb.threads) d.push(`threads ${ka.threads} vs ${kb.threads}`);
  const sa = [...ka.customKernels].sort().join();
  const sb = [...kb.customKernels].sort().join();
  if (sa !== sb) {
    const only = (x: string[], y: string[]) => x.filter((n) => !y.includes(n));
    const ab = only(ka.customKernels, kb.customKernels);
    const ba = only(kb.customKernels, ka.customKernels);
    d.push(`custom kernels${ab.length ? ` only in the first: ${ab.join(', ')}` : ''}${ab.length && ba.length ? ';' : ''}${ba.length ? ` only in the second: ${ba.join(', ')}` : ''}`);
  }
  if (ka.starLossKernels !== kb.starLossKernels) d.push(`STAR kernels ${ka.starLossKernels || '?'} vs ${kb.starLossKernels || '?'}`);
  if (ka.tfjs !== kb.tfjs) d.push(`tfjs ${ka.tfjs || '?'} vs ${kb.tfjs || '?'}`);
  const blas = (b: string | undefined) => (b === undefined ? 'not recorded' : b || 'none');
  if (ka.blas !== kb.blas) d.push(`OpenBLAS kernels ${blas(ka.blas)} vs ${blas(kb.blas)}`);
  const conv = (x: string | undefined) => (x ? `oneDNN ${x}` : 'OpenBLAS');
  if ((ka.dnnl || '') !== (kb.dnnl || '')) d.push(`3x3/7x7 convs ${conv(ka.dnnl)} vs ${conv(kb.dnnl)}`);
  return d;
}
