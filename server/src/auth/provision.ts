// Creating the first people of a production server (there is no public sign-up): a user with a
// password, optionally owning a new workspace. Called by `ledgerfeed add-user`.
import { systemClock } from '../clock';
import type { Config } from '../config';
import { Accounts, type User, type Workspace } from '../store/accounts';
import { openDatabase } from '../store/database';

export interface ProvisionInput {
  username: string;
  password: string;
  displayName?: string;
  workspace?: { slug: string; name: string };
}

export async function provisionUser(accounts: Accounts, input: ProvisionInput): Promise<{ user: User; workspace: Workspace | null }> {
  const user = await accounts.createUser({ username: input.username, password: input.password, displayName: input.displayName });
  const workspace = input.workspace ? accounts.createWorkspace({ ...input.workspace, ownerId: user.id }) : null;
  return { user, workspace };
}

/** Opens the configured store, provisions, closes it again. */
export async function provisionUserInStore(config: Config, input: ProvisionInput): Promise<{ user: User; workspace: Workspace | null }> {
  const db = openDatabase(config.dataDir);
  try {
    return await provisionUser(new Accounts(db, systemClock, { mode: config.mode, grants: config.grants }), input);
  } finally {
    db.close();
  }
}

/** The first line of standard input (a password piped in), without its line ending. */
export async function readFirstLine(stream: NodeJS.ReadableStream = process.stdin): Promise<string> {
  let text = '';
  for await (const chunk of stream) {
    text += chunk.toString();
    if (text.includes('\n')) break;
  }
  return text.split(/\r?\n/)[0];
}
