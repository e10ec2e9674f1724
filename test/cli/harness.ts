// Runs the command line in this process with captured output and a given environment, as a terminal would run
// `ledgerfeed …` — but without the cost of a new Node process per command.
import { Readable } from 'node:stream';
import { runCli } from '../../server/src/cli';
import type { CliIO } from '../../server/src/cli/io';

export interface CliResult {
  code: number;
  stdout: string;
  stderr: string;
}

export async function cli(args: readonly string[], env: Record<string, string>, stdin = ''): Promise<CliResult> {
  let stdout = '';
  let stderr = '';
  const io: CliIO = {
    stdout: { write: (text: string) => (stdout += text), isTTY: false },
    stderr: { write: (text: string) => (stderr += text), isTTY: false },
    stdin: Readable.from([stdin]),
    env,
  };
  const code = await runCli(args, io);
  return { code, stdout, stderr };
}

/** Parses the JSON a `--json` command printed. */
export function json<T>(result: CliResult): T {
  if (result.code !== 0) throw new Error(`exit ${result.code}: ${result.stderr}`);
  return JSON.parse(result.stdout) as T;
}
