/** `star generate`: generate (or load from its cache) the synthetic benchmark. */
import { numberOption, parseOptions, UsageError, type Command } from './args';
import { profileOption } from './project-args';

const OPTIONS = {
  profile: { type: 'string' }, train: { type: 'string' }, val: { type: 'string' }, test: { type: 'string' }, size: { type: 'string' },
  seed: { type: 'string' }, tangent: { type: 'string' },
} as const;

// The generator's config validates every range; its field names map back to the options that set them.
const OPTION_OF_FIELD: Record<string, string> = {
  seed: '--seed', imageSize: '--size', 'counts.train': '--train', 'counts.val': '--val', 'counts.test': '--test', 'ambiguity.sigmaTangent': '--tangent',
};

export const generate: Command = {
  summary: 'generate (or load from cache) the synthetic benchmark',
  usage: `usage: star generate [--profile P] [--train N] [--val N] [--test N] [--size PX] [--seed S] [--tangent SIGMA]
  Writes data/cache/synthetic-<hash>/. Face counts default to the profile's ($STAR_PROFILE or quick), --size to 128 px,
  --seed to 1, --tangent (label noise along contours, fraction of the inter-ocular distance) to the generator's default.`,
  async run(argv) {
    const a = parseOptions(argv, OPTIONS);
    const profile = profileOption(a.values.profile);
    const count = (k: 'train' | 'val' | 'test') => numberOption(a.values[k], k, { integer: true, min: 1 });
    const input = {
      seed: numberOption(a.values.seed, 'seed', { integer: true, min: 0 }) ?? 1,
      imageSize: numberOption(a.values.size, 'size', { integer: true, min: 1 }) ?? 128,
      counts: { train: count('train'), val: count('val'), test: count('test') },
      tangent: numberOption(a.values.tangent, 'tangent', { min: 0 }),
    };
    const { PROFILE_SCALE } = await import('../experiments/spec');
    const { resolveSyntheticConfig, describeConfig } = await import('../data/synthetic/config');
    const s = PROFILE_SCALE[profile].counts;
    let cfg;
    try {
      cfg = resolveSyntheticConfig({
        seed: input.seed, imageSize: input.imageSize,
        counts: { train: input.counts.train ?? s.train, val: input.counts.val ?? s.val, test: input.counts.test ?? s.test },
        ambiguity: input.tangent === undefined ? {} : { sigmaTangent: input.tangent },
      });
    } catch (e) {
      const m = /^SyntheticConfig\.([\w.]+): (.*)$/.exec((e as Error).message);
      throw m && OPTION_OF_FIELD[m[1]] ? new UsageError(`${OPTION_OF_FIELD[m[1]]}: ${m[2]}`) : e;
    }
    const { syntheticDataset } = await import('../data/synthetic/dataset');
    const t0 = Date.now();
    for (const split of ['train', 'val', 'test'] as const) {
      const d = await syntheticDataset(cfg, split);
      console.log(`${split}: ${d.length} faces (${d.name})`);
    }
    console.log(`${describeConfig(cfg)}; ${((Date.now() - t0) / 1000).toFixed(1)} s`);
  },
};
