/**
 * Worker side of the batch loader (src/data/loader.ts): receives the dataset once (metadata + shared pixel views or
 * image paths), then prepares whole batches on request and transfers the buffers back. Pure work, no state other
 * than a small decoded-image cache; all randomness comes from (seed, epoch, index), so results do not depend on
 * which worker ran them.
 */
import { parentPort } from 'worker_threads';
import { BatchAssembler, type WorkerInit, type BatchRequest } from './loader-core';

if (!parentPort) throw new Error('loader-worker.ts must run inside a worker thread');
const port = parentPort;
let assembler: BatchAssembler | undefined;

port.on('message', (msg: WorkerInit | BatchRequest | { type: 'close' }) => {
  if (msg.type === 'init') {
    assembler = new BatchAssembler(msg);
    return;
  }
  if (msg.type === 'close') {
    port.close();
    return;
  }
  const a = assembler;
  if (!a) {
    port.postMessage({ type: 'error', id: msg.id, message: 'loader worker: batch requested before init' });
    return;
  }
  a.assemble(msg.epoch, msg.indices).then(
    (b) => port.postMessage({ type: 'batch', id: msg.id, batch: b }, [b.images.buffer, b.targets.buffer, b.visible.buffer, b.indices.buffer, ...(b.heatmaps ? [b.heatmaps.buffer] : []), ...(b.edgemaps ? [b.edgemaps.buffer] : [])]),
    (e: Error) => port.postMessage({ type: 'error', id: msg.id, message: e?.stack ?? String(e) }),
  );
});
