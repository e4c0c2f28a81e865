// sockopt inspect PID [--fd N] [--all] [--json]: every socket of a process, with
// its options and TCP_INFO where this user may read them (see src/inspect/pid.ts). This
// module starts listing the fd table on a native thread first; the command-line parser
// and the code that reads and prints (inspect-print.ts) load meanwhile.
import { prefetchSocketFds } from '../inspect/pid-proc';
import { keepYoungGenerationSmall, skipMaglev } from '../node/v8-flags';
import type { Output } from './output';

export const usage = `sockopt inspect PID [--fd N] [--all] [--json]
  Every socket of process PID (any program): kind, family, local → remote, state,
  queues; with ptrace-attach rights (root or CAP_SYS_PTRACE) also every readable
  option and TCP_INFO, read through a duplicate of the fd (pidfd_getfd) that is
  closed at once. Without them, what the kernel's socket tables (sock_diag) give,
  and a note saying what is missing.
    --fd N   only fd N of the process
    --all    every option and TCP_INFO field instead of the compact view
    --json   the PidReport as JSON, streamed socket by socket (schema in docs/inspect.md)
  Names from the process (its command, unix paths, interface names) are shown escaped
  (\\x1b, \\n, \\u202e); --json carries their exact bytes.`;

// `inspect PID …` without --fd: the pid to list the fd table of before the rest loads
// (the command line is checked in full afterwards; a listing not taken is dropped).
function likelyPid(args: readonly string[]): number | undefined {
  return /^[1-9]\d{0,9}$/.test(args[0] ?? '') && !args.some((a) => a === '--fd' || a.startsWith('--fd=')) ? Number(args[0]) : undefined;
}

export async function run(args: string[], io: Output): Promise<number> {
  const early = likelyPid(args);
  if (early !== undefined) prefetchSocketFds(early);
  keepYoungGenerationSmall();
  const { common, parse, parseFd, parsePid } = await import('./args');
  const { values, positionals } = parse(args, { ...common, fd: { type: 'string' }, all: { type: 'boolean' } });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const pid = parsePid(positionals[0]);
  const fd = parseFd(values.fd);
  // --json is held to a memory bound, the text view to a time bound (docs/inspect.md).
  if (values.json === true) skipMaglev();
  const { printPid } = await import('./inspect-print');
  return printPid(pid, fd, values.all === true, values.json === true, io);
}
