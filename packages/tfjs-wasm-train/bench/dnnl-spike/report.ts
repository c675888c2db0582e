/**
 * Tables for README.md from bench.ts's JSON files:
 *   node --import tsx report.ts results/run1-default-isa.json results/run2-avx2.json ...   (in this folder)
 * Runs are grouped by oneDNN's effective ISA; per variant and threads: min = the lowest of the runs' mins, med = the
 * median of the runs' medians. Ours does not depend on oneDNN's ISA: it pools every run.
 */
import * as fs from 'fs';

type Op = 'fwd' | 'bwdData' | 'bwdWeights';
const OPS: Op[] = ['fwd', 'bwdData', 'bwdWeights'];
interface St { min: number; med: number; n: number }
interface OpRes { ours: St; hwio: St; any: St; split: St | null; err: Record<string, number>; hashes: Record<string, string[]> }
interface GeomRes { T: number; key: string; x: number[]; f: number[]; y: number[]; count: Record<Op, number>; label: string;
  implHwio: Record<string, string>; implAny: Record<string, string>; fwd: OpRes; bwdData: OpRes; bwdWeights: OpRes }
interface Run { file: string; header: { effectiveIsa: string; loadavgStart: number[]; date: string; seedPerLayer?: boolean; timed?: boolean }; results: GeomRes[]; footer: { loadavgEnd: number[] } }

// Runs without seedPerLayer drew each layer's inputs from one running generator (the same across processes, not
// across thread counts): their bits are compared across processes only, and their `split` variant predates the fix
// that creates its primitives with one OpenMP thread (it is ignored). --no-time runs give bits only.
const all: Run[] = process.argv.slice(2).map((f) => ({ file: f, ...JSON.parse(fs.readFileSync(f, 'utf8')) }));
const runs = all.filter((r) => r.header.timed !== false);
const bitRuns = all.filter((r) => r.header.seedPerLayer);
const isas = [...new Set(runs.map((r) => r.header.effectiveIsa))];
const median = (a: number[]) => { const s = [...a].sort((p, q) => p - q); return s.length % 2 ? s[s.length >> 1] : (s[s.length / 2 - 1] + s[s.length / 2]) / 2; };
const keys = [...new Set(runs.flatMap((r) => r.results.map((g) => g.key)))];
const threads = [...new Set(runs.flatMap((r) => r.results.map((g) => g.T)))].sort();
const geomOf = (key: string) => runs[0].results.find((g) => g.key === key)!;

function pooled(rs: Run[], T: number, key: string, op: Op, v: 'ours' | 'hwio' | 'any' | 'split'): St | null {
  const s = rs.filter((r) => v !== 'split' || r.header.seedPerLayer).map((r) => r.results.find((g) => g.T === T && g.key === key)?.[op]?.[v]).filter((q): q is St => q != null);
  if (!s.length) return null;
  return { min: Math.min(...s.map((q) => q.min)), med: median(s.map((q) => q.med)), n: s.reduce((a, q) => a + q.n, 0) };
}
const byIsa = (isa: string) => runs.filter((r) => r.header.effectiveIsa === isa);
const short = (isa: string) => (isa.startsWith('avx512') ? 'avx512' : isa);
const f3 = (x: number) => (x >= 10 ? x.toFixed(1) : x >= 1 ? x.toFixed(2) : x.toFixed(3));
const ratio = (a: number, b: number) => (a / b).toFixed(2);
function label(key: string): string {
  const g = geomOf(key);
  const s = g.x[1] / g.y[1];
  return `[${g.x}] ${g.f[0]}×${g.f[1]}${s > 1 ? ` s${s}` : ''} → ${g.f[3]}${g.label ? ` (${g.label})` : ''}`;
}
const opName: Record<Op, string> = { fwd: 'fwd+bias', bwdData: 'bwd-data', bwdWeights: 'bwd-w+bias' };

const out: string[] = [];
out.push(`Runs: ${runs.map((r) => `${r.file} (${r.header.effectiveIsa}, load ${r.header.loadavgStart.map((l) => l.toFixed(1)).join(' ')} → ${r.footer.loadavgEnd.map((l) => l.toFixed(1)).join(' ')})`).join('; ')}`);
out.push('');

