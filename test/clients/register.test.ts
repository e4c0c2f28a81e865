// `node -r sockopt/register` with SOCKOPT, no code change, and four more real clients:
// mysql2 against MariaDB, amqplib against RabbitMQ, memjs against memcached (all three
// from apt) and node:http2 against an h2c server, on a test host that vanishes (a
// second network namespace behind a veth pair whose link goes down;
// fixtures/register-peer.js). Two client processes run the same code under register,
// one with SOCKOPT (a rule per server) and one without (the control). Per connection: Python's reading
// of its options on the client's own fd, `ss -tie`'s keepalive timer for it, and the ms
// from the link going down to the socket closing, idle and with a request in flight.
// Needs root (CI runs as root) for the namespaces.
import { execFile } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';
import { deadPeer } from '../../src/index';
import { figure } from './harness';

type Client = 'mysql2' | 'amqplib' | 'memjs' | 'http2';
const CLIENTS: Client[] = ['mysql2', 'amqplib', 'memjs', 'http2'];
const SERVER: Record<Client, string> = { mysql2: 'MariaDB', amqplib: 'RabbitMQ', memjs: 'memcached', http2: 'node:http2 h2c' };

// One rule per server (SOCKOPT's per-destination rules): three by port, the h2c server
// by CIDR on its own address, each with its own bound. The default policy matches none
// of them; its TCP_SYNCNT stays under every rule (a rule overrides option by option).
const SOCKOPT = {
  client: { deadPeerTimeout: 10_000, sockopts: { TCP_SYNCNT: 2 } },
  rules: [
    { match: { port: 3306 }, client: { deadPeerTimeout: 5_000 } },
    { match: { port: 5672 }, client: { deadPeerTimeout: 8_000 } },
    { match: { port: 11211 }, client: { deadPeerTimeout: 4_000 } },
    { match: { cidr: '192.0.2.3/32' }, client: { deadPeerTimeout: 6_000 } },
  ],
};
const BOUND: Record<Client, number> = { mysql2: 5_000, amqplib: 8_000, memjs: 4_000, http2: 6_000 };
const WINDOW = 2 * Math.max(...Object.values(BOUND)); // the control is watched this long after the link goes down

interface Options {
  keepalive: number;
  idle: number;
  interval: number;
  count: number;
  userTimeout: number;
  synCount: number;
  noDelay: number;
  peer: string;
}
interface Record {
  client: Client;
  mode: 'idle' | 'in-flight';
  options: Options;
  ss: string;
  socketCode: string | null;
  ms: number | null;
  hadError: boolean | null;
  clientError: string | null;
  heartbeat?: number;
}
interface Result {
  error?: string;
  readyMs: { [server: string]: number };
  synRetries: number;
  policy: Record[];
  control: Record[];
  controlAfter: number;
  killedAfter5s: number;
  phases: { [phase: string]: number };
}

const s = (ms: number | null): string => (ms === null ? 'open' : `${(ms / 1000).toFixed(2)} s`);
const opts = (o: Options): string => `keepalive ${o.keepalive}, idle/interval/count ${o.idle}/${o.interval}/${o.count} s, TCP_USER_TIMEOUT ${o.userTimeout} ms, TCP_SYNCNT ${o.synCount}`;
const closed = (r: Record): string => (r.ms === null ? 'open' : `${s(r.ms)} \`${r.socketCode}\``);

