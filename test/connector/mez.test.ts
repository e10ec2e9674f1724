// The built Ledgerfeed.mez: a flat ZIP with one section document, its strings and real PNG icons, the same bytes every build.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { PNG } from 'pngjs';
import * as yauzl from 'yauzl';
import { buildMez, CONNECTOR_DIR, writeMez } from '../../connector/build-mez';
import { drawIcon, ICON_SIZES, iconFileName } from '../../connector/icons/draw-icons';

/** Entry names in ZIP order and their contents, read with yauzl (CRC-checked). */
function readZip(zip: Buffer): Promise<Array<{ name: string; bytes: Buffer }>> {
  return new Promise((resolve, reject) => {
    yauzl.fromBuffer(zip, { lazyEntries: true, validateEntrySizes: true }, (openError, archive) => {
      if (openError || !archive) return reject(openError ?? new Error('not a ZIP'));
      const entries: Array<{ name: string; bytes: Buffer }> = [];
      archive.on('error', reject);
      archive.on('end', () => resolve(entries));
      archive.on('entry', (entry: yauzl.Entry) => {
        archive.openReadStream(entry, (streamError, stream) => {
          if (streamError || !stream) return reject(streamError ?? new Error(`cannot read ${entry.fileName}`));
          const chunks: Buffer[] = [];
          stream.on('data', (chunk: Buffer) => chunks.push(chunk));
          stream.on('error', reject);
          stream.on('end', () => {
            entries.push({ name: entry.fileName, bytes: Buffer.concat(chunks) });
            archive.readEntry();
          });
        });
      });
      archive.readEntry();
    });
  });
}

/** Width and height from a PNG's signature and IHDR chunk, or undefined when the bytes are not a PNG. */
function pngHeaderSize(bytes: Buffer): { width: number; height: number } | undefined {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  if (!bytes.subarray(0, 8).equals(signature)) return undefined;
  if (bytes.readUInt32BE(8) !== 13 || bytes.toString('latin1', 12, 16) !== 'IHDR') return undefined;
  return { width: bytes.readUInt32BE(16), height: bytes.readUInt32BE(20) };
}

const execFileAsync = promisify(execFile);

let workDir: string;
let mezPath: string;
let mez: Buffer;
let entries: Array<{ name: string; bytes: Buffer }>;

beforeAll(async () => {
  workDir = await mkdtemp(join(tmpdir(), 'ledgerfeed-mez-'));
  mezPath = await writeMez(join(workDir, 'dist', 'Ledgerfeed.mez'));
  mez = await readFile(mezPath);
  entries = await readZip(mez);
});

afterAll(async () => {
  await rm(workDir, { recursive: true, force: true });
});

describe('Ledgerfeed.mez', () => {
  it('holds exactly the section document, resources.resx and the icons, at the ZIP root', () => {
    const names = entries.map((e) => e.name);
    expect(names).toEqual(['Ledgerfeed.pq', 'resources.resx', ...ICON_SIZES.map(iconFileName)]);
    expect(names.filter((name) => name.endsWith('.pq'))).toHaveLength(1);
    expect(names.some((name) => name.includes('/') || name.includes('\\'))).toBe(false);
  });

  it('holds the connector sources unchanged', async () => {
    const byName = new Map(entries.map((e) => [e.name, e.bytes]));
    expect(byName.get('Ledgerfeed.pq')?.equals(await readFile(join(CONNECTOR_DIR, 'Ledgerfeed.pq')))).toBe(true);
    expect(byName.get('resources.resx')?.equals(await readFile(join(CONNECTOR_DIR, 'resources.resx')))).toBe(true);
  });

  it('holds valid PNG icons of the declared sizes', () => {
    for (const size of ICON_SIZES) {
      const bytes = entries.find((e) => e.name === iconFileName(size))?.bytes;
      expect(bytes && pngHeaderSize(bytes)).toEqual({ width: size, height: size });
      const decoded = PNG.sync.read(bytes!);
      expect([decoded.width, decoded.height]).toEqual([size, size]);
    }
  });

  it('holds the icons the drawing script draws', () => {
    for (const size of ICON_SIZES) {
      const decoded = PNG.sync.read(entries.find((e) => e.name === iconFileName(size))!.bytes);
      expect({ size, same: decoded.data.equals(drawIcon(size).rgba) }).toEqual({ size, same: true });
    }
  });

  it('comes out byte for byte the same when built again, also by the build command in another time zone', async () => {
    expect((await buildMez()).equals(mez)).toBe(true);
    const again = join(workDir, 'again', 'Ledgerfeed.mez');
    await execFileAsync(process.execPath, [require.resolve('tsx/cli'), join(CONNECTOR_DIR, 'build-mez.ts'), again], {
      env: { ...process.env, TZ: 'Pacific/Chatham' },
    });
    expect((await readFile(again)).equals(mez)).toBe(true);
  });
});
