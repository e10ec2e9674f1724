// Where the command line reads and writes: the process's streams and environment, or a test's. Every command
// gets this instead of touching `process`, so the CLI runs the same in a terminal, a script and a test.
export interface CliOutput {
  write(text: string): unknown;
  isTTY?: boolean;
  columns?: number;
  rows?: number;
}

export interface CliIO {
  stdout: CliOutput;
  stderr: CliOutput;
  stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?(mode: boolean): unknown };
  env: NodeJS.ProcessEnv;
}

export const processIO: CliIO = { stdout: process.stdout, stderr: process.stderr, stdin: process.stdin, env: process.env };

/** Exit codes: 0 done, 1 failed (an error, a failed sync, a problem `doctor` found), 2 the command line was wrong. */
export const EXIT = { ok: 0, failed: 1, usage: 2 } as const;

/** A failure the CLI reports as one line (`ledgerfeed: …`) and the exit code. */
export class CliFailure extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = 'CliFailure';
  }
}
