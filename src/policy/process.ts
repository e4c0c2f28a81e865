// The process policies installed by tuneSockets()/register, in the order installed, and
// how each socket gets its one resolution from them:
//   client  birth/client.ts asks processLayer() at each connect attempt (the address and
//           family known); every policy whose default or matching rule applies, and whose
//           filter says yes, is merged, a later policy overriding an earlier option by option.
//   server  each listening server gets a 'connection' listener ahead of the app's, so the
//           app's own handler (which runs after) has the last word; a server that was
//           listening before the first policy is reached through net.server.socket. Where
//           every socket a listener accepts gets the same resolution, it goes on the
//           listener once and accepted sockets copy it (inherit.ts).
import * as net from 'node:net';
import { precompile } from '../core/batch';
import type { CompiledPolicy } from '../core/policy';
import { applyNow, enroll, layerOf, setProcessSource } from '../birth/client';
import { merge, type Layer } from '../birth/layers';
import { onServerListen, onSocket } from '../node/channels';
import { isTcpSocket, resolveFd } from '../node/fd';
import { warnUnreachedClients } from '../node/runtime';
import { connectHost } from '../node/stream-handle';
import { ask, type SocketFilter } from './filter';
import { changesPending, fromListener, relisten, type ListenerResolver } from './inherit';
import type { CompiledRule } from './rules';

/** One tuneSockets() call, compiled. */
export interface Installed {
  readonly client?: Layer;
  readonly server?: Layer;
  readonly filter?: SocketFilter;
  /** Each rule's policy merged over the default of its direction, compiled once. */
  readonly rules: readonly { readonly rule: CompiledRule; readonly client?: Layer; readonly server?: Layer }[];
}

const installed: Installed[] = [];
let clientOff: (() => void) | undefined;
let serverOff: (() => void) | undefined;
let listenOff: (() => void) | undefined;

/** A soft layer for `over` merged onto `base` (a rule over its default), with native arguments built once. */
function over(base: Layer | undefined, policy: CompiledPolicy | undefined): Layer | undefined {
  if (!policy) return undefined;
  const own = layerOf(policy, true);
  if (!base) return own;
  const r = merge([base, own])!;
  precompile(r.prepared);
  precompile(r.keepAlive);
  return { prepared: r.prepared, keepAlive: r.keepAlive, soft: true };
}

/** Several policies' layers as one, a later one overriding an earlier option by option. */
function mergeSoft(layers: readonly Layer[]): Layer {
  const r = merge(layers)!;
  return { prepared: r.prepared, keepAlive: r.keepAlive, soft: true };
}

/** Builds an Installed from compiled parts. */
export function makeInstalled(client: CompiledPolicy | undefined, server: CompiledPolicy | undefined, filter: SocketFilter | undefined, rules: readonly CompiledRule[]): Installed {
  const c = client?.prepared.length ? layerOf(client, true) : undefined;
  const s = server?.prepared.length ? layerOf(server, true) : undefined;
  return {
    ...(c ? { client: c } : {}),
    ...(s ? { server: s } : {}),
    ...(filter ? { filter } : {}),
    rules: rules.map((rule) => ({ rule, ...(rule.client ? { client: over(c, rule.client) } : {}), ...(rule.server ? { server: over(s, rule.server) } : {}) })),
  };
}

const hasClient = (i: Installed): boolean => i.client !== undefined || i.rules.some((r) => r.client);
const hasServer = (i: Installed): boolean => i.server !== undefined || i.rules.some((r) => r.server);

/** Adds a policy; returns its off(), which removes exactly this one (idempotent). */
export function install(entry: Installed): () => void {
  if (!hasClient(entry) && !hasServer(entry)) return () => {}; // sets nothing: costs nothing
  if (hasClient(entry)) warnUnreachedClients(); // Bun, Deno: their own fetch() is not reached
  installed.push(entry);
  subscribe();
  if (hasServer(entry)) relisten(listenerLayer);
  let active = true;
  return () => {
    if (!active) return;
    active = false;
    const i = installed.indexOf(entry);
    if (i >= 0) installed.splice(i, 1);
    subscribe();
    if (hasServer(entry)) relisten(listenerLayer);
  };
}

