/** `star tables`: rebuild an experiment's tables and figures from its run folders, without training. */
import { resultsDir } from '../config/profile';
import { parseOptions, type Command } from './args';
import { outputFolder } from './paths';
import { experimentsArgument, profileOption } from './project-args';

export const tables: Command = {
  summary: 'rebuild the tables and figures of an experiment from its run folders (no training)',
  usage: `usage: star tables <name|all|name1,name2|my-spec.json> [--profile smoke|quick|full] [--results DIR] [--allow-mixed]
  Reads the profile's runs (results/local/<profile>/runs/, full: results/runs/; or DIR/runs/) and rewrites its tables/ and figures/.
  Runs of one experiment from different code versions or kernel sets are refused (the error lists the groups) unless
  --allow-mixed is given; the tables then say they are mixed.`,
  async run(argv) {
    const a = parseOptions(argv, { profile: { type: 'string' }, results: { type: 'string' }, 'allow-mixed': { type: 'boolean' } } as const, 1);
    const profile = profileOption(a.values.profile);
    const root = a.values.results !== undefined ? outputFolder(a.values.results, 'results') : resultsDir(profile);
    const specs = await experimentsArgument(a.positionals[0], { refuseBuiltInNames: false });
    const { summariseExperiment } = await import('../report/experiment-tables');
    const { scaleSpec } = await import('../experiments/spec');
    const { experimentFigures } = await import('../report/figures/experiment');
    for (const spec of specs) {
      const { tables: t, results } = summariseExperiment(scaleSpec(spec, profile), profile, root, { allowMixed: !!a.values['allow-mixed'] });
      const figs = await experimentFigures(results, t.label, root);
      console.log(JSON.stringify({ experiment: spec.name, arms: t.arms.length, comparisons: t.comparisons.length, missing: t.missing, mixed: t.provenance.mixed, figures: figs }, null, 1));
    }
  },
};
