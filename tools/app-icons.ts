/**
 * The two Teams app icons: how they are drawn, and the rules any replacement must meet.
 *
 * Teams requires (learn.microsoft.com/microsoft-365/extensibility/schema/root-icons, and the schema's own
 * descriptions): `color` a full-colour 192×192 PNG; `outline` a 32×32 PNG, white on a transparent background.
 * The drawing is a laptop with an upload arrow on its screen, laid out on a 32-unit grid so the outline icon
 * lands on whole pixels, scaled ×3.5 into the middle of the colour icon.
 *
 * Regenerate appPackage/color.png and appPackage/outline.png: `npm run build && node dist/tools/app-icons.js`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { decodePng, encodePng, PngError, type RgbaImage } from './png';

export const ICON_SIZES = { color: 192, outline: 32 } as const;
export type IconKind = keyof typeof ICON_SIZES;

/** The colour icon's background; also the manifest's accentColor. */
export const ACCENT_COLOR = '#0F6CBD';

type Point = [number, number];

function insideRoundedRect(x: number, y: number, left: number, top: number, right: number, bottom: number, radius: number): boolean {
  if (x < left || x > right || y < top || y > bottom) return false;
  const dx = Math.max(left + radius - x, 0, x - (right - radius));
  const dy = Math.max(top + radius - y, 0, y - (bottom - radius));
  return dx * dx + dy * dy <= radius * radius;
}

function insideTriangle(x: number, y: number, [a, b, c]: [Point, Point, Point]): boolean {
  const side = (p: Point, q: Point): number => (q[0] - p[0]) * (y - p[1]) - (q[1] - p[1]) * (x - p[0]);
  const s1 = side(a, b);
  const s2 = side(b, c);
  const s3 = side(c, a);
  return (s1 >= 0 && s2 >= 0 && s3 >= 0) || (s1 <= 0 && s2 <= 0 && s3 <= 0);
}

/** The symbol on the 32-unit grid: a laptop (screen frame and base) with an upward arrow on the screen. */
function inSymbol(x: number, y: number): boolean {
  const screenFrame = insideRoundedRect(x, y, 4, 5, 28, 21, 2) && !insideRoundedRect(x, y, 6, 7, 26, 19, 0.5);
  const base = insideRoundedRect(x, y, 2, 23, 30, 26, 1);
  const shaft = x >= 15 && x <= 17 && y >= 12 && y <= 17;
  const head = insideTriangle(x, y, [[16, 8.5], [11.5, 13], [20.5, 13]]);
  return screenFrame || base || shaft || head;
}

/** Fraction of a pixel covered by the symbol (4×4 supersampling), for a symbol scaled by `scale` at `offset`. */
function coverage(px: number, py: number, scale: number, offset: number): number {
  const n = 4;
  let hits = 0;
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      const x = (px + (i + 0.5) / n - offset) / scale;
      const y = (py + (j + 0.5) / n - offset) / scale;
      if (inSymbol(x, y)) hits++;
    }
  }
  return hits / (n * n);
}

function hexToRgb(hex: string): [number, number, number] {
  const v = parseInt(hex.slice(1), 16);
  return [(v >> 16) & 0xff, (v >> 8) & 0xff, v & 0xff];
}

/** 192×192: the white symbol on an opaque accent-colour square. */
export function drawColorIcon(): RgbaImage {
  const size = ICON_SIZES.color;
  const scale = 3.5;
  const offset = (size - 32 * scale) / 2;
  const [br, bg, bb] = hexToRgb(ACCENT_COLOR);
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const c = coverage(x, y, scale, offset);
      const o = (y * size + x) * 4;
      rgba[o] = Math.round(br + (255 - br) * c);
      rgba[o + 1] = Math.round(bg + (255 - bg) * c);
      rgba[o + 2] = Math.round(bb + (255 - bb) * c);
      rgba[o + 3] = 255;
    }
  }
  return { width: size, height: size, rgba };
}

/** 32×32: the symbol in white, edges anti-aliased through alpha only, everything else fully transparent. */
export function drawOutlineIcon(): RgbaImage {
  const size = ICON_SIZES.outline;
  const rgba = new Uint8Array(size * size * 4);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const o = (y * size + x) * 4;
      // Transparent pixels are white too, so no checker that ignores alpha can see a colour.
      rgba[o] = rgba[o + 1] = rgba[o + 2] = 255;
      rgba[o + 3] = Math.round(255 * coverage(x, y, 1, 0));
    }
  }
  return { width: size, height: size, rgba };
}

/**
 * What is wrong with an icon file, in sentences that name the file; empty when it meets Teams' rules.
 * Outline: every pixel is white (any opacity, for anti-aliased edges) or fully transparent; some of the
 * background is transparent and some of the symbol is visible.
 */
export function iconProblems(kind: IconKind, fileLabel: string, bytes: Uint8Array): string[] {
  let image: RgbaImage;
  try {
    image = decodePng(bytes);
  } catch (err) {
    if (err instanceof PngError) return [`${fileLabel} (${kind} icon) is not a usable PNG: ${err.message}`];
    throw err;
  }
  const expected = ICON_SIZES[kind];
  if (image.width !== expected || image.height !== expected) {
    return [`${fileLabel} (${kind} icon) is ${image.width}×${image.height}; Teams requires ${expected}×${expected}`];
  }
  if (kind === 'color') return [];

  const { rgba } = image;
  let transparent = 0;
  let visible = 0;
  const offenders: string[] = [];
  let offenderCount = 0;
  for (let i = 0; i < rgba.length; i += 4) {
    const [r, g, b, a] = [rgba[i], rgba[i + 1], rgba[i + 2], rgba[i + 3]];
    if (a === 0) {
      transparent++;
      continue;
    }
    visible++;
    if (r !== 255 || g !== 255 || b !== 255) {
      offenderCount++;
      if (offenders.length < 3) {
        const p = i / 4;
        offenders.push(`(${p % image.width}, ${Math.floor(p / image.width)}) is rgba(${r}, ${g}, ${b}, ${a})`);
      }
    }
  }
  const problems: string[] = [];
  if (offenderCount > 0) {
    problems.push(
      `${fileLabel} (outline icon) must be white on a transparent background; ${offenderCount} pixel(s) are neither white ` +
        `nor fully transparent, e.g. ${offenders.join('; ')}`,
    );
  }
  if (transparent === 0) problems.push(`${fileLabel} (outline icon) has no transparent pixels: its background must be transparent`);
  if (visible === 0) problems.push(`${fileLabel} (outline icon) is fully transparent: it shows nothing`);
  return problems;
}

/** Writes color.png and outline.png into `dir`. */
export function writeIcons(dir: string): { color: string; outline: string } {
  const color = path.join(dir, 'color.png');
  const outline = path.join(dir, 'outline.png');
  fs.writeFileSync(color, encodePng(drawColorIcon()));
  fs.writeFileSync(outline, encodePng(drawOutlineIcon()));
  return { color, outline };
}

if (require.main === module) {
  let dir = __dirname;
  while (!fs.existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  const written = writeIcons(path.join(dir, 'appPackage'));
  console.log(`Wrote ${path.relative(process.cwd(), written.color)} and ${path.relative(process.cwd(), written.outline)}`);
}
