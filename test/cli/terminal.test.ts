// The CLI at a real terminal (a pseudo-terminal driven by python3's pty module): `users add` asks for the password
// twice without echoing it, honours backspace, refuses two different passwords, and Ctrl-C cancels — and what was
// typed is the password the store accepts.
import { execFile } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { promisify } from 'node:util';
import { systemClock } from '../../server/src/clock';
import { Accounts } from '../../server/src/store/accounts';
import { openDatabase } from '../../server/src/store/database';
import { REPO, tempDir } from '../ops/harness';

const run = promisify(execFile);
const env = { LEDGERFEED_DATA_DIR: tempDir('terminal'), LEDGERFEED_SECRET_KEY: crypto.randomBytes(32).toString('base64') };

afterAll(() => fs.rmSync(env.LEDGERFEED_DATA_DIR, { recursive: true, force: true }));

/** Runs `ledgerfeed args…` on a terminal, typing `keys` after each expected prompt. */
async function atTerminal(args: readonly string[], steps: Array<[string, string]>): Promise<{ output: string; code: number | null }> {
  const command = [process.execPath, '--require', 'tsx/cjs', '-e', `require('./server/src/cli').main(${JSON.stringify(args)})`];
  const { stdout } = await run('python3', [path.join(__dirname, 'pty-driver.py'), JSON.stringify(steps), ...command], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', TERM: 'xterm', ...env },
    timeout: 120_000,
  });
  return JSON.parse(stdout) as { output: string; code: number | null };
}

async function passwordWorks(username: string, password: string): Promise<boolean> {
  const db = openDatabase(env.LEDGERFEED_DATA_DIR);
  try {
    return (await new Accounts(db, systemClock, { mode: 'sandbox', grants: { defaultDays: 90, maxDays: 365 } }).verifyPassword(username, password)) !== null;
  } finally {
    db.close();
  }
}

describe('typing a password at a terminal', () => {
  it('asks twice without echoing, honours backspace, and creates the user with what was typed', async () => {
    const result = await atTerminal(['users', 'add', 'carol'], [
      ['Password: ', 'hunter2X\u007f-typed\r'],
      ['Password again: ', 'hunter2-typed\r'],
    ]);
    expect(result.code).toBe(0);
    expect(result.output).toContain('Created user carol.');
    expect(result.output).not.toMatch(/hunter|\*/);
    expect(await passwordWorks('carol', 'hunter2-typed')).toBe(true);
  }, 120_000);

  it('creates nothing when the two passwords differ', async () => {
    const result = await atTerminal(['users', 'add', 'dave'], [
      ['Password: ', 'first-one\r'],
      ['Password again: ', 'second-one\r'],
    ]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('The passwords differ; nothing was created.');
    expect(result.output).not.toMatch(/first-one|second-one/);
    expect(await passwordWorks('dave', 'first-one')).toBe(false);
  }, 120_000);

  it('cancels on Ctrl-C', async () => {
    const result = await atTerminal(['users', 'add', 'erin'], [['Password: ', 'half\u0003']]);
    expect(result.code).toBe(1);
    expect(result.output).toContain('Cancelled.');
    expect(result.output).not.toContain('half');
  }, 120_000);
});
