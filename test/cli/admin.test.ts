// The administration commands on a production data directory (LEDGERFEED_SECRET_KEY set): people, keys,
// workspaces, delegation with end dates, the audit log, and how the command line reports mistakes.
import crypto from 'node:crypto';
import Database from 'better-sqlite3';
import fs from 'node:fs';
import { DAY } from '../../server/src/clock';
import { Accounts } from '../../server/src/store/accounts';
import { openDatabase } from '../../server/src/store/database';
import { systemClock } from '../../server/src/clock';
import { loadOrCreateSandboxKey } from '../../server/src/store/vault';
import { tempDir } from '../ops/harness';
import { cli, json } from './harness';

const env = { LEDGERFEED_DATA_DIR: tempDir('admin'), LEDGERFEED_SECRET_KEY: crypto.randomBytes(32).toString('base64'), LEDGERFEED_GRANT_MAX_DAYS: '120' };
const PASSWORD = 'correct horse battery\n';

afterAll(() => fs.rmSync(env.LEDGERFEED_DATA_DIR, { recursive: true, force: true }));

interface UsersJson {
  users: Array<{ username: string; activeKeys: number; workspaces: Array<{ slug: string; role: string; accessUntil: string | null }> }>;
}
interface KeysJson {
  keys: Array<{ id: number; username: string; prefix: string; revokedAt: string | null }>;
}
interface MembersJson {
  members: Array<{ username: string; role: string; grantedBy: string | null; accessUntil: string | null }>;
}
interface AuditJson {
  entries: Array<{ action: string; workspace: string | null; user: string | null; detail: Record<string, unknown> }>;
}

describe('people and workspaces', () => {
  it('creates the first user with a workspace, the password piped in', async () => {
    const created = await cli(['users', 'add', 'alice', '--workspace', 'acme', '--workspace-name', 'Acme Holding', '--password-stdin'], env, PASSWORD);
    expect(created).toMatchObject({ code: 0, stdout: 'Created user alice owning workspace acme.\n' });
    const { users } = json<UsersJson>(await cli(['users', 'list', '--json'], env));
    expect(users).toEqual([expect.objectContaining({ username: 'alice', workspaces: [{ slug: 'acme', role: 'owner', accessUntil: null }] })]);
  });

  it('refuses a production password shorter than ten characters, in one line', async () => {
    const result = await cli(['users', 'add', 'bob', '--password-stdin'], env, 'short\n');
    expect(result.code).toBe(1);
    expect(result.stderr).toBe('ledgerfeed: A password is at least 10 characters.\n');
  });

  it('creates a user who only uses API keys, and lists workspaces with owners and members', async () => {
    expect((await cli(['users', 'add', 'bob', '--no-password'], env)).stdout).toMatch(/Created user bob \(no password: API keys only\)/);
    expect((await cli(['workspaces', 'add', 'bobs-books', '--owner', 'bob', '--name', 'Bob & Co'], env)).code).toBe(0);
    const listed = await cli(['workspaces', 'list'], env);
    expect(listed.stdout.split('\n')[0]).toMatch(/^WORKSPACE\s+NAME\s+OWNERS\s+MEMBERS\s+CONNECTIONS\s+ADMINISTRATIONS$/);
    expect(listed.stdout).toMatch(/acme\s+Acme Holding\s+alice\s+0\s+0\s+0 of 0 selected/);
    expect(listed.stdout).toMatch(/bobs-books\s+Bob & Co\s+bob/);
  });

  it('says plainly when a workspace address is taken, and leaves no user behind', async () => {
    const result = await cli(['users', 'add', 'carol', '--workspace', 'acme', '--password-stdin'], env, PASSWORD);
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ledgerfeed: The workspace address acme is taken or invalid/);
    expect(json<UsersJson>(await cli(['users', 'list', '--json'], env)).users.map((u) => u.username)).not.toContain('carol');
  });
});

