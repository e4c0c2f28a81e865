// Real sockets on loopback, and the Python oracle that reads them a second way.
import { spawn, spawnSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { readdirSync, readFileSync } from 'node:fs';
import * as net from 'node:net';
import { constants as osConstants } from 'node:os';
import { join } from 'node:path';
import * as tls from 'node:tls';
import { binding } from '../src/kernel/binding';

/** The package's root (the checkout), whatever folder of test/ a test file sits in. */
export const root = join(__dirname, '..');
export const fixtures = join(__dirname, 'fixtures');
/**
 * python3 as PATH finds it, resolved once per run by vitest.config.mts to the interpreter
 * itself: a version manager's shim (pyenv's took 0.2-1.3 s per start on this machine) is
 * not run again for each of the suite's Python oracles and peers.
 */
export const python = process.env.SOCKOPT_TEST_PYTHON || 'python3';

/**
 * Makes sure a command from Debian's apt is there (nft from nftables, say): installed when
 * missing, as scripts/test-clients.sh installs its servers (root, as in CI); a machine
 * where it cannot be has the test fail with apt's own message.
 */
export function ensureApt(command: string, pkg: string): void {
  if (spawnSync('sh', ['-c', `command -v ${command}`]).status === 0) return;
  const start = Date.now();
  const run = spawnSync('sh', ['-c', `apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq ${pkg}`], { encoding: 'utf8', timeout: 300_000 });
  if (run.status !== 0) throw new Error(`${command} is missing and apt-get install ${pkg} failed: ${(run.stderr || run.error?.message || '').trim().slice(-500)}`);
  figure(`apt-get install ${pkg}`, `${Math.round((Date.now() - start) / 1000)} s`);
}

/**
 * spawnSync's answer, without blocking: a test that runs children one after another with
 * spawnSync holds its vitest worker's event loop for the whole stretch, and the worker's
 * RPC to the runner times out when that lasts (every test passed, the run exits 1:
 * CONTRIBUTING.md).
 */
export function spawnAsync(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; timeout?: number } = {}): Promise<{ status: number | null; signal: NodeJS.Signals | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env: options.env, timeout: options.timeout, stdio: ['pipe', 'pipe', 'pipe'] });
    const out: Buffer[] = [];
    const err: Buffer[] = [];
    child.stdout.on('data', (b: Buffer) => out.push(b));
    child.stderr.on('data', (b: Buffer) => err.push(b));
    child.on('error', reject);
    // A child that exits without reading its stdin (EPIPE) has not failed for that.
    child.stdin.on('error', () => {});
    child.on('close', (status, signal) => resolve({ status, signal, stdout: Buffer.concat(out).toString('utf8'), stderr: Buffer.concat(err).toString('utf8') }));
    child.stdin.end(); // no write: even an empty one can fail with EPIPE
  });
}

/** How many fds a process holds open now, from /proc/PID/fd (this process by default). */
export function openFds(pid: number | 'self' = 'self'): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

/**
 * The fd count once it stops moving by itself (libuv closes handles on a later loop turn;
 * a just-started Node 22+ closes an fd of its own a moment later): the same count on
 * 3 more looks in a row, `every` ms apart, at most `looks` looks.
 */
export async function settledFds(pid: number | 'self' = 'self', { every = 20, looks = 100 } = {}): Promise<number> {
  let last = openFds(pid);
  for (let same = 0, i = 0; same < 3 && i < looks; i++) {
    await new Promise((r) => setTimeout(r, every));
    const now = openFds(pid);
    same = now === last ? same + 1 : 0;
    last = now;
  }
  return last;
}

/**
 * The errno Node puts on a system error for `code` (negative), from os.constants.errno:
 * the platform's number, never a hard-coded Linux one.
 */
export function errno(code: keyof typeof osConstants.errno): number {
  return -osConstants.errno[code];
}

/** The `code` of what `fn` throws (undefined when it throws nothing, or nothing with a code). */
export function codeOf(fn: () => unknown): string | undefined {
  try {
    fn();
  } catch (err) {
    return (err as { code?: string }).code;
  }
  return undefined;
}

/** Prints one measured result as a plain `figure:` line, so every run's log (CI's too) carries the numbers. */
export function figure(what: string, value: unknown): void {
  console.log(`figure: ${what}: ${typeof value === 'string' ? value : JSON.stringify(value)}`);
}

