// What the workspace page hands a Power BI or Excel user besides the feed addresses: the connector file
// (dist/Ledgerfeed.mez, built by `npm run build`) and the how-to guide (docs/power-bi.md, rendered).
import { readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import MarkdownIt from 'markdown-it';
import { MEZ_PATH, REPOSITORY_ROOT } from '../../../connector/paths';

/** Where the signed-in user downloads the connector. */
export const CONNECTOR_DOWNLOAD_PATH = '/downloads/Ledgerfeed.mez';
/** Where the guide to Power BI and Excel is shown. */
export const GUIDE_PAGE_PATH = '/docs/power-bi';

/** The files behind those pages; tests point them elsewhere. */
export interface ClientFiles {
  connector: string;
  guide: string;
}

export const INSTALLED_CLIENT_FILES: ClientFiles = { connector: MEZ_PATH, guide: join(REPOSITORY_ROOT, 'docs', 'power-bi.md') };

/** A .mez is a plain ZIP; the name is fixed so Power BI finds `Ledgerfeed.mez` in its Custom Connectors folder. */
export const CONNECTOR_CONTENT_TYPE = 'application/zip';
export const CONNECTOR_FILE_NAME = 'Ledgerfeed.mez';

/** Shown instead of the download while the server's installation has no built connector. */
export const CONNECTOR_NOT_BUILT =
  'The Power BI connector (Ledgerfeed.mez) has not been built on this server yet. Whoever runs Ledgerfeed builds it by running npm run build (it lands in dist/Ledgerfeed.mez); the download works from then on. The OData feed addresses on the workspace page work without it.';

/** Whether a file is there to send; any other problem than its absence is the caller's error. */
export async function fileExists(path: string): Promise<boolean> {
  try {
    return (await stat(path)).isFile();
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code === 'ENOENT') return false;
    throw err;
  }
}

/** GitHub's heading anchors (lower case, punctuation dropped, spaces to hyphens), so the guide's own #links work. */
export function headingAnchor(text: string): string {
  return text
    .toLowerCase()
    .replace(/[^\p{L}\p{N}\s_-]/gu, '')
    .trim()
    .replace(/\s/g, '-');
}

// Raw HTML in the markdown stays text (html: false), so the rendered guide can only hold markup markdown-it wrote.
const markdown = new MarkdownIt({ html: false, linkify: false, typographer: false });
markdown.core.ruler.push('heading_anchors', (state) => {
  state.tokens.forEach((token, i) => {
    if (token.type === 'heading_open') token.attrSet('id', headingAnchor(state.tokens[i + 1]?.content ?? ''));
  });
});

/** The guide as HTML, or null when the installation has no docs/ folder. */
export async function renderGuide(path: string): Promise<string | null> {
  if (!(await fileExists(path))) return null;
  return markdown.render(await readFile(path, 'utf8'));
}
