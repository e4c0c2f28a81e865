// grpc-js: no socket hook at all (its transport calls net.connect itself and runs
// http2 over it); tuneSockets reaches it through Node's net.client.socket channel.
// The service is defined in code (bytes in, bytes out), so no .proto loader is needed.
import * as grpc from '@grpc/grpc-js';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { tuneSockets } from '../../src/index';
import { connectedSocket, figure, pythonView, settledFdCount, silentPeer, timed, watchClientSockets } from './harness';

const POLICY = { deadPeerTimeout: 20_000, sockopts: { TCP_NODELAY: true } };
const EXPECTED = { keepalive: 1, idle: 11, interval: 3, count: 3, userTimeout: 20_000, noDelay: 1 };

const identity = (b: Buffer): Buffer => b;
const definition: grpc.ServiceDefinition = {
  echo: {
    path: '/sockopt.Test/Echo',
    requestStream: false,
    responseStream: false,
    requestSerialize: identity,
    requestDeserialize: identity,
    responseSerialize: identity,
    responseDeserialize: identity,
  },
};
type EchoClient = grpc.Client & { echo(req: Buffer, options: grpc.CallOptions, cb: (err: grpc.ServiceError | null, res?: Buffer) => void): void };
const Client = grpc.makeGenericClientConstructor(definition, 'Test') as unknown as new (address: string, creds: grpc.ChannelCredentials, options?: object) => EchoClient;

// A subchannel pool per client: close() then ends its connection and its reconnect
// attempts (the shared pool keeps subchannels, and retries, for up to 10 s).
const LOCAL_POOL = { 'grpc.use_local_subchannel_pool': 1 };

function echo(client: EchoClient, deadlineMs = 30_000): Promise<Buffer> {
  return new Promise((resolve, reject) =>
    client.echo(Buffer.from('hi'), { deadline: Date.now() + deadlineMs }, (err, res) => (err ? reject(err) : resolve(res!))),
  );
}

let server: grpc.Server;
let port: number;
let off: (() => void) | undefined;
let watch: ReturnType<typeof watchClientSockets> | undefined;

beforeAll(async () => {
  server = new grpc.Server();
  server.addService(definition, { echo: (call: grpc.ServerUnaryCall<Buffer, Buffer>, cb: grpc.sendUnaryData<Buffer>) => cb(null, call.request) });
  port = await new Promise<number>((resolve, reject) =>
    server.bindAsync('127.0.0.1:0', grpc.ServerCredentials.createInsecure(), (err, p) => (err ? reject(err) : resolve(p))),
  );
});
afterAll(() => server.forceShutdown());
afterEach(() => {
  off?.();
  watch?.stop();
  off = watch = undefined;
});

describe('grpc-js', () => {
  // First: sessions that earlier tests' clients left to the server close on their own schedule.
  it('fd count unchanged after 100 connections', async () => {
    off = tuneSockets({ client: POLICY });
    const once = async () => {
      const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), LOCAL_POOL);
      await echo(client);
      client.close();
    };
    await once();
    const before = await settledFdCount();
    for (let i = 0; i < 100; i++) await once();
    const after = await settledFdCount();
    figure('grpc-js fds before/after 100 connections', { before, after });
    expect(after).toBe(before);
  });

  it('tuneSockets reaches the socket under its http2 session', async () => {
    off = tuneSockets({ client: POLICY });
    watch = watchClientSockets();
    const client = new Client(`127.0.0.1:${port}`, grpc.credentials.createInsecure(), LOCAL_POOL);
    expect(String(await echo(client))).toBe('hi');
    const socket = await connectedSocket(watch.sockets);
    expect(await pythonView(socket)).toEqual(EXPECTED);
    client.close();
  });

  it('TCP_SYNCNT: 1 against a silent peer: the call fails UNAVAILABLE (connect ETIMEDOUT) in about 3 s, inside a 60 s deadline', async () => {
    const peer = await silentPeer();
    off = tuneSockets({ client: { sockopts: { TCP_SYNCNT: 1 } } });
    const client = new Client(`127.0.0.1:${peer.port}`, grpc.credentials.createInsecure(), LOCAL_POOL);
    const [ms, err] = await timed(() => echo(client, 60_000));
    client.close();
    await peer.close();
    const e = err as grpc.ServiceError | undefined;
    figure('grpc-js, TCP_SYNCNT 1, silent peer', { ms, code: e?.code, details: e?.details });
    expect(e?.code).toBe(grpc.status.UNAVAILABLE);
    expect(e?.details).toMatch(/ETIMEDOUT/);
    expect(ms).toBeGreaterThan(2_000);
    expect(ms).toBeLessThan(8_000);
  }, 20_000);
});