describe('API keys', () => {
  it('prints a new key once, alone on standard output, and lists only its prefix afterwards', async () => {
    const created = await cli(['keys', 'create', 'alice', '--name', 'Power BI gateway'], env);
    expect(created.code).toBe(0);
    const key = created.stdout.trim();
    expect(created.stdout).toBe(`${key}\n`);
    expect(key).toMatch(/^lf_[A-Za-z0-9]{43}$/);
    expect(created.stderr).toMatch(/shown only this once/);
    const listed = await cli(['keys', 'list', 'alice'], env);
    expect(listed.stdout).toContain(`${key.slice(0, 10)}…`);
    expect(listed.stdout).not.toContain(key);
    expect(listed.stdout).toMatch(/Power BI gateway.*active/);
  });

  it('revokes a key by its id, and refuses one that is not the user’s', async () => {
    const id = json<{ id: number }>(await cli(['keys', 'create', 'alice', '--json'], env)).id;
    expect((await cli(['keys', 'revoke', 'bob', String(id)], env)).stderr).toBe(`ledgerfeed: bob has no active key ${id}.\n`);
    expect((await cli(['keys', 'revoke', 'alice', String(id)], env)).stdout).toBe(`Revoked key ${id} of alice.\n`);
    const keys = json<KeysJson>(await cli(['keys', 'list', '--json'], env)).keys;
    expect(keys.find((k) => k.id === id)?.revokedAt).not.toBeNull();
  });
});

describe('delegation', () => {
  it('grants access for LEDGERFEED_GRANT_DEFAULT_DAYS by default, granted by the only owner', async () => {
    const before = Date.now();
    const granted = await cli(['grant', 'acme', 'bob'], env);
    expect(granted.stdout).toMatch(/^bob may use acme until \d{4}-\d\d-\d\d \d\d:\d\d UTC \(granted by alice\)\.\n$/);
    const { members } = json<MembersJson>(await cli(['workspaces', 'members', 'acme', '--json'], env));
    const bob = members.find((m) => m.username === 'bob');
    expect(bob).toMatchObject({ role: 'member', grantedBy: 'alice' });
    const until = Date.parse(bob!.accessUntil!);
    expect(until).toBeGreaterThanOrEqual(before + 90 * DAY);
    expect(until).toBeLessThan(Date.now() + 90 * DAY + 1000);
  });

  it('grants through a given date and refuses more than LEDGERFEED_GRANT_MAX_DAYS', async () => {
    const inTenDays = new Date(Date.now() + 10 * DAY).toISOString().slice(0, 10);
    expect((await cli(['grant', 'acme', 'bob', '--until', inTenDays], env)).code).toBe(0);
    const bob = json<MembersJson>(await cli(['workspaces', 'members', 'acme', '--json'], env)).members.find((m) => m.username === 'bob');
    expect(bob?.accessUntil).toBe(new Date(Date.parse(inTenDays) + DAY).toISOString());
    const tooLong = await cli(['grant', 'acme', 'bob', '--days', '121'], env);
    expect(tooLong).toMatchObject({ code: 1, stderr: 'ledgerfeed: Access can be granted for at most 120 days.\n' });
  });

  it('lets only an owner of the workspace grant access', async () => {
    const notOwner = await cli(['grant', 'acme', 'bob', '--by', 'bob'], env);
    expect(notOwner.stderr).toBe('ledgerfeed: bob is not an owner of acme; owners manage its members.\n');
  });

  it('revokes access now, and says so when there is none to revoke', async () => {
    expect((await cli(['revoke', 'acme', 'bob'], env)).stdout).toBe('bob no longer has access to acme.\n');
    expect((await cli(['revoke', 'acme', 'bob'], env)).stderr).toBe('ledgerfeed: bob has no access to acme to revoke.\n');
    const { users } = json<UsersJson>(await cli(['users', 'list', '--json'], env));
    expect(users.find((u) => u.username === 'bob')?.workspaces.map((w) => w.slug)).toEqual(['bobs-books']);
  });

  it('keeps the only owner of a workspace from being removed', async () => {
    const result = await cli(['users', 'remove', 'bob'], env);
    expect(result).toMatchObject({ code: 1, stderr: 'ledgerfeed: bob is the only owner of bobs-books; make someone else an owner first.\n' });
  });
});

