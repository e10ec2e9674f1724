// `ledgerfeed simulators`: both simulators on a server of their own, announced on stdout, stopped by SIGTERM.
import { spawn } from 'node:child_process';
import path from 'node:path';
import readline from 'node:readline';

const REPO = path.resolve(__dirname, '../..');

describe('ledgerfeed simulators', () => {
  it('serves both simulators on their own server, prints where, and stops on SIGTERM', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', '-e', "require('./server/src/cli').main(['simulators'])"], {
      cwd: REPO,
      env: { PATH: process.env.PATH, PORT: '0', LEDGERFEED_SANDBOX_ROWS: '40', LEDGERFEED_SANDBOX_LATENCY_MS: '0' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
    const announced = await new Promise<{ url: string; exactOnline: string; twinfield: string }>((resolve, reject) => {
      readline.createInterface({ input: child.stdout! }).once('line', (line) => resolve(JSON.parse(line)));
      child.once('exit', (code) => reject(new Error(`exited with ${code} before announcing`)));
    });
    expect(announced.exactOnline).toBe(`${announced.url}/sandbox/exactonline`);
    const stats = await fetch(`${announced.exactOnline}/_stats`);
    expect(stats.status).toBe(200);
    expect(await stats.json()).toMatchObject({ requests: 0, rateLimited: 0 });
    const login = await fetch(`${announced.twinfield}/auth/authentication/connect/authorize?client_id=sandbox-client&redirect_uri=http://127.0.0.1/cb&response_type=code&scope=openid&state=s&nonce=n`);
    expect(login.status).toBe(200);
    expect(await login.text()).toContain('<form');
    // The Ledgerfeed server's own routes are not there: only the simulators.
    expect((await fetch(`${announced.url}/odata/demo/exactonline/`)).status).toBe(404);
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
  }, 60_000);
});