// Subscribed only while some installed policy needs the direction: none at all otherwise.
function subscribe(): void {
  const client = installed.some(hasClient);
  const server = installed.some(hasServer);
  if (client && !clientOff) {
    clientOff = onSocket(enroll, { client: true, server: false });
    setProcessSource(processLayer);
  } else if (!client && clientOff) {
    clientOff();
    clientOff = undefined;
    setProcessSource(undefined);
  }
  if (server && !serverOff) {
    serverOff = onSocket(onPublished, { client: false, server: true });
    listenOff = onServerListen(hook);
  } else if (!server && serverOff) {
    serverOff();
    listenOff!();
    serverOff = listenOff = undefined;
  }
}

function clientLayerOf(entry: Installed, socket: net.Socket, address: string, port: number): Layer | undefined {
  for (const r of entry.rules) {
    if (r.client && r.rule.matches(r.rule.byHost ? connectHost(socket) : undefined, address, port)) return r.client;
  }
  return entry.client;
}

/** The process policies' layer for one client attempt (birth/client.ts ProcessSource). */
function processLayer(socket: net.Socket, address: string, port: number): Layer | null | undefined {
  let one: Layer | undefined;
  let many: Layer[] | undefined;
  for (const entry of installed) {
    const layer = clientLayerOf(entry, socket, address, port);
    if (!layer) continue;
    if (entry.filter) {
      const answer = ask(entry.filter, { direction: 'client', socket, host: address, port });
      if (answer === 'failed') return null;
      if (!answer) continue;
    }
    if (one === undefined) one = layer;
    else (many ??= [one]).push(layer);
  }
  return many === undefined ? one : mergeSoft(many);
}

// ---------------------------------------------------------------- accepted sockets

const kHooked = Symbol('sockopt.serverHooked');
const kSeen = Symbol('sockopt.accepted');

function hook(server: net.Server): void {
  const s = server as net.Server & { [kHooked]?: true };
  if (s[kHooked]) return;
  s[kHooked] = true;
  server.prependListener('connection', tuneAccepted);
}

// net.server.socket: published after the app's 'connection' handlers. Reached here only
// for a server that was listening before the first server policy: it is hooked now, so
// from its next connection on the policy goes first.
function onPublished(socket: net.Socket): void {
  const server = (socket as { server?: unknown }).server;
  if (server && typeof (server as net.Server).prependListener === 'function') hook(server as net.Server);
  tuneAccepted(socket);
}

function tuneAccepted(socket: net.Socket): void {
  const s = socket as net.Socket & { [kSeen]?: true };
  if (s[kSeen] || (installed.length === 0 && !changesPending())) return;
  s[kSeen] = true;
  if (socket.destroyed || !isTcpSocket(socket)) return;
  let fd: number;
  try {
    fd = resolveFd(socket);
  } catch {
    return; // no kernel socket any more
  }
  const server = (socket as { server?: unknown }).server;
  try {
    if (server instanceof net.Server && fromListener(server, socket, fd, listenerLayer)) return;
  } catch {
    // never into Node's accept path: the socket is tuned on its own below
  }
  const layer = serverLayer(socket);
  if (!layer) return;
  try {
    applyNow(socket, fd, layer);
  } catch {
    // Only a socket gone meanwhile gets here (a policy's own refusals are skipped).
  }
}

// The server policies' layer for one accepted socket, or for every socket of a listener
// on `port` (socket undefined: only when no policy asks a filter or matches the peer).
function serverLayer(socket: net.Socket | undefined, port?: number): Layer | undefined {
  let one: Layer | undefined;
  let many: Layer[] | undefined;
  let peer: { address: string; port: number } | undefined;
  const where = (): { address: string; port: number } => (peer ??= socket ? { address: socket.remoteAddress ?? '', port: socket.localPort ?? 0 } : { address: '', port: port! });
  for (const entry of installed) {
    let layer = entry.server;
    for (const r of entry.rules) {
      if (r.server && r.rule.matches(undefined, where().address, where().port)) {
        layer = r.server;
        break;
      }
    }
    if (!layer) continue;
    if (entry.filter && socket) {
      const answer = ask(entry.filter, { direction: 'server', socket, host: where().address, port: where().port });
      if (answer === 'failed') return undefined;
      if (!answer) continue;
    }
    if (one === undefined) one = layer;
    else (many ??= [one]).push(layer);
  }
  return many === undefined ? one : mergeSoft(many);
}

// Every socket of a listener gets the same resolution unless a policy asks a filter or has a server rule on the peer.
const perListener = (e: Installed): boolean => !hasServer(e) || (e.filter === undefined && e.rules.every((r) => !r.server || r.rule.byPort));
const listenerLayer: ListenerResolver = (port) => (installed.every(perListener) ? serverLayer(undefined, port) : 'per-socket');
