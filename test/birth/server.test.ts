// Abuse suite for server and UDP socket birth: listen(), createServer(), bindDgram().
// Every case counts /proc/self/fd before and after (a figure line) and must come back;
// hostile input must end as it ends with Node's own server.listen / socket.bind.
import { execFileSync } from 'node:child_process';
import * as dgram from 'node:dgram';
import { once } from 'node:events';
import { mkdtempSync, rmSync } from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import { bindDgram, createServer, getsockopt, listen } from '../../src/index';
import { leakFree, outcome, tick } from './helpers';
import { figure, fixtures } from '../helpers';

const cleanup: (() => void)[] = [];
afterEach(() => {
  for (const fn of cleanup.splice(0)) fn();
});
const dir = mkdtempSync(join(tmpdir(), 'sockopt-birth-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const RCV = { SO_RCVBUF: 50_000 } as const; // reads back doubled: 100000 (the default is 131072 here)
const portOf = (s: net.Server) => (s.address() as net.AddressInfo).port;
const closeServer = (s: net.Server) => new Promise<void>((r) => s.close(() => r()));

async function served(port: number, host = '127.0.0.1'): Promise<string> {
  const c = net.connect(port, host);
  let data = '';
  c.on('data', (d) => (data += d));
  await once(c, 'close');
  return data;
}

describe('createServer() / listen(): every call form', () => {
  it("createServer(listener): Node's one-argument form keeps its listener", async () => {
    await leakFree('createServer(listener).listen(0, host)', async () => {
      const server = createServer((c) => c.end('hi')).listen(0, '127.0.0.1');
      await once(server, 'listening');
      const got = await served(portOf(server));
      await closeServer(server);
      expect(got).toBe('hi');
      return `served '${got}'`;
    });
  });

  it('positional and options forms bind where asked, call back, and carry the options', async () => {
    const forms: [string, (s: ReturnType<typeof createServer>, cb: () => void) => unknown, string][] = [
      ['listen(0, host, cb)', (s, cb) => s.listen(0, '127.0.0.1', cb), '127.0.0.1'],
      ['listen(0, host, backlog, cb)', (s, cb) => s.listen(0, '127.0.0.1', 7, cb), '127.0.0.1'],
      ['listen(cb)', (s, cb) => s.listen(cb), '::'],
      ["listen('0', cb)", (s, cb) => (s.listen as (...a: unknown[]) => unknown)('0', cb), '::'],
      ['listen()', (s, cb) => (s.once('listening', cb), s.listen()), '::'],
      ['listen({ port, host, backlog }, cb)', (s, cb) => s.listen({ port: 0, host: '::1', backlog: 3 }, cb), '::1'],
      ['listen({ port: undefined })', (s, cb) => (s.once('listening', cb), s.listen({ port: undefined, host: '127.0.0.1' })), '127.0.0.1'],
    ];
    for (const [name, call, address] of forms) {
      await leakFree(`createServer({ sockopts }).${name}`, async () => {
        const server = createServer({ sockopts: RCV }, (c) => c.end('ok'));
        let called = false;
        call(server, () => (called = true));
        await once(server, 'listening');
        await tick(0);
        const held = [(server.address() as net.AddressInfo).address, getsockopt(server, 'SO_RCVBUF'), called];
        const got = await served(portOf(server), address === '::1' ? '::1' : '127.0.0.1');
        await closeServer(server);
        expect(held, name).toEqual([address, 100_000, true]);
        expect(got).toBe('ok');
        return `listening on ${address}, SO_RCVBUF ${held[1]}, served`;
      });
    }
  });

  it('listen() again after close() sets the options again; listen(server, …) serves http', async () => {
    await leakFree('createServer({ sockopts }) listen, close, listen', async () => {
      const server = createServer({ sockopts: { TCP_DEFER_ACCEPT: 3 } });
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      await closeServer(server);
      server.listen(0, '127.0.0.1');
      await once(server, 'listening');
      const again = getsockopt(server, 'TCP_DEFER_ACCEPT');
      await closeServer(server);
      expect(again).toBeGreaterThanOrEqual(3);
      return `TCP_DEFER_ACCEPT ${again} on the second listen`;
    });
    await leakFree('listen(http.createServer(), 0, host, cb)', async () => {
      const server = http.createServer((_q, r) => r.end('web'));
      let called = false;
      listen(server, 0, '127.0.0.1', () => (called = true));
      await once(server, 'listening');
      const body = await new Promise<string>((resolve, reject) =>
        http.get({ host: '127.0.0.1', port: portOf(server), agent: false }, (r) => {
          let b = '';
          r.on('data', (d) => (b += d)).on('end', () => resolve(b));
        }).on('error', reject));
      await closeServer(server);
      expect([body, called]).toEqual(['web', true]);
      return `served '${body}'`;
    });
  });

  it("Node's ipv6Only and reusePort are honoured on every version (sockopt makes the socket)", async () => {
    await leakFree('listen({ ipv6Only, reusePort })', async () => {
      const server = listen(net.createServer(), { port: 0, host: '::', ipv6Only: true, reusePort: true } as never);
      await once(server, 'listening');
      const held = [getsockopt(server, 'IPV6_V6ONLY'), getsockopt(server, 'SO_REUSEPORT')];
      await closeServer(server);
      expect(held).toEqual([true, true]);
      return `IPV6_V6ONLY ${held[0]}, SO_REUSEPORT ${held[1]} (${process.version})`;
    });
  });

  it('path, handle and fd forms: passed to Node without sockopts, refused with them', async () => {
    const path = join(dir, 'srv.sock');
    await leakFree('createServer().listen(path)', async () => {
      const server = createServer((c) => c.end('unix')).listen(path);
      await once(server, 'listening');
      const got = await served(path as never);
      await closeServer(server);
      expect(got).toBe('unix');
      return `served '${got}'`;
    });
    const taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    cleanup.push(() => taken.close());
    for (const [name, call] of [
      ['createServer({ sockopts }).listen(path)', () => createServer({ sockopts: RCV }).listen(join(dir, 'x.sock') as never)],
      ['listen(server, { path, sockopts })', () => listen(net.createServer(), { path: join(dir, 'y.sock'), sockopts: RCV })],
      ['listen(server, { handle, sockopts })', () => listen(net.createServer(), { handle: taken, sockopts: RCV } as never)],
      ['listen(server, { fd, sockopts })', () => listen(net.createServer(), { fd: 99, sockopts: RCV } as never)],
    ] as [string, () => net.Server][]) {
      const r = await leakFree(name, () => outcome(call, ['listening']));
      expect(r, name).toBe('throws ERR_SOCKOPT_NOT_APPLICABLE');
    }
  });
});

describe('server abuse ends as it ends with Node', () => {
  const cases: [string, unknown[]][] = [
    ['port 70000', [70000, '127.0.0.1']],
    ['port -1', [-1, '127.0.0.1']],
    ['port 1.5', [{ port: 1.5, host: '127.0.0.1' }]],
    ['port true', [{ port: true, host: '127.0.0.1' }]],
    ['no port nor path', [{ host: '127.0.0.1' }]],
    ['signal {}', [{ port: 0, host: '127.0.0.1', signal: {} }]],
    ['signal already aborted', [{ port: 0, host: '127.0.0.1', signal: AbortSignal.abort() }]],
    ['address not on this host', [0, '192.0.2.1']],
    ['backlog "x"', [0, '127.0.0.1', 'x']],
    ['host 5', [{ port: 0, host: 5 }]],
  ];
  it.each(cases)('%s', async (name, args) => {
    const node = await outcome(() => (net.createServer().listen as (...a: unknown[]) => net.Server)(...args), ['listening', 'close'], 3000);
    await tick(20);
    const ours = await leakFree(`createServer().listen ${name}`, () =>
      outcome(() => (createServer({ sockopts: RCV }).listen as (...a: unknown[]) => net.Server)(...args), ['listening', 'close'], 3000));
    figure(`birth: net server.listen ${name}`, node);
    expect(ours).toBe(node);
  });

  it('a second or third argument Number() cannot convert: Node throws an uncoded TypeError, sockopt the same moment with ERR_INVALID_ARG_TYPE (found by the fuzz suite)', async () => {
    const weird = { toString: 1, valueOf: 2 }; // neither callable
    for (const args of [[{ path: `\0sockopt-weird-${process.pid}` }, weird], [0, '127.0.0.1', weird], [{ port: 0, host: '127.0.0.1' }, weird]] as unknown[][]) {
      expect(() => (net.createServer().listen as (...a: unknown[]) => net.Server)(...args)).toThrow(/Cannot convert object to primitive value/);
      const viaListen = await leakFree('listen(server, …, unconvertible)', async () => outcome(() => listen(net.createServer(), ...(args as [never])), ['listening'], 500));
      const viaCreate = await leakFree('createServer().listen(…, unconvertible)', async () => outcome(() => (createServer({ sockopts: RCV }).listen as (...a: unknown[]) => net.Server)(...args), ['listening'], 500));
      expect([viaListen, viaCreate]).toEqual(['throws ERR_INVALID_ARG_TYPE', 'throws ERR_INVALID_ARG_TYPE']);
    }
  });

  it('EADDRINUSE is an error event coded as Node codes it', async () => {
    const taken = net.createServer().listen(0, '127.0.0.1');
    await once(taken, 'listening');
    cleanup.push(() => taken.close());
    const node = await new Promise<Error>((r) => net.createServer().listen(portOf(taken), '127.0.0.1').on('error', r));
    const ours = await new Promise<Error>((r) => createServer({ sockopts: RCV }).listen(portOf(taken), '127.0.0.1').on('error', r));
    const pick = (e: Error) => { const { code, syscall, address, port } = e as never as Record<string, unknown>; return { code, syscall, address, port, message: e.message }; };
    figure('birth: EADDRINUSE (Node, sockopt)', [pick(node), pick(ours)]);
    expect(pick(ours)).toEqual(pick(node));
    await leakFree('createServer({ sockopts }).listen(taken port)', () => outcome(() => createServer({ sockopts: RCV }).listen(portOf(taken), '127.0.0.1'), ['listening']));
  });

  it('listen twice: at once (Node drops the first pending lookup), and once listening (ERR_SERVER_ALREADY_LISTEN), as with Node', async () => {
    const twiceAtOnce = async (make: () => net.Server, again: (s: net.Server) => void) => {
      const server = make();
      let listening = 0;
      server.on('listening', () => listening++);
      let thrown = 'none';
      try {
        again(server);
      } catch (e) {
        thrown = (e as { code?: string }).code ?? String(e);
      }
      await once(server, 'listening');
      await tick(50);
      await closeServer(server);
      return `throws ${thrown}, ${listening} listening`;
    };
    const node = await twiceAtOnce(() => net.createServer().listen(0, '127.0.0.1'), (s) => s.listen(0, '127.0.0.1'));
    const ours = await leakFree('listen twice at once', () => twiceAtOnce(() => createServer({ sockopts: RCV }).listen(0, '127.0.0.1'), (s) => s.listen(0, '127.0.0.1')));
    const mixed = await leakFree('server.listen() then listen(server) at once', () =>
      twiceAtOnce(() => net.createServer().listen(0, '127.0.0.1'), (s) => listen(s, { port: 0, host: '127.0.0.1', sockopts: RCV })));
    figure('birth: net server.listen twice at once', node);
    expect(ours).toBe(node);
    expect(mixed).toBe(node);
    for (const [name, make, again] of [
      ['createServer().listen() once listening', () => createServer({ sockopts: RCV }).listen(0, '127.0.0.1'), (s: net.Server) => s.listen(0, '127.0.0.1')],
      ['listen(server) once server.listen() is listening', () => net.createServer().listen(0, '127.0.0.1'), (s: net.Server) => listen(s, { port: 0, sockopts: RCV })],
    ] as [string, () => net.Server, (s: net.Server) => void][]) {
      const r = await leakFree(name, async () => {
        const server = make();
        await once(server, 'listening');
        let thrown = 'none';
        try {
          again(server);
        } catch (e) {
          thrown = (e as { code?: string }).code ?? String(e);
        }
        await closeServer(server);
        return `throws ${thrown}`;
      });
      expect(r, name).toBe('throws ERR_SERVER_ALREADY_LISTEN');
    }
  });

  it('close or abort while the host name resolves, close right after listen: never listening, nothing leaked', async () => {
    for (const [name, end] of [
      ['close during DNS', (s: net.Server) => s.close()],
      ['abort during DNS', (_s: net.Server, ac: AbortController) => ac.abort()],
    ] as [string, (s: net.Server, ac: AbortController) => void][]) {
      await leakFree(`createServer({ sockopts }).listen({ host: 'localhost' }) ${name}`, async () => {
        const ac = new AbortController();
        const server = createServer({ sockopts: RCV });
        let listened = false;
        server.on('listening', () => (listened = true));
        server.listen({ port: 0, host: 'localhost', signal: ac.signal });
        end(server, ac);
        await tick(300); // DNS answers meanwhile
        expect(listened).toBe(false);
        return 'never listening';
      });
    }
    await leakFree('listen(0, host) then close() at once', async () => {
      const server = createServer({ sockopts: RCV }).listen(0, '127.0.0.1');
      server.close();
      await once(server, 'close');
      return 'closed';
    });
  });

  it('an option the kernel refuses: the error event names it, no fd left', async () => {
    const r = await leakFree("createServer({ sockopts: { TCP_CONGESTION: 'nope' } }).listen", () =>
      outcome(() => createServer({ sockopts: { TCP_CONGESTION: 'no-such-cc' } }).listen(0, '127.0.0.1'), ['listening']));
    expect(r).toBe('error ENOENT');
  });
});

describe('bindDgram()', () => {
  it('every form binds where asked and carries the options', async () => {
    const forms: [string, (s: dgram.Socket, cb: () => void) => unknown, string][] = [
      ['bindDgram(s, { port, address, sockopts }, cb)', (s, cb) => bindDgram(s, { port: 0, address: '127.0.0.1', sockopts: RCV }, cb), '127.0.0.1'],
      ['bindDgram(s, { sockopts })', (s, cb) => (s.once('listening', cb), bindDgram(s, { sockopts: RCV })), '0.0.0.0'],
    ];
    for (const [name, call, address] of forms) {
      await leakFree(name, async () => {
        const s = dgram.createSocket('udp4');
        let called = false;
        call(s, () => (called = true));
        await once(s, 'listening');
        await tick(0);
        const held = [s.address().address, getsockopt(s, 'SO_RCVBUF')];
        s.close();
        expect(held, name).toEqual([address, 100_000]);
        expect(called).toBe(true);
        return `bound ${held[0]}, SO_RCVBUF ${held[1]}`;
      });
    }
    for (const [name, call, address] of [
      ['bindDgram(s, 0, "::1", cb)', (s: dgram.Socket, cb: () => void) => bindDgram(s, 0, '::1', cb), '::1'],
      ['bindDgram(s, cb)', (s: dgram.Socket, cb: () => void) => (bindDgram as (...a: unknown[]) => unknown)(s, cb), '::'],
      ['bindDgram(s)', (s: dgram.Socket, cb: () => void) => (s.once('listening', cb), bindDgram(s)), '::'],
    ] as const) {
      await leakFree(name, async () => {
        const s = dgram.createSocket('udp6');
        let called = false;
        call(s, () => (called = true));
        await once(s, 'listening');
        await tick(0);
        const held = s.address().address;
        s.close();
        expect([held, called]).toEqual([address, true]);
        return `bound ${held}`;
      });
    }
  });

  it('a non-string address (a detached TypedArray among them) is ERR_INVALID_ARG_TYPE, thrown before anything is bound', () => {
    const detached = new Uint8Array(8);
    structuredClone(detached.buffer, { transfer: [detached.buffer] });
    for (const bad of [detached, new Uint8Array(4), 42, {}]) {
      const s = dgram.createSocket('udp4');
      try {
        expect(() => bindDgram(s, 0, bad as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
        expect(() => bindDgram(s, { port: 0, address: bad } as never)).toThrow(expect.objectContaining({ code: 'ERR_INVALID_ARG_TYPE' }));
      } finally {
        s.close();
      }
    }
  });

  it("the socket's own ipv6Only and reuseAddr (createSocket options) still reach the configured socket", async () => {
    await leakFree("bindDgram(createSocket({ type: 'udp6', ipv6Only, reuseAddr }))", async () => {
      const s = dgram.createSocket({ type: 'udp6', ipv6Only: true, reuseAddr: true });
      bindDgram(s, { port: 0, sockopts: RCV });
      await once(s, 'listening');
      const held = [getsockopt(s, 'IPV6_V6ONLY'), getsockopt(s, 'SO_REUSEADDR'), getsockopt(s, 'SO_RCVBUF')];
      s.close();
      expect(held).toEqual([true, true, 100_000]);
      return `IPV6_V6ONLY ${held[0]}, SO_REUSEADDR ${held[1]}, SO_RCVBUF ${held[2]}`;
    });
  });

  it('abuse ends as with socket.bind: twice, after close, bad port, udp4 on ::1, fd with sockopts, a refused option, close during DNS', async () => {
    const twice = (bind: (s: dgram.Socket) => unknown) => () => {
      const s = dgram.createSocket('udp4');
      bind(s);
      try {
        bind(s);
      } finally {
        s.close();
      }
      return s;
    };
    const afterClose = (bind: (s: dgram.Socket) => unknown) => () => {
      const s = dgram.createSocket('udp4');
      s.close();
      bind(s);
      return s;
    };
    const cases: [string, () => dgram.Socket, () => dgram.Socket][] = [
      ['bind twice', twice((s) => s.bind(0, '127.0.0.1')), twice((s) => bindDgram(s, { port: 0, address: '127.0.0.1', sockopts: RCV }))],
      ['bind after close', afterClose((s) => s.bind(0)), afterClose((s) => bindDgram(s, { port: 0, sockopts: RCV }))],
      ['port 70000', () => dgram.createSocket('udp4').bind(70000, '127.0.0.1'), () => bindDgram(dgram.createSocket('udp4'), { port: 70000, address: '127.0.0.1', sockopts: RCV })],
      ['udp4 on ::1', () => dgram.createSocket('udp4').bind(0, '::1'), () => bindDgram(dgram.createSocket('udp4'), { port: 0, address: '::1', sockopts: RCV })],
    ];
    for (const [name, node, ours] of cases) {
      const n = await outcome(node, ['listening', 'close'], 3000);
      await tick(20);
      const o = await leakFree(`bindDgram ${name}`, () => outcome(ours, ['listening', 'close'], 3000));
      figure(`birth: dgram socket.bind ${name}`, n);
      expect(o, name).toBe(n);
    }
    expect(await leakFree('bindDgram({ fd, sockopts })', () => outcome(() => bindDgram(dgram.createSocket('udp4'), { fd: 99, sockopts: RCV } as never), ['listening'])))
      .toBe('throws ERR_SOCKOPT_NOT_APPLICABLE');
    expect(await leakFree("bindDgram({ host }) (Node's name is address)", () => outcome(() => bindDgram(dgram.createSocket('udp4'), { host: '127.0.0.1' } as never), ['listening'])))
      .toBe('throws ERR_INVALID_ARG_VALUE');
    // A TCP option on a UDP socket: EOPNOTSUPP (Node's ENOTSUP) on this kernel, ENOPROTOOPT on older ones.
    expect(await leakFree('bindDgram with a refused option', () => outcome(() => bindDgram(dgram.createSocket('udp4'), { port: 0, address: '127.0.0.1', sockopts: { TCP_NODELAY: true } }), ['listening'])))
      .toMatch(/^error (ENOTSUP|ENOPROTOOPT)$/);
    await leakFree('bindDgram close during DNS', async () => {
      const s = dgram.createSocket('udp4');
      let listened = false;
      s.on('listening', () => (listened = true));
      bindDgram(s, { port: 0, address: 'localhost', sockopts: RCV });
      s.close();
      await tick(300);
      expect(listened).toBe(false);
      return 'never bound';
    });
  });
});

describe('no fd left (EMFILE)', () => {
  it("connect(), listen() and bindDgram() with sockopts: EMFILE as 'error', nothing thrown, every fd back", () => {
    const out = execFileSync('sh', ['-c', `ulimit -n 64 && exec "${process.execPath}" "${join(fixtures, 'birth-emfile.js')}"`], { encoding: 'utf8', timeout: 25_000 });
    const r = JSON.parse(out.trim()) as { results: Record<string, string>; fillers: number; fdsAtStart: number; fdsAtEnd: number };
    figure('birth: EMFILE (ulimit -n 64)', r);
    expect(r.results).toEqual({ connect: 'EMFILE', listen: 'EMFILE', bindDgram: 'EMFILE' });
    expect(r.fdsAtEnd).toBe(r.fdsAtStart);
  }, 30_000);
});
