/** `star model`: a model preset's configuration and parameter count. */
import { PRESETS, type PresetName } from '../model/config';
import { oneOf, parseOptions, type Command } from './args';

export const model: Command = {
  summary: 'print a model preset and its parameter count (with the official-code comparison)',
  usage: 'usage: star model [--preset paper|cpu-small|cpu-tiny]   (default paper)',
  async run(argv) {
    const a = parseOptions(argv, { preset: { type: 'string' } } as const);
    const preset = oneOf(a.values.preset, 'preset', Object.keys(PRESETS) as PresetName[], 'preset') ?? 'paper';
    const { initBackend } = await import('tfjs-wasm-train');
    await initBackend({ quiet: true });
    const { modelConfig } = await import('../model/config');
    const { buildHourglass, officialReportedParamCount } = await import('../model/hourglass');
    const { WFLW98 } = await import('../data/schemes');
    const cfg = modelConfig(preset);
    const m = buildHourglass(cfg, { seed: 0, scheme: WFLW98 });
    const c = officialReportedParamCount(m);
    console.log(JSON.stringify(cfg));
    console.log(`parameters: ${(c.ours / 1e6).toFixed(3)} M used`);
    console.log(`the official code would report ${(c.officialTotal / 1e6).toFixed(3)} M: its ResBlock always builds a 1x1 skip conv, also when in == out channels where forward() never uses it (${(c.deadSkipParams / 1e6).toFixed(3)} M dead weights).` +
      (preset === 'paper' ? " The paper's table (13.37 M) counts used weights." : ''));
  },
};
