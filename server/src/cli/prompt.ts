// Reading a password: the first line of standard input when it is piped (`--password-stdin`), or typed at a
// terminal without echo.
import type { CliIO } from './io';
import { CliFailure } from './io';

export { readFirstLine } from '../auth/provision';

/** Reads one line from a terminal without showing it. */
export function promptHidden(io: CliIO, question: string): Promise<string> {
  const { stdin } = io;
  if (!stdin.isTTY || !stdin.setRawMode) throw new CliFailure('No terminal to type a password in: pipe it with --password-stdin.');
  // Echo off before the question shows, so keys typed the moment it appears are never echoed.
  stdin.setRawMode(true);
  stdin.resume();
  io.stderr.write(question);
  return new Promise((resolve, reject) => {
    let text = '';
    const done = (error?: CliFailure) => {
      stdin.off('data', onData);
      stdin.setRawMode?.(false);
      stdin.pause();
      io.stderr.write('\n');
      if (error) reject(error);
      else resolve(text);
    };
    const onData = (chunk: Buffer | string) => {
      for (const ch of chunk.toString('utf8')) {
        if (ch === '\r' || ch === '\n') return done();
        if (ch === '\u0003') return done(new CliFailure('Cancelled.'));
        if (ch === '\u007f' || ch === '\b') text = text.slice(0, -1);
        else if (ch >= ' ') text += ch;
      }
    };
    stdin.on('data', onData);
  });
}
