#!/usr/bin/env node
// The `sockopt` command (package.json "bin" → lib/cli.js). The commands live in cli/.
import { EXIT, main } from './cli/main';

export { EXIT, main };

if (require.main === module) {
  // `sockopt … | head`: a closed pipe ends the output, not with a stack trace.
  process.stdout.on('error', (err: NodeJS.ErrnoException) => {
    if (err.code === 'EPIPE') process.exit(process.exitCode ?? 0);
    throw err;
  });
  void main(process.argv.slice(2)).then((code) => {
    process.exitCode = code;
  });
}