for (const T of threads) {
  const cols = isas.map((i) => short(i));
  out.push(`### ${T} thread${T > 1 ? 's' : ''}: ms per call, min / median (ratio = oneDNN any ÷ ours, from min; < 1: oneDNN faster)`);
  out.push('');
  out.push(`| layer | op | calls/step | ours | ${cols.map((c) => `oneDNN any ${c} | ratio ${c}`).join(' | ')} | ${cols.map((c) => `hwio ${c} (min)`).join(' | ')}${T > 1 ? ` | ${cols.map((c) => `split ${c}`).join(' | ')}` : ''} |`);
  out.push(`|---|---|---:|---:|${cols.map(() => '---:|---:').join('|')}|${cols.map(() => '---:').join('|')}|${T > 1 ? cols.map(() => '---:').join('|') + '|' : ''}`);
  for (const key of keys) {
    const g = geomOf(key);
    for (const op of OPS) {
      const o = pooled(runs, T, key, op, 'ours')!;
      const cells = isas.map((i) => { const a = pooled(byIsa(i), T, key, op, 'any')!; return `${f3(a.min)} / ${f3(a.med)} | ${ratio(a.min, o.min)}`; });
      const hw = isas.map((i) => f3(pooled(byIsa(i), T, key, op, 'hwio')!.min));
      const sp = T > 1 ? isas.map((i) => { const s = pooled(byIsa(i), T, key, op, 'split'); return s ? `${f3(s.min)} / ${f3(s.med)}` : '–'; }) : [];
      out.push(`| ${label(key)} | ${opName[op]} | ${g.count[op] || '–'} | ${f3(o.min)} / ${f3(o.med)} | ${cells.join(' | ')} | ${hw.join(' | ')}${T > 1 ? ` | ${sp.join(' | ')}` : ''} |`);
    }
  }
  out.push('');
}

// weighted per-step totals (hg-cpu-128's calls per step)
out.push('### One hg-cpu-128 training step: Σ calls × ms (min-based / median-based)');
out.push('');
out.push('| threads | ISA | op | ours | oneDNN any | oneDNN hwio | oneDNN split | best of ours / any per layer×op | saving any vs ours (min) | saving best (min) |');
out.push('|---|---|---|---:|---:|---:|---:|---:|---:|---:|');
for (const T of threads) {
  for (const isa of isas) {
    const rs = byIsa(isa);
    const tot: Record<string, { min: number; med: number }> = {};
    for (const opSel of [...OPS, 'all'] as (Op | 'all')[]) {
      const acc = { ours: [0, 0], any: [0, 0], hwio: [0, 0], split: [0, 0], best: [0, 0] };
      let splitOk = true;
      for (const key of keys) {
        const g = geomOf(key);
        for (const op of OPS) {
          if (opSel !== 'all' && op !== opSel) continue;
          const n = g.count[op];
          if (!n) continue;
          const o = pooled(runs, T, key, op, 'ours')!, a = pooled(rs, T, key, op, 'any')!, h = pooled(rs, T, key, op, 'hwio')!;
          const s = pooled(rs, T, key, op, 'split');
          acc.ours[0] += n * o.min; acc.ours[1] += n * o.med;
          acc.any[0] += n * a.min; acc.any[1] += n * a.med;
          acc.hwio[0] += n * h.min; acc.hwio[1] += n * h.med;
          if (s) { acc.split[0] += n * s.min; acc.split[1] += n * s.med; } else splitOk = false;
          const useAny = a.min < o.min;
          acc.best[0] += n * (useAny ? a.min : o.min); acc.best[1] += n * (useAny ? a.med : o.med);
        }
      }
      const c = (p: number[]) => `${p[0].toFixed(1)} / ${p[1].toFixed(1)}`;
      out.push(`| ${T} | ${short(isa)} | ${opSel} | ${c(acc.ours)} | ${c(acc.any)} | ${c(acc.hwio)} | ${splitOk && T > 1 ? c(acc.split) : '–'} | ${c(acc.best)} | ${(acc.ours[0] - acc.any[0]).toFixed(1)} ms (${(100 * (acc.ours[0] - acc.any[0]) / 110).toFixed(0)}% of 110 ms) | ${(acc.ours[0] - acc.best[0]).toFixed(1)} ms (${(100 * (acc.ours[0] - acc.best[0]) / 110).toFixed(0)}%) |`);
      tot[opSel] = { min: acc.ours[0], med: acc.ours[1] };
    }
  }
}
out.push('');

