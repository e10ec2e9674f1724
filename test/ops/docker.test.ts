// The production image, without a Docker engine: the Dockerfile is read and checked (multi-stage, Node 20 slim,
// unprivileged user, the data volume, the exposed port, a health check on /healthz, `serve` as the command), then
// its build stage is replayed in a copy of the repository — its COPY steps (honouring .dockerignore) and RUN steps
// (npm ci, npm run build, npm prune --omit=dev; apt-get is left out, its tools must be present) — and the run
// stage's files are started with the image's ENV and CMD, and probed with the image's HEALTHCHECK.
import { execFileSync, spawnSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { freePort, REPO, spawnNode, tempDir, type Child } from './harness';

interface Instruction {
  keyword: string;
  args: string;
}

interface Stage {
  from: string;
  name: string | null;
  steps: Instruction[];
}

/** Instructions by stage; continuation lines joined, comments dropped. */
function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const logical = text.replace(/\\\r?\n/g, ' ').split(/\r?\n/);
  for (const line of logical) {
    const trimmed = line.trim();
    if (trimmed === '' || trimmed.startsWith('#')) continue;
    const [, keyword, args] = /^(\S+)\s+(.*)$/.exec(trimmed) ?? [];
    if (keyword.toUpperCase() === 'FROM') {
      const [, image, name] = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args) ?? [];
      stages.push({ from: image, name: name ?? null, steps: [] });
    } else {
      stages.at(-1)!.steps.push({ keyword: keyword.toUpperCase(), args: args.replace(/\s+/g, ' ').trim() });
    }
  }
  return stages;
}

const all = (stage: Stage, keyword: string) => stage.steps.filter((s) => s.keyword === keyword).map((s) => s.args);
const one = (stage: Stage, keyword: string) => {
  const found = all(stage, keyword);
  expect(found).toHaveLength(1);
  return found[0];
};

/** `KEY=value KEY2="value"` (one ENV instruction, possibly continued over lines). */
function parseEnv(args: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const [, key, quoted, bare] of args.matchAll(/([A-Za-z_][A-Za-z0-9_]*)=(?:"([^"]*)"|(\S*))/g)) env[key] = quoted ?? bare;
  return env;
}

/** A JSON exec form: `["node", "-e", "…"]`. */
function execForm(args: string): string[] {
  const parsed: unknown = JSON.parse(args);
  if (!Array.isArray(parsed) || !parsed.every((p) => typeof p === 'string')) throw new Error(`not an exec form: ${args}`);
  return parsed as string[];
}

/** Paths .dockerignore keeps out of the build context: names anywhere, or `*.ext` globs. */
function ignoredBy(patterns: readonly string[]): (file: string) => boolean {
  return (file) =>
    path
      .relative(REPO, file)
      .split(path.sep)
      .some((segment) => patterns.some((p) => (p.startsWith('*.') ? segment.endsWith(p.slice(1)) : segment === p.replace(/\/$/, ''))));
}

/** Replays `COPY [--from=stage] src… dest`, with /app (the WORKDIR) mapped to a directory per stage. */
function copy(args: string, contextDir: string, stageDirs: Record<string, string>, workdir: string, into: string, ignored: (file: string) => boolean): void {
  const parts = args.split(' ');
  const from = parts[0].startsWith('--from=') ? parts.shift()!.slice('--from='.length) : null;
  const dest = parts.pop()!;
  const resolve = (p: string, root: string) => (path.posix.isAbsolute(p) ? path.join(root, path.posix.relative(workdir, p)) : path.join(root, p));
  const target = resolve(dest, into);
  for (const source of parts) {
    const origin = from ? resolve(source, stageDirs[from]) : path.join(contextDir, source);
    const destination = dest.endsWith('/') ? path.join(target, path.basename(source)) : target;
    fs.mkdirSync(path.dirname(destination), { recursive: true });
    fs.cpSync(origin, destination, { recursive: true, verbatimSymlinks: true, filter: from ? undefined : (file) => !ignored(file) });
  }
}

const onPath = (tool: string) => spawnSync('sh', ['-c', `command -v ${tool}`]).status === 0;

/** The environment of a build step: this machine's (npm's cache and registry settings), without Ledgerfeed's. */
function buildEnv(): NodeJS.ProcessEnv {
  return Object.fromEntries(Object.entries(process.env).filter(([k]) => !k.startsWith('LEDGERFEED_') && k !== 'NODE_ENV' && k !== 'PORT'));
}

const dockerfile = parseDockerfile(fs.readFileSync(path.join(REPO, 'Dockerfile'), 'utf8'));
const dockerignore = fs
  .readFileSync(path.join(REPO, '.dockerignore'), 'utf8')
  .split('\n')
  .map((l) => l.trim())
  .filter((l) => l && !l.startsWith('#'));
const [build, run] = dockerfile;

