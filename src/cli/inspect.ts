// sockopt inspect PID [--fd N] [--all] [--json]: every socket of a process, with
// its options and TCP_INFO where this user may read them (see src/inspect/pid.ts).
import { formatSocket } from '../inspect/format-socket';
import { snapshotPid, type PidReport } from '../inspect/pid';
import { common, parse, parseFd, parsePid } from './args';
import { toJson, type Output } from './output';

export const usage = `sockopt inspect PID [--fd N] [--all] [--json]
  Every socket of process PID (any program): kind, family, local → remote, state,
  queues; with ptrace-attach rights (root or CAP_SYS_PTRACE) also every readable
  option and TCP_INFO, read through a duplicate of the fd (pidfd_getfd) that is
  closed at once. Without them, what /proc gives, and a note saying what is missing.
    --fd N   only fd N of the process
    --all    every option and TCP_INFO field instead of the compact view
    --json   the PidReport as JSON (schema in docs/cli.md)`;

/** The human text of a PidReport: a title line, then each socket in the compact (or full) view. */
export function formatPidReport(report: PidReport, all: boolean): string {
  const n = report.sockets.length;
  const lines = [`pid ${report.pid}${report.command ? ` (${report.command})` : ''}: ${n} socket${n === 1 ? '' : 's'}`];
  if (report.denied) lines.push(`note: ${report.denied.message}; showing what /proc gives`);
  for (const s of report.sockets) {
    lines.push(formatSocket(s, { all, prefix: `fd ${s.fd}`.padEnd(7) }));
    if (s.error) lines.push(`  options not read: ${s.error.message}`);
  }
  return lines.join('\n');
}

export function run(args: string[], io: Output): number {
  const { values, positionals } = parse(args, { ...common, fd: { type: 'string' }, all: { type: 'boolean' } });
  if (values.help) {
    io.out(usage);
    return 0;
  }
  const pid = parsePid(positionals[0]);
  const fd = parseFd(values.fd);
  const report = snapshotPid(pid, fd === undefined ? {} : { fd });
  io.out(values.json ? toJson(report) : formatPidReport(report, values.all === true));
  return 0;
}
