// What a new user does following the README, with real processes on the built command: run the sandbox, create
// a user with the CLI, give them the demo workspace and an API key, sync with a progress bar, query the feed the
// way curl does, check the installation with doctor, stop the server. And production refuses to start without
// its secret key.
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { loadOrCreateSandboxKey } from '../../server/src/store/vault';
import { FAST_SANDBOX, freePort, REPO, spawnNode, tempDir, type Child, type Finished } from '../ops/harness';

/** The repository as `npm run build` leaves it: compiled output next to bin/ and package.json. */
function buildTree(): string {
  const tree = tempDir('build');
  execFileSync(process.execPath, [path.join(REPO, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json', '--outDir', path.join(tree, 'dist')], { cwd: REPO, stdio: 'pipe' });
  fs.mkdirSync(path.join(tree, 'bin'));
  fs.copyFileSync(path.join(REPO, 'bin/ledgerfeed.js'), path.join(tree, 'bin/ledgerfeed.js'));
  fs.copyFileSync(path.join(REPO, 'package.json'), path.join(tree, 'package.json'));
  fs.symlinkSync(path.join(REPO, 'node_modules'), path.join(tree, 'node_modules'), 'dir');
  return tree;
}

let tree: string;
let dataDir: string;
let env: Record<string, string>;
let server: Child;
let url: string;

function ledgerfeed(args: readonly string[], stdin?: string, extraEnv: Record<string, string> = env): Promise<Finished> {
  return spawnNode(['bin/ledgerfeed.js', ...args], { env: extraEnv, cwd: tree, stdin }).exited;
}

beforeAll(async () => {
  tree = buildTree();
  dataDir = tempDir('acceptance');
  const port = await freePort();
  env = { ...FAST_SANDBOX, LEDGERFEED_DATA_DIR: dataDir, PORT: String(port) };
  url = `http://127.0.0.1:${port}`;
}, 120_000);

afterAll(() => {
  server?.kill('SIGKILL');
  fs.rmSync(tree, { recursive: true, force: true });
  fs.rmSync(dataDir, { recursive: true, force: true });
});

describe('following the README', () => {
  it('says to start the sandbox first when a sync finds no server', async () => {
    loadOrCreateSandboxKey(dataDir); // as a sandbox that ran before and was stopped
    const sync = await ledgerfeed(['sync', 'demo']);
    expect(sync.code).toBe(1);
    expect(sync.stderr).toBe(
      `ledgerfeed: No sandbox server answers at ${url}: start the sandbox with \`npm start\` first (the simulated Exact Online and Twinfield run inside it), or set PORT or LEDGERFEED_PUBLIC_URL to where it runs.\n`,
    );
  });

  it('runs the sandbox', async () => {
    server = spawnNode(['bin/ledgerfeed.js', 'sandbox'], { env, cwd: tree });
    await server.waitFor(/Demo feed\s+http:\/\/127\.0\.0\.1:\d+\/odata\/demo\/exactonline\//);
    expect(server.stderr).toContain(`Ledgerfeed (sandbox) listening on ${url}`);
    expect((await fetch(`${url}/readyz`)).status).toBe(200);
  });

  it('creates a user, gives them the demo workspace and an API key, syncs with a progress bar and queries the feed', async () => {
    const user = await ledgerfeed(['users', 'add', 'alice', '--password-stdin'], 'alice-password\n');
    expect(user).toMatchObject({ code: 0, stdout: 'Created user alice.\n' });
    const grant = await ledgerfeed(['grant', 'demo', 'alice']);
    expect(grant.stdout).toMatch(/^alice may use demo until .* \(granted by demo\)\.\n$/);
    const key = await ledgerfeed(['keys', 'create', 'alice']);
    expect(key.code).toBe(0);
    const apiKey = key.stdout.trim();

    const sync = await ledgerfeed(['sync', 'demo', '--progress', 'bar']);
    expect(sync.stderr).toBe('');
    expect(sync.code).toBe(0);
    expect(sync.stdout).toMatch(/(?<!NLA)310101 Bakkerij De Gouden Korrel … █+ 13\/13 tables  [\d,]+ rows/);
    expect(sync.stdout).toMatch(/NLA310101 Bakkerij De Gouden Korr…\s+█+ \d+\/\d+ tables/);
    expect(sync.stdout).toMatch(/Synced demo: 16 administrations, \d+ table syncs in .*\n {2}rows: [\d,]+ added, \d+ changed, \d+ deleted/);

    // curl -u alice:$KEY http://127.0.0.1:8080/odata/demo/exactonline/GLAccounts
    const feed = await fetch(`${url}/odata/demo/exactonline/GLAccounts`, { headers: { Authorization: `Basic ${Buffer.from(`alice:${apiKey}`).toString('base64')}` } });
    expect(feed.status).toBe(200);
    const rows = ((await feed.json()) as { value: Array<{ Division: number }> }).value;
    expect(new Set(rows.map((r) => r.Division)).size).toBe(8);
  });

  it('checks the installation with doctor', async () => {
    const doctor = await ledgerfeed(['doctor']);
    expect(doctor.code).toBe(0);
    expect(doctor.stdout).toMatch(/✓ secret key\s+from the sandbox key file/);
    expect(doctor.stdout).toMatch(/No problems/);
  });

  it('stops the server with SIGTERM, exit code 0', async () => {
    server.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
  });
});

describe('ledgerfeed serve', () => {
  it('refuses to start without LEDGERFEED_SECRET_KEY, in one line, exit 1', async () => {
    const serve = await ledgerfeed(['serve'], undefined, { LEDGERFEED_DATA_DIR: tempDir('serve-nokey'), PORT: '0' });
    expect(serve.code).toBe(1);
    expect(serve.stderr).toMatch(/^ledgerfeed: LEDGERFEED_SECRET_KEY is required by `ledgerfeed serve`/);
    expect(serve.stderr.trim().split('\n')).toHaveLength(1);
    expect(serve.stdout).toBe('');
  });
});
