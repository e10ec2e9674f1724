// Packs the Power Query connector into dist/Ledgerfeed.mez: a flat ZIP, byte-for-byte the same from the same sources.
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join, resolve } from 'node:path';
import { ZipFile } from 'yazl';
import { ICON_SIZES, iconFileName } from './icons/draw-icons';
import { CONNECTOR_DIR, MEZ_PATH } from './paths';

export { CONNECTOR_DIR, MEZ_PATH } from './paths';

/** A file in the .mez: its name at the ZIP root and where its bytes come from. */
export interface MezEntry {
  name: string;
  source: string;
}

// A fixed local-time stamp, made at each build and written as a plain DOS timestamp (no UTC extra field), so the time zone cannot change the bytes.
function fixedModificationTime(): Date {
  return new Date(2024, 0, 1, 0, 0, 0);
}

/** The files of the .mez in their fixed order: the section document, its strings, the icons by size. */
export function mezEntries(connectorDir: string = CONNECTOR_DIR): MezEntry[] {
  return [
    { name: 'Ledgerfeed.pq', source: join(connectorDir, 'Ledgerfeed.pq') },
    { name: 'resources.resx', source: join(connectorDir, 'resources.resx') },
    ...ICON_SIZES.map((size) => ({ name: iconFileName(size), source: join(connectorDir, 'icons', iconFileName(size)) })),
  ];
}

/** Builds the .mez in memory from the connector sources. */
export async function buildMez(connectorDir: string = CONNECTOR_DIR): Promise<Buffer> {
  const zip = new ZipFile();
  const mtime = fixedModificationTime();
  for (const entry of mezEntries(connectorDir)) {
    const bytes = await readFile(entry.source);
    // Stored, not deflated: the PNGs are compressed already, and the bytes then do not depend on Node's zlib.
    zip.addBuffer(bytes, entry.name, { mtime, mode: 0o100644, compress: false, forceDosTimestamp: true });
  }
  zip.end();
  const chunks: Buffer[] = [];
  for await (const chunk of zip.outputStream) chunks.push(Buffer.from(chunk));
  return Buffer.concat(chunks);
}

/** Builds the .mez and writes it to `outFile` (dist/Ledgerfeed.mez by default); returns the path written. */
export async function writeMez(outFile: string = MEZ_PATH, connectorDir: string = CONNECTOR_DIR): Promise<string> {
  const mez = await buildMez(connectorDir);
  await mkdir(dirname(outFile), { recursive: true });
  await writeFile(outFile, mez);
  return resolve(outFile);
}

// `tsx connector/build-mez.ts [out.mez]`: npm run build:connector writes dist/Ledgerfeed.mez.
if (require.main === module) {
  writeMez(process.argv[2] ?? MEZ_PATH).then(
    (path) => console.log(`Wrote ${path}`),
    (error: unknown) => {
      console.error(error instanceof Error ? error.message : error);
      process.exitCode = 1;
    },
  );
}
