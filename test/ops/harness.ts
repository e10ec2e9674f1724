// Test harness for operating Ledgerfeed: temporary data directories, free ports, a sandbox server on real HTTP
// with its log captured, and child processes (the CLI and servers) whose output and exit code are collected.
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { AdjustableClock } from '../../server/src/clock';
import { loadConfig } from '../../server/src/config';
import { createLogger } from '../../server/src/logger';
import { startServer, type RunningServer } from '../../server/src/server';
import { CapturedLog } from '../auth/harness';

export const REPO = path.resolve(__dirname, '../..');

export function tempDir(prefix: string): string {
  return fs.mkdtempSync(path.join(os.tmpdir(), `ledgerfeed-${prefix}-`));
}

/** A port nothing listens on right now (the OS's choice for port 0). */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** The JSON records a captured log holds. */
export function logRecords(log: CapturedLog): Array<Record<string, unknown>> {
  return log.text
    .split('\n')
    .filter((l) => l.trim() !== '')
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}

/** Small demo books, no simulated latency, a one-second sandbox "minute": a sandbox that syncs in a moment. */
export const FAST_SANDBOX: Record<string, string> = {
  LEDGERFEED_SANDBOX_ROWS: '40',
  LEDGERFEED_SANDBOX_LATENCY_MS: '0',
  LEDGERFEED_SANDBOX_MINUTE_MS: '1000',
};

export interface Sandbox {
  url: string;
  port: number;
  dataDir: string;
  clock: AdjustableClock;
  log: CapturedLog;
  running: RunningServer;
  /** The environment a CLI process needs to work on this sandbox (its data directory, its port). */
  cliEnv: Record<string, string>;
  close(): Promise<void>;
}

/** The sandbox server on 127.0.0.1 with a temporary data directory, as `npm start` runs it, in this process. */
export async function startSandbox(env: Record<string, string> = {}, logLevel = 'info'): Promise<Sandbox> {
  const dataDir = tempDir('sandbox');
  const port = await freePort();
  const settings = { ...FAST_SANDBOX, ...env, LEDGERFEED_DATA_DIR: dataDir, PORT: String(port) };
  const clock = new AdjustableClock();
  const log = new CapturedLog();
  const running = await startServer(loadConfig('sandbox', settings), { clock, logger: createLogger(logLevel, log) });
  return {
    url: running.url,
    port,
    dataDir,
    clock,
    log,
    running,
    cliEnv: settings,
    close: async () => {
      await running.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

export interface Finished {
  code: number | null;
  signal: NodeJS.Signals | null;
  stdout: string;
  stderr: string;
}

/** A child process with its output collected as it arrives. */
export class Child {
  stdout = '';
  stderr = '';
  readonly exited: Promise<Finished>;

  constructor(readonly process: ChildProcess) {
    process.stdout?.on('data', (chunk: Buffer) => (this.stdout += chunk.toString()));
    process.stderr?.on('data', (chunk: Buffer) => (this.stderr += chunk.toString()));
    this.exited = new Promise((resolve) => {
      process.once('close', (code, signal) => resolve({ code, signal, stdout: this.stdout, stderr: this.stderr }));
    });
  }

  /** Resolves once `pattern` appears on stdout or stderr; rejects if the process exits first. */
  async waitFor(pattern: RegExp, timeoutMs = 30_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    let exited = false;
    void this.exited.then(() => (exited = true));
    while (!pattern.test(this.stdout + this.stderr)) {
      if (exited) throw new Error(`the process exited before printing ${pattern}:\n${this.stdout}\n${this.stderr}`);
      if (Date.now() > deadline) throw new Error(`no ${pattern} within ${timeoutMs} ms:\n${this.stdout}\n${this.stderr}`);
      await new Promise((r) => setTimeout(r, 50));
    }
  }

  kill(signal: NodeJS.Signals = 'SIGTERM'): void {
    if (this.process.exitCode === null && this.process.signalCode === null) this.process.kill(signal);
  }
}

/** Runs `node args…` with exactly `env` (plus PATH and HOME), in `cwd`. */
export function spawnNode(args: readonly string[], options: { env: Record<string, string>; cwd?: string; stdin?: string }): Child {
  const child = spawn(process.execPath, [...args], {
    cwd: options.cwd ?? REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? os.tmpdir(), ...options.env },
    stdio: ['pipe', 'pipe', 'pipe'],
  });
  child.stdin?.end(options.stdin ?? '');
  return new Child(child);
}

/** The CLI from the TypeScript sources (through tsx), for tests of processes that need no build. */
export function spawnSourceCli(args: readonly string[], options: { env: Record<string, string>; stdin?: string }): Child {
  return spawnNode(['--require', 'tsx/cjs', '-e', `require('./server/src/cli').main(${JSON.stringify(args)})`], options);
}
