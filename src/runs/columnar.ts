/**
 * A small columnar container for run-folder files that hold many numbers (per-prediction records): a JSON header
 * followed by typed columns, little-endian. Layout:
 *   bytes 0–7   magic "STARCOL1"
 *   bytes 8–11  uint32 byte length L of the header
 *   12 … 12+L   UTF-8 JSON header {format, version, meta, columns: [{name, type, length, offset, constant?}]}
 *   then each column's bytes at its `offset` (from the start of the file, a multiple of 8), in header order.
 * Column types: 'f16' (IEEE half, util/float16.ts), 'f32', 'u8'. A column whose stored values are all the same
 * (e.g. visibility on synthetic faces, all 1) keeps only that value in the header (`constant`) and no bytes.
 */
import { decodeFloat16, toFloat16Bits } from '../util/float16';

const MAGIC = 'STARCOL1';
const VERSION = 1;

export type ColumnType = 'f16' | 'f32' | 'u8';

const BYTES: Record<ColumnType, number> = { f16: 2, f32: 4, u8: 1 };

export interface ColumnInput {
  name: string;
  type: ColumnType;
  values: ArrayLike<number>;
}

/** JSON has no NaN or ±Infinity: constants are stored as these strings. */
type JsonNumber = number | 'NaN' | 'Infinity' | '-Infinity';

export interface ColumnEntry {
  name: string;
  type: ColumnType;
  length: number;
  /** Byte offset from the start of the file; absent for a constant column. */
  offset?: number;
  /** The one value of a constant column (after rounding to its type). */
  constant?: JsonNumber;
}

export type ColumnValues = Float32Array | Uint8Array;

function toJsonNumber(v: number): JsonNumber {
  if (Number.isNaN(v)) return 'NaN';
  if (v === Infinity) return 'Infinity';
  if (v === -Infinity) return '-Infinity';
  return v;
}

function fromJsonNumber(v: JsonNumber): number {
  return typeof v === 'number' ? v : Number(v);
}

/** Bits as stored: f16 patterns, f32 patterns or bytes (so that "all equal" compares what is written). */
function stored(c: ColumnInput): { bytes: Uint8Array; first: number; constant: boolean } {
  const n = c.values.length;
  const bytes = new Uint8Array(n * BYTES[c.type]);
  const view = new DataView(bytes.buffer);
  let constant = true;
  let firstBits = 0;
  for (let i = 0; i < n; i++) {
    const v = c.values[i];
    let bits: number;
    if (c.type === 'f16') {
      bits = toFloat16Bits(v);
      view.setUint16(2 * i, bits, true);
    } else if (c.type === 'f32') {
      view.setFloat32(4 * i, v, true);
      bits = view.getUint32(4 * i, true);
      if (Number.isNaN(v)) bits = 0x7fc00000; // one NaN, whatever its payload
    } else {
      if (!(Number.isInteger(v) && v >= 0 && v <= 255)) throw new Error(`column "${c.name}": value ${v} at ${i} is not a byte (0..255)`);
      bits = v;
      bytes[i] = v;
    }
    if (i === 0) firstBits = bits;
    else if (bits !== firstBits) constant = false;
  }
  const first = n === 0 ? 0 : c.type === 'f16' ? decodeFloat16([firstBits])[0] : c.type === 'f32' ? Math.fround(c.values[0]) : c.values[0];
  return { bytes, first, constant: n > 0 && constant };
}

const align8 = (n: number) => Math.ceil(n / 8) * 8;

