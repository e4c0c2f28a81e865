// What `sockopt inspect` prints: the text (a title, then each socket in the compact or
// full view) or the JSON, streamed socket by socket (cli/inspect.ts parses the command line).
import { compactUnread, formatSocket, type SocketReport } from '../inspect/format-socket';
import { streamPid, type PidReport } from '../inspect/pid';
import { escapeText } from '../kernel/text';
import { chunked } from './chunked';
import { errorFields, toJson, toJsonNested, writtenInDocument, type Output } from './output';

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

/** Prints process `pid`'s sockets (or fd `fd`'s) to `io`; returns the exit code. */
export function printPid(pid: number, fd: number | undefined, all: boolean, json: boolean, io: Output): number {
  const out = chunked(io);
  try {
    return print(pid, fd === undefined ? {} : { fd }, all, json, out);
  } finally {
    out.flush(); // what was read before a failure (the target exited) is printed too
  }
}

function print(pid: number, options: { fd?: number }, all: boolean, json: boolean, io: Output): number {
  if (!json) {
    // Text holds the whole records (holdRecords): its bound is time, --json's is memory.
    streamPid(pid, options, { head: (r, n) => io.out(title(r, n).join('\n')), socket: (s) => io.out(socketText(s, all)), holdRecords: true, ...(all ? {} : { unread: compactUnread }) });
    return 0;
  }
  // JSON, streamed: the same document toJson(report) would give, its keys in this order
  // (sockets before optionsRead and denied, which are final only once every socket is read).
  // Every piece below is toJson's: terminal-safe already (Output.outJson).
  const put = io.outJson ? io.outJson.bind(io) : io.out.bind(io);
  let pending: string | null = null; // the socket before, written once the comma it needs is known
  let begun = false;
  let tail: ReturnType<typeof streamPid>;
  try {
    tail = streamPid(pid, options, {
      head: (r) => {
        const { optionsRead: _o, denied: _d, ...start } = r;
        put(`${toJson(start).slice(0, -2)},\n  "sockets": [`);
        begun = true;
      },
      socket: (s) => {
        if (pending !== null) put(`${pending},`);
        pending = toJsonNested(s, 2);
      },
    });
  } catch (err) {
    if (!begun) throw err;
    // Failed midway (the target exited): the document begun is ended with the sockets read
    // so far and an `error` member, so that stdout stays one JSON value.
    if (pending !== null) put(pending);
    put(`  ],\n${toJson({ error: errorFields(err) }).slice(2)}`);
    throw writtenInDocument(err);
  }
  if (pending !== null) put(pending);
  const end = toJson({ optionsRead: tail.optionsRead, ...(tail.denied ? { denied: tail.denied } : {}) });
  put(`  ],\n${end.slice(2)}`);
  return 0;
}