describe('register (SOCKOPT, no code change): mysql2, amqplib, memjs, http2 against a test host that vanishes', () => {
  it(`each connection holds its own rule (Python on its fd, ss -tie) and closes by its bound (+1 s slack) after the link goes down, idle or in flight; without SOCKOPT all stay open ${WINDOW} ms`, async () => {
    // The fixture's scratch files (data directories, logs) go in a folder this test removes,
    // so they go even when the fixture is killed before it can clean up.
    const scratch = mkdtempSync(join(tmpdir(), 'sockopt-register-'));
    const { stdout } = await promisify(execFile)('unshare', ['-n', '-p', '-f', '--mount-proc', '--kill-child', process.execPath, join(__dirname, 'fixtures', 'register-peer.js'), JSON.stringify(SOCKOPT), String(WINDOW)], {
      cwd: __dirname,
      timeout: 160_000,
      env: { ...process.env, TMPDIR: scratch },
    }).finally(() => rmSync(scratch, { recursive: true, force: true }));
    const result = JSON.parse(stdout.trim().split('\n').pop()!) as Result;
    expect(result.error).toBeUndefined();
    figure('register SOCKOPT', SOCKOPT);
    figure('register: servers up after (ms)', result.readyMs);
    figure('register: phases (ms since start)', result.phases);

    const find = (run: Record[], client: Client, mode: string): Record => {
      const r = run.find((x) => x.client === client && x.mode === mode);
      expect(r, `${client} ${mode}`).toBeDefined();
      return r!;
    };
    for (const client of CLIENTS) {
      const bound = BOUND[client];
      const derived = deadPeer(bound);
      const [idle, inFlight] = [find(result.policy, client, 'idle'), find(result.policy, client, 'in-flight')];
      const [cIdle, cInFlight] = [find(result.control, client, 'idle'), find(result.control, client, 'in-flight')];
      const o = idle.options;
      figure(`register, ${client} (${SERVER[client]}), options read back`, {
        policy: `keepalive ${o.keepalive}, idle ${o.idle} s, interval ${o.interval} s, count ${o.count}, TCP_USER_TIMEOUT ${o.userTimeout} ms, TCP_SYNCNT ${o.synCount}; ss timer ${idle.ss}`,
        control: `keepalive ${cIdle.options.keepalive}, idle ${cIdle.options.idle} s, TCP_USER_TIMEOUT ${cIdle.options.userTimeout} ms, TCP_SYNCNT ${cIdle.options.synCount}; ss timer ${cIdle.ss}`,
        ...(client === 'amqplib' ? { heartbeatSeconds: cIdle.heartbeat } : {}), // the client's own dead-peer check without the policy
      });
      figure(`register, ${client} (${SERVER[client]}), dead peer (bound ${bound} ms)`, {
        idle: `${s(idle.ms)} ${idle.socketCode}`,
        inFlight: `${s(inFlight.ms)} ${inFlight.socketCode}, client: ${inFlight.clientError}`,
        controlIdle: cIdle.ms === null ? `open at ${s(result.controlAfter)}` : `${s(cIdle.ms)} ${cIdle.socketCode}`,
        controlInFlight: cInFlight.ms === null ? `open at ${s(result.controlAfter)}` : `${s(cInFlight.ms)} ${cInFlight.socketCode}`,
      });
      // The row of docs/clients.md's table: client, options and dead-peer times with SOCKOPT, then without.
      figure('register table', `| ${client} (${SERVER[client]}) | ${opts(o)} | ${closed(idle)} | ${closed(inFlight)} | ${opts(cIdle.options)} | ${closed(cIdle)} | ${closed(cInFlight)} |`);

      for (const r of [idle, inFlight]) {
        const label = `${client} ${r.mode}`;
        // Its own rule's values (never the default's 10 s), read by Python on the client's fd.
        expect(r.options, label).toMatchObject({
          keepalive: 1,
          idle: derived.keepAlive.idle / 1000,
          interval: derived.keepAlive.interval / 1000,
          count: derived.keepAlive.count,
          userTimeout: derived.userTimeout,
          synCount: 2,
        });
        expect(r.ss, label).toMatch(/^keepalive,/); // the kernel's keepalive timer runs, seen from outside the process
        expect(['ETIMEDOUT', 'EHOSTUNREACH'], label).toContain(r.socketCode);
        expect(r.hadError, label).toBe(true);
      }
      // Idle: the kernel counts from the peer's last packet (up to one idle period
      // before the link went down, when it answered a probe) and gives up at the bound.
      expect(idle.ms, `${client} idle`).not.toBeNull();
      expect(idle.ms!, `${client} idle`).toBeGreaterThan(bound - derived.keepAlive.idle - 500);
      expect(idle.ms!, `${client} idle`).toBeLessThan(bound + 1_000); // 1 s of slack for a loaded machine
      // In flight: the unanswered request is dropped when TCP_USER_TIMEOUT expires, and the client says so.
      expect(inFlight.ms, `${client} in-flight`).not.toBeNull();
      expect(inFlight.ms!, `${client} in-flight`).toBeGreaterThan(bound - 500);
      expect(inFlight.ms!, `${client} in-flight`).toBeLessThan(bound + 1_000);
      expect(inFlight.clientError, `${client} in-flight`).not.toBeNull();
      expect(inFlight.clientError, `${client} in-flight`).not.toBe('answered');

      // Without SOCKOPT (register loaded, nothing installed): no TCP_USER_TIMEOUT, the
      // namespace's default SYN retries, and both connections still open at the window's end.
      for (const r of [cIdle, cInFlight]) {
        const label = `${client} ${r.mode}, no policy`;
        expect(r.options.userTimeout, label).toBe(0);
        expect(r.options.synCount, label).toBe(result.synRetries);
        expect(r.ms, label).toBeNull();
      }
    }
    // The peers the rules matched on, as the kernel has them (Python's getpeername).
    const peers = Object.fromEntries(result.policy.map((r) => [r.client, r.options.peer]));
    expect(peers).toEqual({ mysql2: '192.0.2.2:3306', amqplib: '192.0.2.2:5672', memjs: '192.0.2.2:11211', http2: '192.0.2.3:8090' });
    expect(result.controlAfter).toBeGreaterThanOrEqual(WINDOW);
    expect(result.killedAfter5s).toBe(0); // every server stopped on its polite signal
  }, 170_000);
});