/** Encode `meta` (any JSON) and the columns into one buffer. Column names must be unique. */
export function encodeColumnar(meta: unknown, columns: ColumnInput[]): Uint8Array {
  const names = new Set<string>();
  for (const c of columns) {
    if (names.has(c.name)) throw new Error(`encodeColumnar: duplicate column "${c.name}"`);
    names.add(c.name);
    if (!(c.type in BYTES)) throw new Error(`encodeColumnar: column "${c.name}" has unknown type "${c.type}"`);
  }
  const encoded = columns.map((c) => ({ c, s: stored(c) }));
  // Offsets depend on the header's length, which depends on the offsets' digits: lay out twice with a fixed point.
  let headerBytes = 0;
  let entries: ColumnEntry[] = [];
  let header = new Uint8Array(0);
  for (let pass = 0; pass < 4; pass++) {
    let offset = align8(12 + headerBytes);
    entries = encoded.map(({ c, s }) => {
      if (s.constant) return { name: c.name, type: c.type, length: c.values.length, constant: toJsonNumber(s.first) };
      const e: ColumnEntry = { name: c.name, type: c.type, length: c.values.length, offset };
      offset = align8(offset + s.bytes.length);
      return e;
    });
    header = new TextEncoder().encode(JSON.stringify({ format: 'star-columnar', version: VERSION, meta, columns: entries }));
    if (header.length === headerBytes) break;
    headerBytes = header.length;
  }
  const last = entries.filter((e) => e.offset !== undefined).pop();
  const lastBytes = last ? encoded.find(({ c }) => c.name === last.name)!.s.bytes.length : 0;
  const total = last ? last.offset! + lastBytes : 12 + header.length;
  const out = new Uint8Array(total);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(8, header.length, true);
  out.set(header, 12);
  entries.forEach((e, i) => {
    if (e.offset !== undefined) out.set(encoded[i].s.bytes, e.offset);
  });
  return out;
}

export interface DecodedColumnar<M> {
  meta: M;
  columns: Record<string, ColumnValues>;
  /** The header's column entries (types, lengths, constants), in file order. */
  entries: ColumnEntry[];
}

/** Decode a buffer written by encodeColumnar; `where` names the file in errors. */
export function decodeColumnar<M>(buf: Uint8Array, where = 'columnar file'): DecodedColumnar<M> {
  const bad = (why: string): never => {
    throw new Error(`${where}: ${why}`);
  };
  if (buf.length < 12 || new TextDecoder().decode(buf.subarray(0, 8)) !== MAGIC) bad(`not a STAR columnar file (no "${MAGIC}" at the start)`);
  const view = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const L = view.getUint32(8, true);
  if (12 + L > buf.length) bad(`header of ${L} bytes runs past the end of the file (${buf.length} bytes)`);
  let header: { format: string; version: number; meta: M; columns: ColumnEntry[] };
  try {
    header = JSON.parse(new TextDecoder().decode(buf.subarray(12, 12 + L)));
  } catch (e) {
    return bad(`header is not JSON (${(e as Error).message})`);
  }
  if (header.version !== VERSION) bad(`version ${header.version}, this reader knows ${VERSION}`);
  const columns: Record<string, ColumnValues> = {};
  for (const e of header.columns) {
    if (!(e.type in BYTES)) bad(`column "${e.name}" has unknown type "${e.type}"`);
    if (e.constant !== undefined) {
      const v = fromJsonNumber(e.constant);
      columns[e.name] = e.type === 'u8' ? new Uint8Array(e.length).fill(v) : new Float32Array(e.length).fill(v);
      continue;
    }
    const bytes = e.length * BYTES[e.type];
    if (e.offset === undefined || e.offset < 12 + L || e.offset + bytes > buf.length) bad(`column "${e.name}" (${bytes} bytes at ${e.offset}) lies outside the file (${buf.length} bytes)`);
    const at = e.offset!;
    if (e.type === 'u8') {
      columns[e.name] = buf.slice(at, at + bytes);
    } else if (e.type === 'f16') {
      const bits = new Uint16Array(e.length);
      for (let i = 0; i < e.length; i++) bits[i] = view.getUint16(at + 2 * i, true);
      columns[e.name] = decodeFloat16(bits);
    } else {
      const f = new Float32Array(e.length);
      for (let i = 0; i < e.length; i++) f[i] = view.getFloat32(at + 4 * i, true);
      columns[e.name] = f;
    }
  }
  return { meta: header.meta, columns, entries: header.columns };
}
