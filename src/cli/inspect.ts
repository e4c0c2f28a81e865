// sockopt inspect PID [--fd N] [--all] [--json]: every socket of a process, with
// its options and TCP_INFO where this user may read them (see src/inspect/pid.ts).
import { formatSocket, type SocketReport } from '../inspect/format-socket';
import { streamPid, type PidReport } from '../inspect/pid';
import { escapeText } from '../kernel/text';
import { common, parse, parseFd, parsePid } from './args';
import { chunked } from './chunked';
import { toJson, toJsonNested, type Output } from './output';

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

/** The title line of a report: pid, command (escaped), socket count; then the note when options were not read. */
function title(report: Omit<PidReport, 'sockets'>, n: number): string[] {
  const lines = [`pid ${report.pid}${report.command !== null ? ` (${escapeText(report.command)})` : ''}: ${n} socket${n === 1 ? '' : 's'}`];
  if (report.denied) lines.push(`note: ${escapeText(report.denied.message)}; showing what the kernel's socket tables give`);
  return lines;
}

// fd numbers of any width keep a space before the kind: 'fd 3   tcp', 'fd 19990 tcp'.
const fdPrefix = (fd: number) => `${`fd ${fd}`.padEnd(6)} `;

function socketText(s: SocketReport, all: boolean): string {
  const text = formatSocket(s, { all, prefix: fdPrefix(s.fd) });
  return s.error ? `${text}\n  options not read: ${escapeText(s.error.message)}` : text;
}

/** The human text of a PidReport: a title line, then each socket in the compact (or full) view. */
export function formatPidReport(report: PidReport, all: boolean): string {
  return [...title(report, report.sockets.length), ...report.sockets.map((s) => socketText(s, all))].join('\n');
}

export function run(args: string[], io: Output): number {
  const { values, positionals } = parse(args, { ...common, fd: { type: 'string' }, all: { type: 'boolean' } });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const pid = parsePid(positionals[0]);
  const fd = parseFd(values.fd);
  const out = chunked(io);
  try {
    return print(pid, fd === undefined ? {} : { fd }, values.all === true, values.json === true, out);
  } finally {
    out.flush(); // what was read before a failure (the target exited) is printed too
  }
}

function print(pid: number, options: { fd?: number }, all: boolean, json: boolean, io: Output): number {
  if (!json) {
    streamPid(pid, options, { head: (r, n) => io.out(title(r, n).join('\n')), socket: (s) => io.out(socketText(s, all)) });
    return 0;
  }
  // JSON, streamed: the same document toJson(report) would give, its keys in this order
  // (sockets before optionsRead and denied, which are final only once every socket is read).
  let pending: string | null = null; // the socket before, written once the comma it needs is known
  const tail = streamPid(pid, options, {
    head: (r) => {
      const { optionsRead: _o, denied: _d, ...start } = r;
      io.out(`${toJson(start).slice(0, -2)},\n  "sockets": [`);
    },
    socket: (s) => {
      if (pending !== null) io.out(`${pending},`);
      pending = toJsonNested(s, 2);
    },
  });
  if (pending !== null) io.out(pending);
  const end = toJson({ optionsRead: tail.optionsRead, ...(tail.denied ? { denied: tail.denied } : {}) });
  io.out(`  ],\n${end.slice(2)}`);
  return 0;
}
