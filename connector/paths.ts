// Where the connector's sources are and where its build lands: the server offers dist/Ledgerfeed.mez for download,
// so this module stays free of build-time dependencies (yazl, pngjs) that a production install leaves out.
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';

/** The repository (installation) root: found from this file, whether it runs as TypeScript (connector/) or compiled (dist/connector/). */
function repositoryRoot(): string {
  let directory = __dirname;
  while (!existsSync(join(directory, 'package.json'))) {
    const parent = dirname(directory);
    if (parent === directory) throw new Error(`No package.json above ${__dirname}`);
    directory = parent;
  }
  return directory;
}

export const REPOSITORY_ROOT = repositoryRoot();
export const CONNECTOR_DIR = join(REPOSITORY_ROOT, 'connector');
/** What `npm run build` (build:connector) writes and the workspace page offers for download. */
export const MEZ_PATH = join(REPOSITORY_ROOT, 'dist', 'Ledgerfeed.mez');