describe('the audit log', () => {
  it('lists grants, revocations and key creation without any secret', async () => {
    const key = (await cli(['keys', 'create', 'alice'], env)).stdout.trim();
    const { entries } = json<AuditJson>(await cli(['audit', 'list', '--workspace', 'acme', '--json'], env));
    expect(entries.map((e) => e.action)).toEqual(expect.arrayContaining(['grant.create', 'grant.revoke', 'workspace.create']));
    expect(entries.find((e) => e.action === 'grant.revoke')).toMatchObject({ workspace: 'acme', user: 'alice', detail: { member: 'bob' } });
    const all = await cli(['audit', 'list', '--limit', '500'], env);
    expect(all.stdout).toMatch(/apikey\.create\s+—\s+alice\s+keyId=\d+ name=Command line prefix=lf_/);
    expect(all.stdout).not.toContain(key);
  });
});

describe('backups', () => {
  it('copies the store to a new file that opens with every user in it, and never overwrites one', async () => {
    const file = `${tempDir('backup')}/ledgerfeed-backup.sqlite`;
    expect((await cli(['backup', file], env)).stdout).toMatch(/^Backed up the store to .*ledgerfeed-backup\.sqlite \([\d,]+ KB\)\.\n$/);
    expect((fs.statSync(file).mode & 0o777).toString(8)).toBe('600');
    const copy = new Database(file, { readonly: true });
    expect(copy.prepare('SELECT username FROM users ORDER BY username').pluck().all()).toEqual(['alice', 'bob']);
    copy.close();
    expect((await cli(['backup', file], env)).stderr).toMatch(/exists already; choose a new file name\.\n$/);
  });
});

describe('mistakes', () => {
  it('exits 2 for a wrong command line, naming what is wrong', async () => {
    const unknown = await cli(['users', 'ad', 'x'], env);
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toMatch(/error: unknown command 'ad'/);
    expect((await cli(['keys', 'revoke', 'alice'], env)).stderr).toMatch(/error: missing required argument 'id'/);
    expect((await cli(['sync', 'acme', '--progress', 'fancy'], env)).code).toBe(2);
  });

  it('names the user or workspace that does not exist', async () => {
    expect((await cli(['keys', 'create', 'nobody'], env)).stderr).toBe('ledgerfeed: There is no user nobody. `ledgerfeed users list` shows them.\n');
    expect((await cli(['workspaces', 'members', 'nowhere'], env)).stderr).toBe('ledgerfeed: There is no workspace nowhere. `ledgerfeed workspaces list` shows them.\n');
  });

  it('names LEDGERFEED_SECRET_KEY when a data directory has no key at all', async () => {
    const result = await cli(['users', 'list'], { LEDGERFEED_DATA_DIR: tempDir('nokey') });
    expect(result.code).toBe(1);
    expect(result.stderr).toMatch(/^ledgerfeed: LEDGERFEED_SECRET_KEY is not set and the data directory .* holds no sandbox key/);
    expect(result.stderr.split('\n')).toHaveLength(2);
  });

  it('names the variable and what it accepts when the configuration is wrong', async () => {
    const result = await cli(['users', 'list'], { ...env, LEDGERFEED_MAX_PARALLEL: 'lots' });
    expect(result.stderr).toBe('ledgerfeed: Invalid configuration. LEDGERFEED_MAX_PARALLEL="lots" is invalid: it must be an integer from 1 to 64\n');
  });
});

describe('the sandbox data directory', () => {
  it('is found by its key file, with the sandbox’s relaxed rules', async () => {
    const dataDir = tempDir('sandbox-admin');
    loadOrCreateSandboxKey(dataDir);
    const sandbox = { LEDGERFEED_DATA_DIR: dataDir };
    expect((await cli(['users', 'add', 'demo2', '--password-stdin'], sandbox, 'x\n')).code).toBe(0);
    const db = openDatabase(dataDir);
    const user = await new Accounts(db, systemClock, { mode: 'sandbox', grants: { defaultDays: 90, maxDays: 365 } }).verifyPassword('demo2', 'x');
    db.close();
    expect(user?.username).toBe('demo2');
    fs.rmSync(dataDir, { recursive: true, force: true });
  });
});
