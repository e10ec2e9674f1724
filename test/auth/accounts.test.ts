// The accounts repository's rules: how passwords and keys are stored, what production refuses, and the
// sandbox's fixed demo sign-in.
import fs from 'node:fs';
import { DAY, type Clock } from '../../server/src/clock';
import { ensureSandboxDemo } from '../../server/src/auth/sandbox-accounts';
import { hashPassword, verifyPassword } from '../../server/src/auth/passwords';
import { provisionUser } from '../../server/src/auth/provision';
import { Accounts, InvalidAccountInput } from '../../server/src/store/accounts';
import { openDatabase, type Db } from '../../server/src/store/database';
import { FAST_SCRYPT, tempDataDir } from './harness';

let dir: string;
let db: Db;
/** Time stands still here, so computed end dates can be compared exactly. */
const clock: Clock = { now: () => Date.UTC(2026, 0, 15, 9, 30) };
const grants = { defaultDays: 90, maxDays: 365 };

beforeEach(() => {
  dir = tempDataDir();
  db = openDatabase(dir);
});
afterEach(() => {
  db.close();
  fs.rmSync(dir, { recursive: true, force: true });
});

describe('passwords', () => {
  it('stores scrypt with its parameters and a per-user salt, never the password', async () => {
    const accounts = new Accounts(db, clock, { mode: 'serve', grants, scrypt: FAST_SCRYPT });
    await accounts.createUser({ username: 'ann', password: 'correct horse battery' });
    await accounts.createUser({ username: 'ben', password: 'correct horse battery' });
    const rows = db.prepare('SELECT password_hash FROM users ORDER BY id').all() as Array<{ password_hash: string }>;
    expect(rows[0].password_hash).toMatch(/^scrypt\$1024\$8\$1\$[A-Za-z0-9+/=]+\$[A-Za-z0-9+/=]+$/);
    expect(rows[0].password_hash).not.toBe(rows[1].password_hash);
    expect(JSON.stringify(rows)).not.toContain('correct horse');
    expect(await accounts.verifyPassword('ann', 'correct horse battery')).toMatchObject({ username: 'ann' });
    expect(await accounts.verifyPassword('ann', 'correct horse battery!')).toBeNull();
    expect(await accounts.verifyPassword('nobody', 'correct horse battery')).toBeNull();
  });

  it('still verifies a hash written with other cost parameters', async () => {
    const stored = await hashPassword('s3cret-enough', { N: 2048, r: 8, p: 1 });
    expect(await verifyPassword('s3cret-enough', stored)).toBe(true);
    expect(await verifyPassword('s3cret-enough', stored.replace(/\$[^$]+$/, '$AAAA'))).toBe(false);
  });

  it('refuses short passwords outside the sandbox', async () => {
    const accounts = new Accounts(db, clock, { mode: 'serve', grants, scrypt: FAST_SCRYPT });
    await expect(accounts.createUser({ username: 'ann', password: 'demo' })).rejects.toThrow(InvalidAccountInput);
  });
});

describe('API keys outside the sandbox', () => {
  it('refuses to create a short or well-known fixed key', async () => {
    const accounts = new Accounts(db, clock, { mode: 'serve', grants, scrypt: FAST_SCRYPT });
    const user = await accounts.createUser({ username: 'ann' });
    expect(() => accounts.createApiKey(user.id, 'demo', { fixedKey: 'demo' })).toThrow(/at least 32 characters/);
    expect(accounts.createApiKey(user.id, 'generated').plaintext).toMatch(/^lf_[0-9A-Za-z]{43}$/);
  });

  it('never accepts the sandbox key, even when a sandbox data directory is reused in production', async () => {
    const sandbox = new Accounts(db, clock, { mode: 'sandbox', grants, scrypt: FAST_SCRYPT });
    await ensureSandboxDemo(sandbox, 'sandbox');
    expect(sandbox.findActiveApiKey('demo')).not.toBeNull();
    const production = new Accounts(db, clock, { mode: 'serve', grants });
    expect(production.findActiveApiKey('demo')).toBeNull();
    await expect(ensureSandboxDemo(production, 'serve')).rejects.toThrow(/only in the sandbox/);
  });
});

describe('sandbox demo sign-in', () => {
  it('creates workspace demo, owner demo/demo and key demo, and can run at every start', async () => {
    const accounts = new Accounts(db, clock, { mode: 'sandbox', grants });
    const first = await ensureSandboxDemo(accounts, 'sandbox');
    accounts.revokeApiKey(first.user.id, accounts.apiKeys(first.user.id)[0].id);
    const second = await ensureSandboxDemo(accounts, 'sandbox');
    expect(second.workspace.id).toBe(first.workspace.id);
    expect(accounts.accessTo(first.user.id, 'demo')?.role).toBe('owner');
    expect(await accounts.verifyPassword('demo', 'demo')).not.toBeNull();
    expect(accounts.findActiveApiKey('demo')?.user.username).toBe('demo');
    expect(accounts.apiKeys(first.user.id)).toHaveLength(1);
  });
});

describe('grants', () => {
  it('defaults to grants.defaultDays, refuses more than grants.maxDays, and only an owner grants', async () => {
    const accounts = new Accounts(db, clock, { mode: 'sandbox', grants, scrypt: FAST_SCRYPT });
    const owner = await accounts.createUser({ username: 'owner' });
    const guest = await accounts.createUser({ username: 'guest' });
    const w = accounts.createWorkspace({ slug: 'books', name: 'Books', ownerId: owner.id });
    const member = accounts.grant({ workspaceId: w.id, username: 'guest', grantedBy: owner.id });
    expect(member.expiresAt).toBe(clock.now() + 90 * DAY);
    expect(() => accounts.grant({ workspaceId: w.id, username: 'guest', grantedBy: owner.id, expiresAt: clock.now() + 366 * DAY })).toThrow(/at most 365 days/);
    expect(() => accounts.grant({ workspaceId: w.id, username: 'owner', grantedBy: guest.id })).toThrow(/Only an owner/);
    expect(() => accounts.grant({ workspaceId: w.id, username: 'nobody', grantedBy: owner.id })).toThrow(/no user named nobody/);
  });
});

describe('provisioning a production user (ledgerfeed add-user)', () => {
  it('creates a user who owns a new workspace, under production password rules', async () => {
    const accounts = new Accounts(db, clock, { mode: 'serve', grants, scrypt: FAST_SCRYPT });
    const { user, workspace } = await provisionUser(accounts, { username: 'ops', password: 'a-long-password', workspace: { slug: 'acme', name: 'Acme BV' } });
    expect(accounts.accessTo(user.id, 'acme')).toMatchObject({ id: workspace!.id, role: 'owner', expiresAt: null });
    await expect(provisionUser(accounts, { username: 'dev', password: 'short' })).rejects.toThrow(/at least 10 characters/);
    await expect(provisionUser(accounts, { username: 'OPS', password: 'another-long-one' })).rejects.toThrow(/taken/);
  });
});
