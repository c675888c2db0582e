/**
 * Keeps the layout true: imports inside src/ point down the data flow only, and no files import each other in a circle.
 *
 *   node --import tsx scripts/check-imports.ts [root]      (default: the project's src/; exit 1 on a violation)
 *
 * Layers, lowest first (a module may import its own layer or a lower one): the data flow of the design
 * (source -> sample -> targets -> model -> distribution -> loss/metrics -> runs -> train -> experiments -> report ->
 * notebooks/CLI), with the shared utilities at the bottom. Type-only imports count too: a type that lives above its
 * user is a contract in the wrong room.
 */
import * as fs from 'fs';
import * as path from 'path';

/** Layer of each top-level entry of src/ (a folder, or a file without its extension). */
export const LAYERS: Record<string, number> = {
  util: 0, config: 0,
  geometry: 1,
  data: 2,
  model: 3,
  loss: 4, eval: 4, analysis: 4,
  demo: 5, runs: 5,
  train: 6, predict: 6,
  experiments: 7,
  report: 8,
  cli: 9,
  index: 10,
};

export interface ImportEdge { from: string; to: string; line: number }
export interface Violation { kind: 'upward' | 'cycle' | 'unknown-layer'; message: string }

const IMPORT_RE = /(?:^|\n)\s*(?:import|export)\s[^'"]*?from\s*['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)|^\s*import\s*['"]([^'"]+)['"]/gm;

function listFiles(dir: string): string[] {
  return fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) => {
    const p = path.join(dir, e.name);
    if (e.isDirectory()) return listFiles(p);
    return /\.(ts|js|cjs|mjs)$/.test(e.name) && !e.name.endsWith('.d.ts') ? [p] : [];
  });
}

function resolveRelative(fromFile: string, spec: string): string | null {
  const base = path.resolve(path.dirname(fromFile), spec);
  for (const c of [base, `${base}.ts`, `${base}.js`, path.join(base, 'index.ts')]) {
    if (fs.existsSync(c) && fs.statSync(c).isFile()) return c;
  }
  return null;
}

/** Relative imports between files under `root`, with the line each appears on. */
export function importEdges(root: string): ImportEdge[] {
  const edges: ImportEdge[] = [];
  for (const file of listFiles(root)) {
    const text = fs.readFileSync(file, 'utf8');
    for (const m of text.matchAll(IMPORT_RE)) {
      const spec = m[1] ?? m[2] ?? m[3];
      if (!spec || !spec.startsWith('.')) continue;
      const to = resolveRelative(file, spec);
      if (!to || !to.startsWith(root + path.sep)) continue;
      edges.push({ from: file, to, line: text.slice(0, m.index ?? 0).split('\n').length + (m[0].startsWith('\n') ? 1 : 0) });
    }
  }
  return edges;
}

export function layerOf(root: string, file: string): string {
  return path.relative(root, file).split(path.sep)[0].replace(/\.(ts|js|cjs|mjs)$/, '');
}

/** Every upward import and every cycle (as one file path each) under `root`. */
export function checkImports(root: string, layers: Record<string, number> = LAYERS): Violation[] {
  const edges = importEdges(root);
  const rel = (f: string) => path.relative(root, f);
  const out: Violation[] = [];
  for (const e of edges) {
    const [a, b] = [layerOf(root, e.from), layerOf(root, e.to)];
    if (layers[a] === undefined || layers[b] === undefined) {
      const which = layers[a] === undefined ? a : b;
      out.push({ kind: 'unknown-layer', message: `${rel(e.from)}:${e.line}: "${which}" has no layer in scripts/check-imports.ts LAYERS` });
    } else if (layers[b] > layers[a]) {
      out.push({ kind: 'upward', message: `${rel(e.from)}:${e.line} imports ${rel(e.to)}: ${a} (layer ${layers[a]}) must not import ${b} (layer ${layers[b]})` });
    }
  }
  // Cycles: Tarjan's strongly connected components over the file graph.
  const graph = new Map<string, string[]>();
  for (const e of edges) graph.set(e.from, [...(graph.get(e.from) ?? []), e.to]);
  let index = 0;
  const idx = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const visit = (v: string): void => {
    idx.set(v, index);
    low.set(v, index++);
    stack.push(v);
    onStack.add(v);
    for (const w of graph.get(v) ?? []) {
      if (!idx.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, idx.get(w)!));
    }
    if (low.get(v) === idx.get(v)) {
      const comp: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        comp.push(w);
      } while (w !== v);
      const selfLoop = (graph.get(v) ?? []).includes(v);
      if (comp.length > 1 || selfLoop) out.push({ kind: 'cycle', message: `import cycle: ${comp.map(rel).sort().join(' <-> ')}` });
    }
  };
  for (const v of graph.keys()) if (!idx.has(v)) visit(v);
  return out;
}

if (require.main === module) {
  const root = path.resolve(process.argv[2] ?? path.join(__dirname, '..', 'src'));
  const v = checkImports(root);
  for (const x of v) console.error(`${x.kind}: ${x.message}`);
  console.error(v.length ? `check-imports: ${v.length} violation(s) in ${root}` : `check-imports: ${importEdges(root).length} imports in ${root}, all down the data flow, no cycles`);
  process.exit(v.length ? 1 : 0);
}