/** A connected stream pair: the listening server, the client and the socket it accepted. */
export interface StreamPair {
  server: net.Server;
  client: net.Socket;
  accepted: net.Socket;
  close(): Promise<void>;
}
export type TcpPair = StreamPair;

/** Destroys the sockets and resolves once the server has closed. */
function closeAll(server: net.Server, ...sockets: net.Socket[]): Promise<void> {
  for (const s of sockets) s.destroy();
  return new Promise<void>((r) => server.close(() => r()));
}

async function streamPair(listen: (server: net.Server) => void, dial: (server: net.Server) => net.Socket): Promise<StreamPair> {
  const server = net.createServer();
  listen(server);
  await once(server, 'listening');
  const acceptedP = once(server, 'connection') as Promise<[net.Socket]>;
  const client = dial(server);
  await once(client, 'connect');
  const [accepted] = await acceptedP;
  return { server, client, accepted, close: () => closeAll(server, client, accepted) };
}

/** A connected TCP pair on loopback (v4 or v6). */
export function tcpPair(family: 4 | 6 = 4): Promise<TcpPair> {
  const host = family === 4 ? '127.0.0.1' : '::1';
  return streamPair(
    (server) => server.listen(0, host),
    (server) => net.connect({ port: (server.address() as net.AddressInfo).port, host }),
  );
}

/** A connected unix-domain pair on a path (a leading NUL makes it abstract). */
export function unixPair(path: string): Promise<StreamPair> {
  return streamPair(
    (server) => server.listen(path),
    () => net.connect(path),
  );
}

export async function listeningServer(host = '127.0.0.1'): Promise<net.Server> {
  const server = net.createServer();
  server.listen(0, host);
  await once(server, 'listening');
  return server;
}

export async function boundUdp(type: 'udp4' | 'udp6' = 'udp4'): Promise<dgram.Socket> {
  const sock = dgram.createSocket(type);
  sock.bind(0, type === 'udp4' ? '127.0.0.1' : '::1');
  await once(sock, 'listening');
  return sock;
}

export function tlsCredentials(): { key: Buffer; cert: Buffer } {
  return { key: readFileSync(join(fixtures, 'key.pem')), cert: readFileSync(join(fixtures, 'cert.pem')) };
}

export async function tlsPair(): Promise<{ server: tls.Server; client: tls.TLSSocket; accepted: tls.TLSSocket; close(): Promise<void> }> {
  const server = tls.createServer(tlsCredentials());
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  const acceptedP = once(server, 'secureConnection') as Promise<[tls.TLSSocket]>;
  const client = tls.connect({ port: (server.address() as net.AddressInfo).port, host: '127.0.0.1', rejectUnauthorized: false });
  await once(client, 'secureConnect');
  const [accepted] = await acceptedP;
  return {
    server,
    client,
    accepted,
    close: () => closeAll(server, client, accepted),
  };
}

export type OracleOp = ['get', number, number, number] | ['set', number, number, number | string];

/**
 * Runs Python's socket module on the same kernel socket (inherited as fd 3).
 * Pass the fd number, not the socket object, so Node keeps reading it.
 */
export async function oracle(fd: number, ops: OracleOp[]): Promise<(number | string | null)[]> {
  const child = spawn(python, [join(fixtures, 'oracle.py'), JSON.stringify(ops)], {
    stdio: ['ignore', 'pipe', 'pipe', fd],
  });
  let out = '';
  let err = '';
  child.stdout!.on('data', (d: Buffer) => (out += d));
  child.stderr!.on('data', (d: Buffer) => (err += d));
  const [code] = (await once(child, 'exit')) as [number];
  if (code !== 0) throw new Error(`oracle.py exited ${code}: ${err}`);
  return JSON.parse(out) as (number | string | null)[];
}

export function fdOf(sock: net.Socket | net.Server): number {
  return (sock as unknown as { _handle: { fd: number } })._handle.fd;
}

/**
 * A pidfd of `pid` through which pidfd_getfd works (Linux >= 5.6 and ptrace-attach rights),
 * tried on its fd `probe`; null where it does not.
 */
export function pidfdWithGetfd(pid: number, probe: number): number | null {
  if (!binding.pidfdOpen || !binding.pidfdGetfd) return null;
  try {
    const pidfd = binding.pidfdOpen(pid);
    try {
      binding.close!(binding.pidfdGetfd(pidfd, probe));
      return pidfd;
    } catch {
      binding.close!(pidfd);
      return null;
    }
  } catch {
    return null;
  }
}
