// Sandbox start: the demo workspace (user demo, password demo, API key demo) connected to both simulators
// through the same code-grant flow a person goes through — sign in, "Connect …", the upstream's login
// form, the callback — over HTTP, so the sandbox exercises exactly what production does.
import type { Logger } from '../logger';
import type { Accounts } from '../store/accounts';
import type { Connections } from '../store/connections';
import type { SourceName } from '../tables/description';
import { ensureSandboxDemo, SANDBOX_DEMO } from '../auth/sandbox-accounts';
import { BrowserError, ScriptedBrowser, textOf } from './browser';

/** Upstream login the simulators accept. */
const UPSTREAM_LOGIN = { username: 'demo', password: 'demo', organisation: 'SANDBOX' };

export interface SandboxBootstrapDeps {
  accounts: Accounts;
  connections: Connections;
  logger: Logger;
  /** The running server's own base URL. */
  baseUrl: string;
  sources: readonly SourceName[];
}

/** Creates the demo accounts, then connects every source the demo workspace has no healthy connection to yet. */
export async function bootstrapSandbox(deps: SandboxBootstrapDeps): Promise<{ connected: SourceName[] }> {
  const { workspace } = await ensureSandboxDemo(deps.accounts, 'sandbox');
  const healthy = new Set(
    deps.connections
      .inWorkspace(workspace.id)
      .filter((c) => deps.connections.health(c).state !== 'needs_reauth')
      .map((c) => c.source),
  );
  const missing = deps.sources.filter((s) => !healthy.has(s));
  if (missing.length === 0) return { connected: [] };

  const browser = new ScriptedBrowser();
  const signIn = await browser.get(`${deps.baseUrl}/signin`);
  const afterSignIn = await browser.submit(signIn, { username: SANDBOX_DEMO.username, password: SANDBOX_DEMO.password }, '/signin');
  if (afterSignIn.status !== 200 || afterSignIn.url.endsWith('/signin')) throw new BrowserError(`signing in as ${SANDBOX_DEMO.username} failed: ${textOf(afterSignIn)}`);

  for (const source of missing) {
    const workspacePage = await browser.get(`${deps.baseUrl}/workspaces/${workspace.slug}`);
    const login = await browser.submit(workspacePage, {}, `/connect/${source}`);
    const back = await browser.submit(login, UPSTREAM_LOGIN);
    if (back.status !== 200 || !back.url.startsWith(`${deps.baseUrl}/workspaces/${workspace.slug}`)) {
      throw new BrowserError(`connecting ${source} failed (${back.status} at ${back.url}): ${textOf(back)}`);
    }
    deps.logger.info({ source, workspace: workspace.slug }, 'sandbox workspace connected through the code-grant flow');
  }
  return { connected: missing };
}
