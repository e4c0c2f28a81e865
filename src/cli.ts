#!/usr/bin/env node
// The `sockopt` command (package.json "bin" → lib/cli.js). The commands live in cli/.
import { EXIT, main } from './cli/main';
import { exitPastLookup, lookupPending } from './node/stuck-lookup';
import { terminalSafe } from './kernel/text';

export { EXIT, main };

if (require.main === module) {
  // `sockopt … | head`: a closed pipe ends the output, not with a stack trace; any other
  // write error (ENOSPC on a full disk, EIO) ends it with one line and exit 1.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    process.stderr.write(`${terminalSafe(`sockopt: cannot write the output: ${err.code ?? 'ERR'} (${err.message})`)}\n`);
    process.exit(EXIT.failed);
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
    // A lookup past --timeout (connect, doctor) would hold the process until the resolver
    // gives up: the answer is out, so end now.
    if (lookupPending()) exitPastLookup(code);
  });
}
