/**
 * A small PNG codec (node:zlib only): enough to draw the app icons and to check the icons a person drops into
 * appPackage/, which may come from any image editor.
 *
 *   encodePng(image)  RGBA, 8 bits per channel → PNG bytes
 *   decodePng(bytes)  any non-interlaced PNG (grey, RGB, palette, with or without alpha, 1–16 bit) → RGBA 8-bit
 *
 * Format: https://www.w3.org/TR/png-3/ (chunks, CRC-32, filters 0–4, tRNS transparency).
 */
import zlib from 'node:zlib';

/** Pixels row by row, 4 bytes each (R, G, B, A; A = 0 is fully transparent). */
export interface RgbaImage {
  width: number;
  height: number;
  rgba: Uint8Array;
}

export class PngError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'PngError';
  }
}

const SIGNATURE = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);

const CRC_TABLE = (() => {
  const table = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    table[n] = c >>> 0;
  }
  return table;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (const b of bytes) c = CRC_TABLE[(c ^ b) & 0xff] ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const typeAndData = Buffer.concat([Buffer.from(type, 'latin1'), data]);
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  typeAndData.copy(out, 4);
  out.writeUInt32BE(crc32(typeAndData), 8 + data.length);
  return out;
}

/** PNG bytes for an RGBA image: colour type 6, 8-bit, filter 0 on every row (the icons are tiny). */
export function encodePng(image: RgbaImage): Buffer {
  const { width, height, rgba } = image;
  if (!Number.isInteger(width) || !Number.isInteger(height) || width < 1 || height < 1) {
    throw new PngError(`invalid size ${width}×${height}`);
  }
  if (rgba.length !== width * height * 4) throw new PngError(`expected ${width * height * 4} RGBA bytes, got ${rgba.length}`);
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = 6; // colour type: truecolour with alpha
  // [10] compression 0, [11] filter method 0, [12] no interlace
  const stride = width * 4;
  const raw = Buffer.alloc((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    Buffer.from(rgba.buffer, rgba.byteOffset + y * stride, stride).copy(raw, y * (stride + 1) + 1);
  }
  return Buffer.concat([
    SIGNATURE,
    chunk('IHDR', header),
    chunk('IDAT', zlib.deflateSync(raw, { level: 9 })),
    chunk('IEND', new Uint8Array(0)),
  ]);
}

interface Header {
  width: number;
  height: number;
  bitDepth: number;
  colourType: number;
  interlace: number;
}

const CHANNELS: Record<number, number> = { 0: 1, 2: 3, 3: 1, 4: 2, 6: 4 };
const ALLOWED_DEPTHS: Record<number, number[]> = { 0: [1, 2, 4, 8, 16], 2: [8, 16], 3: [1, 2, 4, 8], 4: [8, 16], 6: [8, 16] };

/** Just the size, from the IHDR chunk (no decompression). */
export function pngSize(bytes: Uint8Array): { width: number; height: number } {
  const { width, height } = readChunks(bytes).header;
  return { width, height };
}

/** Decodes a non-interlaced PNG to RGBA 8-bit; 16-bit samples keep their high byte. */
export function decodePng(bytes: Uint8Array): RgbaImage {
  const { header, idat, palette, transparency } = readChunks(bytes);
  const { width, height, bitDepth, colourType, interlace } = header;
  if (interlace !== 0) throw new PngError('interlaced (Adam7) PNGs are not supported here: save the image without interlacing');
  if (colourType === 3 && !palette) throw new PngError('palette image without a PLTE chunk');

  let raw: Buffer;
  try {
    raw = zlib.inflateSync(idat);
  } catch (err) {
    throw new PngError(`image data does not decompress: ${(err as Error).message}`);
  }
  const channels = CHANNELS[colourType];
  const bitsPerPixel = channels * bitDepth;
  const stride = Math.ceil((width * bitsPerPixel) / 8);
  const bpp = Math.max(1, bitsPerPixel / 8); // the filter's "bytes per complete pixel", at least 1
  if (raw.length < (stride + 1) * height) throw new PngError('image data is shorter than the header says');

  const rows = unfilter(raw, stride, height, bpp);
  const rgba = new Uint8Array(width * height * 4);
  const maxSample = (1 << bitDepth) - 1;
  const sample = (row: Uint8Array, index: number): number => {
    if (bitDepth === 8) return row[index];
    if (bitDepth === 16) return (row[index * 2] << 8) | row[index * 2 + 1];
    const bit = index * bitDepth;
    return (row[bit >> 3] >> (8 - bitDepth - (bit & 7))) & maxSample;
  };
  const to8 = (v: number): number => (bitDepth === 16 ? v >> 8 : Math.round((v * 255) / maxSample));

  for (let y = 0; y < height; y++) {
    const row = rows[y];
    for (let x = 0; x < width; x++) {
      const o = (y * width + x) * 4;
      const s = (c: number): number => sample(row, x * channels + c);
      let r: number, g: number, b: number, a = 255;
      switch (colourType) {
        case 0: {
          const v = s(0);
          r = g = b = to8(v);
          if (transparency?.grey === v) a = 0;
          break;
        }
        case 2: {
          const [rv, gv, bv] = [s(0), s(1), s(2)];
          [r, g, b] = [to8(rv), to8(gv), to8(bv)];
          const t = transparency?.rgb;
          if (t && t[0] === rv && t[1] === gv && t[2] === bv) a = 0;
          break;
        }
        case 3: {
          const i = s(0);
          if (i * 3 + 2 >= palette!.length) throw new PngError(`pixel (${x}, ${y}) uses palette entry ${i}, which does not exist`);
          [r, g, b] = [palette![i * 3], palette![i * 3 + 1], palette![i * 3 + 2]];
          a = transparency?.alphas?.[i] ?? 255;
          break;
        }
        case 4:
          r = g = b = to8(s(0));
          a = to8(s(1));
          break;
        default:
          [r, g, b, a] = [to8(s(0)), to8(s(1)), to8(s(2)), to8(s(3))];
      }
      rgba[o] = r;
      rgba[o + 1] = g;
      rgba[o + 2] = b;
      rgba[o + 3] = a;
    }
  }
  return { width, height, rgba };
}

function readChunks(bytes: Uint8Array): {
  header: Header;
  idat: Buffer;
  palette?: Uint8Array;
  transparency?: { grey?: number; rgb?: number[]; alphas?: Uint8Array };
} {
  const buf = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.length);
  if (buf.length < 8 || !buf.subarray(0, 8).equals(SIGNATURE)) throw new PngError('not a PNG file (bad signature)');
  let header: Header | undefined;
  let palette: Uint8Array | undefined;
  let trns: Buffer | undefined;
  const idat: Buffer[] = [];
  let offset = 8;
  let ended = false;
  while (offset < buf.length && !ended) {
    if (offset + 12 > buf.length) throw new PngError('truncated chunk');
    const length = buf.readUInt32BE(offset);
    const type = buf.toString('latin1', offset + 4, offset + 8);
    if (offset + 12 + length > buf.length) throw new PngError(`truncated ${type} chunk`);
    const data = buf.subarray(offset + 8, offset + 8 + length);
    if (crc32(buf.subarray(offset + 4, offset + 8 + length)) !== buf.readUInt32BE(offset + 8 + length)) {
      throw new PngError(`${type} chunk has a bad CRC (the file is corrupt)`);
    }
    if (!header && type !== 'IHDR') throw new PngError('the first chunk is not IHDR');
    switch (type) {
      case 'IHDR':
        if (length !== 13) throw new PngError('IHDR chunk has the wrong length');
        header = {
          width: data.readUInt32BE(0),
          height: data.readUInt32BE(4),
          bitDepth: data[8],
          colourType: data[9],
          interlace: data[12],
        };
        if (!(header.colourType in CHANNELS) || !ALLOWED_DEPTHS[header.colourType].includes(header.bitDepth)) {
          throw new PngError(`invalid colour type ${header.colourType} / bit depth ${header.bitDepth}`);
        }
        if (header.width < 1 || header.height < 1) throw new PngError('image has no pixels');
        break;
      case 'PLTE':
        palette = data;
        break;
      case 'tRNS':
        trns = data;
        break;
      case 'IDAT':
        idat.push(data);
        break;
      case 'IEND':
        ended = true;
        break;
      default: // ancillary chunks (gAMA, sRGB, pHYs, text…) do not affect the checks
    }
    offset += 12 + length;
  }
  if (!header) throw new PngError('no IHDR chunk');
  if (!ended) throw new PngError('no IEND chunk (the file is truncated)');
  if (idat.length === 0) throw new PngError('no image data (IDAT)');

  let transparency: { grey?: number; rgb?: number[]; alphas?: Uint8Array } | undefined;
  if (trns) {
    if (header.colourType === 0 && trns.length >= 2) transparency = { grey: trns.readUInt16BE(0) };
    else if (header.colourType === 2 && trns.length >= 6) transparency = { rgb: [trns.readUInt16BE(0), trns.readUInt16BE(2), trns.readUInt16BE(4)] };
    else if (header.colourType === 3) transparency = { alphas: trns };
  }
  return { header, idat: Buffer.concat(idat), palette, transparency };
}

