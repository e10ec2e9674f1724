// The sandbox's fixed sign-in: workspace `demo`, user `demo` (password `demo`, owner) and API key `demo`.
// Idempotent, so every sandbox start can call it; refused outside the sandbox.
import type { Mode } from '../config';
import { ConfigurationError } from '../errors';
import type { Accounts, User, Workspace } from '../store/accounts';

export const SANDBOX_DEMO = { workspace: 'demo', workspaceName: 'Demo books', username: 'demo', password: 'demo', apiKey: 'demo' } as const;

export async function ensureSandboxDemo(accounts: Accounts, mode: Mode): Promise<{ user: User; workspace: Workspace }> {
  if (mode !== 'sandbox') throw new ConfigurationError('The demo user and its fixed API key exist only in the sandbox.');
  const user =
    accounts.userByUsername(SANDBOX_DEMO.username) ??
    (await accounts.createUser({ username: SANDBOX_DEMO.username, password: SANDBOX_DEMO.password, displayName: 'Demo user' }));
  const workspace =
    accounts.workspaceBySlug(SANDBOX_DEMO.workspace) ?? accounts.createWorkspace({ slug: SANDBOX_DEMO.workspace, name: SANDBOX_DEMO.workspaceName, ownerId: user.id });
  accounts.ensureFixedApiKey(user.id, 'Sandbox demo key', SANDBOX_DEMO.apiKey);
  return { user, workspace };
}
