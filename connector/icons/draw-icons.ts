// Draws the connector's icon (ledger lines and a feed symbol on a green tile) at every size Power BI asks for.
// Run `npx tsx connector/icons/draw-icons.ts` to rewrite the committed PNGs after changing the drawing.
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';

/** Icon sizes in pixels, as declared in Ledgerfeed.pq (Icon16: 16–32, Icon32: 32–80). */
export const ICON_SIZES = [16, 20, 24, 32, 40, 48, 64, 80] as const;

export function iconFileName(size: number): string {
  return `Ledgerfeed${size}.png`;
}

/** RGBA pixels, row by row, 4 bytes a pixel. */
export interface IconBitmap {
  size: number;
  rgba: Buffer;
}

type Rgb = readonly [number, number, number];

const TILE: Rgb = [0x12, 0x5e, 0x4f];
const LEDGER: Rgb = [0xff, 0xff, 0xff];
const FEED: Rgb = [0xf5, 0xa6, 0x23];

/** A shape in unit coordinates (0–1, y downwards) and its colour; later shapes paint over earlier ones. */
interface Shape {
  colour: Rgb;
  contains(x: number, y: number): boolean;
}

function roundedSquare(inset: number, radius: number): Shape['contains'] {
  return (x, y) => {
    const lo = inset + radius;
    const hi = 1 - inset - radius;
    const dx = Math.max(lo - x, 0, x - hi);
    const dy = Math.max(lo - y, 0, y - hi);
    return x >= inset && x <= 1 - inset && y >= inset && y <= 1 - inset && dx * dx + dy * dy <= radius * radius;
  };
}

/** A horizontal bar with round ends, like a line of text in a ledger. */
function ledgerLine(y: number, from: number, to: number, halfHeight: number): Shape['contains'] {
  return (px, py) => {
    const cx = Math.min(Math.max(px, from), to);
    return (px - cx) ** 2 + (py - y) ** 2 <= halfHeight ** 2;
  };
}

/** The feed symbol: a dot and two quarter rings opening to the upper right. */
function feedSymbol(cx: number, cy: number): Shape['contains'] {
  const rings: Array<[number, number]> = [
    [0.12, 0.17],
    [0.22, 0.27],
  ];
  return (x, y) => {
    const dx = x - cx;
    const dy = y - cy;
    const r = Math.hypot(dx, dy);
    if (r <= 0.055) return true;
    return dx >= 0 && dy <= 0 && rings.some(([inner, outer]) => r >= inner && r <= outer);
  };
}

const SHAPES: Shape[] = [
  { colour: TILE, contains: roundedSquare(0.02, 0.2) },
  { colour: LEDGER, contains: ledgerLine(0.25, 0.22, 0.78, 0.05) },
  { colour: LEDGER, contains: ledgerLine(0.4, 0.22, 0.78, 0.05) },
  { colour: LEDGER, contains: ledgerLine(0.55, 0.22, 0.44, 0.05) },
  { colour: FEED, contains: feedSymbol(0.58, 0.82) },
];

/** Samples per pixel along each axis: enough for smooth edges at 16 px. */
const SUPERSAMPLING = 8;

/** Draws the icon at one size; pure and deterministic, so the committed PNGs can be checked against it. */
export function drawIcon(size: number): IconBitmap {
  const rgba = Buffer.alloc(size * size * 4);
  for (let row = 0; row < size; row++) {
    for (let column = 0; column < size; column++) {
      let red = 0;
      let green = 0;
      let blue = 0;
      let covered = 0;
      for (let sy = 0; sy < SUPERSAMPLING; sy++) {
        for (let sx = 0; sx < SUPERSAMPLING; sx++) {
          const x = (column + (sx + 0.5) / SUPERSAMPLING) / size;
          const y = (row + (sy + 0.5) / SUPERSAMPLING) / size;
          const shape = SHAPES.findLast((s) => s.contains(x, y));
          if (!shape) continue;
          red += shape.colour[0];
          green += shape.colour[1];
          blue += shape.colour[2];
          covered++;
        }
      }
      const offset = (row * size + column) * 4;
      // Colour is averaged over covered samples only (straight alpha), so edges do not darken.
      if (covered > 0) {
        rgba[offset] = Math.round(red / covered);
        rgba[offset + 1] = Math.round(green / covered);
        rgba[offset + 2] = Math.round(blue / covered);
        rgba[offset + 3] = Math.round((255 * covered) / SUPERSAMPLING ** 2);
      }
    }
  }
  return { size, rgba };
}

export function encodePng(icon: IconBitmap): Buffer {
  const png = new PNG({ width: icon.size, height: icon.size, colorType: 6 });
  icon.rgba.copy(png.data);
  return PNG.sync.write(png, { colorType: 6 });
}

if (require.main === module) {
  for (const size of ICON_SIZES) {
    writeFileSync(join(__dirname, iconFileName(size)), encodePng(drawIcon(size)));
  }
}