// bits
out.push('### Bits (FNV-1a of each output; dw/db joined)');
out.push('');
const variants = ['ours', 'hwio', 'any', 'split'];
const bitsByIsa = (isa: string) => bitRuns.filter((r) => r.header.effectiveIsa === isa);
out.push(`Bits from ${bitRuns.map((r) => r.file).join(', ')} (inputs seeded per layer); cross-process check also over the earlier runs.`);
out.push('');
for (const isa of isas) {
  const rs = bitsByIsa(isa);
  for (const v of variants) {
    let repeat = 0, repeatN = 0, across = 0, acrossN = 0;
    const tvt: Record<Op, [number, number]> = { fwd: [0, 0], bwdData: [0, 0], bwdWeights: [0, 0] };
    for (const r of rs) for (const g of r.results) for (const op of OPS) {
      const h = g[op]?.hashes?.[v];
      if (!h) continue;
      repeatN++; if (h[0] !== h[1]) repeat++;
    }
    for (const key of keys) for (const T of threads) for (const op of OPS) {
      for (const group of [rs, byIsa(isa).filter((r) => !r.header.seedPerLayer)]) {
        const hs = group.map((r) => r.results.find((g) => g.T === T && g.key === key)?.[op]?.hashes?.[v]?.[0]).filter(Boolean);
        if (hs.length < 2) continue;
        acrossN++; if (new Set(hs).size > 1) across++;
      }
    }
    for (const key of keys) for (const op of OPS) for (const r of rs) {
      const h1 = r.results.find((g) => g.T === 1 && g.key === key)?.[op]?.hashes?.[v]?.[0];
      const h2 = r.results.find((g) => g.T === 2 && g.key === key)?.[op]?.hashes?.[v]?.[0];
      if (!h1 || !h2) continue;
      tvt[op][1]++; if (h1 !== h2) tvt[op][0]++;
    }
    out.push(`- ${short(isa)} runs, ${v}: repeated call differs in ${repeat}/${repeatN}; across processes (same T) differs in ${across}/${acrossN}; 1 vs 2 threads differs: ${OPS.map((op) => `${op} ${tvt[op][0]}/${tvt[op][1]}`).join(', ')}`);
  }
}
if (isas.length > 1) {
  for (const v of ['ours', 'hwio', 'any', 'split']) {
    let d = 0, n = 0;
    for (const key of keys) for (const T of threads) for (const op of OPS) {
      const a = bitsByIsa(isas[0])[0].results.find((g) => g.T === T && g.key === key)?.[op]?.hashes?.[v]?.[0];
      const b = bitsByIsa(isas[1])[0].results.find((g) => g.T === T && g.key === key)?.[op]?.hashes?.[v]?.[0];
      if (!a || !b) continue;
      n++; if (a !== b) d++;
    }
    out.push(`- ${v}: ${short(isas[0])} vs ${short(isas[1])} outputs differ in ${d}/${n} (layer × op × threads)`);
  }
}
out.push('');
// numerics
out.push('### Max relative error vs ours (max |Δ| / max |ours|), over all layers, threads and runs');
out.push('');
for (const isa of isas) {
  const rs = byIsa(isa);
  const line = OPS.map((op) => {
    const m: Record<string, number> = {};
    for (const r of rs) for (const g of r.results) for (const [v, e] of Object.entries(g[op]?.err ?? {})) m[v] = Math.max(m[v] ?? 0, e);
    return `${op}: ${Object.entries(m).map(([v, e]) => `${v} ${e.toExponential(1)}`).join(', ')}`;
  });
  out.push(`- ${short(isa)}: ${line.join('; ')}`);
}
out.push('');
// implementations
out.push('### Implementations oneDNN picked (any weights; hwio weights: x64:gemm:jit everywhere)');
out.push('');
for (const isa of isas) {
  const r = byIsa(isa)[0];
  const seen = new Map<string, string[]>();
  for (const g of r.results.filter((q) => q.T === 1)) {
    const k = `${g.implAny.fwd} / ${g.implAny.bwdData} / ${g.implAny.bwdWeights}`;
    seen.set(k, [...(seen.get(k) ?? []), `${g.f[0]}×${g.f[1]}`]);
    if (Object.values(g.implHwio).some((i) => i !== 'x64:gemm:jit' && typeof i === 'string' && i.includes(':'))) out.push(`- note: hwio ${g.key}: ${JSON.stringify(g.implHwio)}`);
  }
  for (const [k, v] of seen) out.push(`- ${short(isa)}: ${k} — ${[...new Set(v)].join(', ')} layers (${v.length})`);
}
console.log(out.join('\n'));
