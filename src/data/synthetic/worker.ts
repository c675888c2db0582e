/**
 * Worker-thread entry of the generation pool: renders the sample indices it is sent into the shared pixel buffer
 * and posts the labels back. Loaded through pool.ts (which registers tsx when the sources are TypeScript).
 */
import { parentPort, workerData } from 'worker_threads';
import sharp from 'sharp';
import type { SyntheticConfig, Split } from './config';
import { generateSample } from './generate';

interface Init {
  cfg: SyntheticConfig;
  split: Split;
  pixels: SharedArrayBuffer;
}

if (parentPort) {
  const port = parentPort;
  const { cfg, split, pixels } = workerData as Init;
  // One libvips thread per worker: the pool already spreads the work over the cores.
  sharp.concurrency(1);
  const view = new Uint8Array(pixels);
  const bytes = cfg.imageSize * cfg.imageSize * 3;
  port.on('message', async (msg: { start: number; end: number }) => {
    try {
      const labels = [];
      for (let i = msg.start; i < msg.end; i++) {
        const { label, rgb } = await generateSample(cfg, split, i);
        view.set(rgb, i * bytes);
        labels.push(label);
      }
      port.postMessage({ ok: true, start: msg.start, labels });
    } catch (e) {
      port.postMessage({ ok: false, start: msg.start, error: e instanceof Error ? `${e.message}\n${e.stack}` : String(e) });
    }
  });
}