describe('the Dockerfile', () => {
  it('builds in one stage with the dev toolchain and runs in another, both on Node 20 slim', () => {
    expect(dockerfile).toHaveLength(2);
    expect(build.name).toBe('build');
    for (const stage of dockerfile) expect(stage.from).toMatch(/^node:20(\.\d+)*(-[a-z]+)?-slim$/);
    const runs = all(build, 'RUN');
    const order = ['npm ci', 'npm run build', 'npm prune --omit=dev'].map((command) => runs.findIndex((r) => r === command));
    expect(order.every((i) => i >= 0)).toBe(true);
    expect([...order].sort((a, b) => a - b)).toEqual(order);
    expect(runs.find((r) => r.startsWith('apt-get'))).toMatch(/apt-get install -y --no-install-recommends python3 make g\+\+/);
  });

  it('runs serve as an unprivileged user, with the data directory a volume, the port exposed and a health check on /healthz', () => {
    const env = parseEnv(all(run, 'ENV').join(' '));
    expect(env).toMatchObject({ NODE_ENV: 'production', LEDGERFEED_HOST: '0.0.0.0' });
    expect(one(run, 'USER')).not.toMatch(/^(root|0)$/);
    expect(execForm(one(run, 'VOLUME'))).toEqual([env.LEDGERFEED_DATA_DIR]);
    expect(one(run, 'EXPOSE')).toBe(env.PORT);
    expect(one(run, 'HEALTHCHECK')).toMatch(/^--interval=\S+ --timeout=\S+ --start-period=\S+ --retries=\d+ CMD \[/);
    expect(one(run, 'HEALTHCHECK')).toContain('/healthz');
    expect(execForm(one(run, 'CMD'))).toEqual(['node', 'bin/ledgerfeed.js', 'serve']);
  });

  it('ships only the pruned dependencies and the compiled output, and keeps local data and git out of the context', () => {
    expect(all(run, 'COPY').every((c) => c.startsWith('--from=build '))).toBe(true);
    expect(all(run, 'COPY').map((c) => c.split(' ')[1])).toEqual(expect.arrayContaining(['/app/node_modules', '/app/dist', '/app/bin', '/app/package.json', '/app/docs']));
    expect(all(run, 'COPY').some((c) => /\/app\/(server|connector|test)\b/.test(c))).toBe(false);
    expect(dockerignore).toEqual(expect.arrayContaining(['node_modules', 'data', '.git', 'dist']));
  });
});

describe('the image, replayed without Docker', () => {
  const root = tempDir('image');
  const stageDirs: Record<string, string> = { build: path.join(root, 'build'), run: path.join(root, 'run') };
  const dataDir = path.join(root, 'data');
  let server: Child | undefined;
  let env: Record<string, string>;

  afterAll(() => {
    server?.kill('SIGKILL');
    fs.rmSync(root, { recursive: true, force: true });
  });

  it('builds: the tools apt-get would install are present, and every other RUN step of the build stage succeeds', () => {
    for (const tool of ['python3', 'make', 'g++']) expect(onPath(tool)).toBe(true);
    const workdir = one(build, 'WORKDIR');
    fs.mkdirSync(stageDirs.build, { recursive: true });
    for (const step of build.steps) {
      if (step.keyword === 'COPY') copy(step.args, REPO, stageDirs, workdir, stageDirs.build, ignoredBy(dockerignore));
      if (step.keyword === 'RUN' && !step.args.startsWith('apt-get')) {
        const result = spawnSync('sh', ['-c', step.args], { cwd: stageDirs.build, env: buildEnv(), encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        if (result.status !== 0) throw new Error(`RUN ${step.args} failed (${result.status}):\n${result.stdout.slice(-3000)}\n${result.stderr.slice(-3000)}`);
      }
    }
    const modules = path.join(stageDirs.build, 'node_modules');
    expect(fs.existsSync(path.join(modules, 'better-sqlite3'))).toBe(true);
    for (const devOnly of ['typescript', 'jest', 'tsx']) expect(fs.existsSync(path.join(modules, devOnly))).toBe(false);
    expect(fs.existsSync(path.join(stageDirs.build, 'dist/server/src/cli/index.js'))).toBe(true);
  }, 600_000);

  it('starts its CMD with its ENV, passes its HEALTHCHECK, and stops on SIGTERM with exit code 0', async () => {
    const workdir = one(run, 'WORKDIR');
    fs.mkdirSync(stageDirs.run, { recursive: true });
    for (const args of all(run, 'COPY')) copy(args, REPO, stageDirs, workdir, stageDirs.run, () => false);
    // What the workspace page offers: the connector download and the rendered Power BI and Excel guide.
    expect(fs.existsSync(path.join(stageDirs.run, 'dist/Ledgerfeed.mez'))).toBe(true);
    expect(fs.existsSync(path.join(stageDirs.run, 'docs/power-bi.md'))).toBe(true);
    fs.mkdirSync(dataDir);
    // The image's environment; the volume is a temporary directory, the port a free one (8080 may be taken here).
    env = {
      ...parseEnv(all(run, 'ENV').join(' ')),
      LEDGERFEED_DATA_DIR: dataDir,
      PORT: String(await freePort()),
      LEDGERFEED_SECRET_KEY: crypto.randomBytes(32).toString('base64'),
    };
    const [command, ...args] = execForm(one(run, 'CMD'));
    expect(command).toBe('node');
    server = spawnNode(args, { env, cwd: stageDirs.run });
    await server.waitFor(/"msg":"listening"/);

    const healthcheck = execForm(one(run, 'HEALTHCHECK').replace(/^.*? CMD /, ''));
    const probe = () => spawnSync(healthcheck[0] === 'node' ? process.execPath : healthcheck[0], healthcheck.slice(1), { cwd: stageDirs.run, env: { ...env, PATH: process.env.PATH ?? '' }, timeout: 10_000 });
    expect(probe().status).toBe(0);
    const stats = await fetch(`http://127.0.0.1:${env.PORT}/sandbox/exactonline/_stats`);
    expect(stats.status).toBe(404);

    server.kill('SIGTERM');
    expect((await server.exited).code).toBe(0);
    expect(probe().status).toBe(1);
    expect(execFileSync(process.execPath, ['bin/ledgerfeed.js', '--help'], { cwd: stageDirs.run, env: { ...env, PATH: process.env.PATH ?? '' } }).toString()).toMatch(/Usage: ledgerfeed/);
  }, 60_000);
});