function unfilter(raw: Buffer, stride: number, height: number, bpp: number): Uint8Array[] {
  const rows: Uint8Array[] = [];
  let previous = new Uint8Array(stride);
  for (let y = 0; y < height; y++) {
    const start = y * (stride + 1);
    const filter = raw[start];
    const line = Uint8Array.from(raw.subarray(start + 1, start + 1 + stride));
    for (let i = 0; i < stride; i++) {
      const left = i >= bpp ? line[i - bpp] : 0;
      const up = previous[i];
      const upLeft = i >= bpp ? previous[i - bpp] : 0;
      switch (filter) {
        case 0:
          break;
        case 1:
          line[i] = (line[i] + left) & 0xff;
          break;
        case 2:
          line[i] = (line[i] + up) & 0xff;
          break;
        case 3:
          line[i] = (line[i] + ((left + up) >> 1)) & 0xff;
          break;
        case 4:
          line[i] = (line[i] + paeth(left, up, upLeft)) & 0xff;
          break;
        default:
          throw new PngError(`row ${y} has unknown filter type ${filter}`);
      }
    }
    rows.push(line);
    previous = line;
  }
  return rows;
}

function paeth(a: number, b: number, c: number): number {
  const p = a + b - c;
  const pa = Math.abs(p - a);
  const pb = Math.abs(p - b);
  const pc = Math.abs(p - c);
  if (pa <= pb && pa <= pc) return a;
  return pb <= pc ? b : c;
}
