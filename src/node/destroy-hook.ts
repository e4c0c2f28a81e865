// Hooks on the end of a socket, at no per-socket cost: the functions Node calls there
// are wrapped where the socket finds them (net.Socket.prototype, or whichever prototype
// or instance owns `_destroy` / `_final` for that socket's class), once per owner.
// stream.destroy() → _destroy(err, cb): Node 20–26 close the handle only inside the
// original, so a hook runs while the fd is still open. socket.end() → _final(cb): runs
// when this side starts its close, which tells a local close from a peer's FIN.
// Wrapped prototypes get their own function back when every hook is cleared, unless somebody
// wrapped it after us (then ours stays in their chain, calling straight through); a socket
// that owns its function keeps our wrapper, which calls straight through from then on.
import * as net from 'node:net';

type DestroyFn = (this: unknown, err: Error | null, cb: (err?: Error | null) => void) => void;
type FinalFn = (this: unknown, cb: (err?: Error | null) => void) => void;
type Owner = Record<'_destroy' | '_final', DestroyFn | FinalFn>;

/** Runs inside a socket's destroy step (fd still open), before Node's own. */
export type CloseHook = (socket: net.Socket, err: Error | null) => void;
/** Runs when this side ends its writable side (sends its FIN), before Node's own _final. */
export type FinalHook = (socket: net.Socket) => void;
/** Runs inside the destroy step of a socket destroyed with an error. */
export type ErrorHook = (socket: net.Socket, err: Error) => void;

let closeHook: CloseHook | undefined;
let finalHook: FinalHook | undefined;
let errorHook: ErrorHook | undefined;

// Every wrapper of ours, wherever it is (held weakly: one on a socket dies with it).
const ours = new WeakSet<DestroyFn | FinalFn>();
// Our wrappers on prototypes, and what each replaced there: given back when the hooks are
// cleared. A socket's own wrapper is not listed (that would keep every such socket alive
// while tracking runs); it stays on its socket, calling straight through once no hook is set.
const wrapped = new Map<DestroyFn | FinalFn, { owner: Owner; key: '_destroy' | '_final'; original: DestroyFn | FinalFn }>();

// hookSocket's last pair found hooked (both wrappers of ours); cleared by forget().
let seenDestroy: DestroyFn | FinalFn | undefined;
let seenFinal: DestroyFn | FinalFn | undefined;
function forget(): void {
  seenDestroy = seenFinal = undefined;
}

// Nothing may throw into Node's destroy or end path.
function runDestroyHooks(socket: net.Socket, err: Error | null): void {
  try {
    if (closeHook !== undefined) closeHook(socket, err);
    if (err !== null && err !== undefined && errorHook !== undefined) errorHook(socket, err);
  } catch {
    // a hook's failure is its own; the socket closes as Node means it to
  }
}

// A prototype wrapper of ours that runs with no hook set while it is back on top of its
// owner (we stopped under another tool's or copy's wrapper, which later put ours back when
// it unwrapped) gives the owner its function back, then calls it: Node's own returns for
// good instead of an inert chain staying in every destroy.
function giveBack(owner: Owner | undefined, key: '_destroy' | '_final', wrapper: DestroyFn | FinalFn): void {
  const entry = owner !== undefined && owner[key] === wrapper ? wrapped.get(wrapper) : undefined;
  if (entry === undefined) return;
  owner![key] = entry.original;
  wrapped.delete(wrapper);
  ours.delete(wrapper);
  forget();
}

function makeWrapper(key: '_destroy' | '_final', original: DestroyFn | FinalFn, owner: Owner | undefined): DestroyFn | FinalFn {
  if (key === '_destroy') {
    const destroy = original as DestroyFn;
    const wrapper = function (this: unknown, err, cb) {
      if (closeHook !== undefined || errorHook !== undefined) runDestroyHooks(this as net.Socket, err);
      else if (finalHook === undefined) giveBack(owner, key, wrapper);
      return destroy.call(this, err, cb);
    } as DestroyFn;
    return wrapper;
  }
  const final = original as FinalFn;
  const wrapper = function (this: unknown, cb) {
    if (finalHook !== undefined) {
      try {
        finalHook(this as net.Socket);
      } catch {
        // as above
      }
    } else if (closeHook === undefined && errorHook === undefined) giveBack(owner, key, wrapper);
    return final.call(this, cb);
  } as FinalFn;
  return wrapper;
}

// The object on the socket's prototype chain (or the socket itself) that holds `key`.
function ownerOf(socket: object, key: '_destroy' | '_final'): Owner | undefined {
  for (let o: object | null = socket; o !== null; o = Object.getPrototypeOf(o) as object | null) {
    if (Object.prototype.hasOwnProperty.call(o, key)) return o as Owner;
  }
  return undefined;
}

function wrap(owner: Owner, key: '_destroy' | '_final', instance = false): void {
  const original = owner[key];
  if (typeof original !== 'function' || ours.has(original)) return;
  const wrapper = makeWrapper(key, original, instance ? undefined : owner);
  ours.add(wrapper);
  if (!instance) wrapped.set(wrapper, { owner, key, original });
  owner[key] = wrapper;
}

/**
 * Makes sure `socket`'s own `_destroy` and `_final` run the hooks: a no-op (one WeakSet
 * lookup each) when its class's are wrapped already. Call before relying on closeHook /
 * finalHook for a socket whose class may not be net.Socket's (a TLS or a runtime's own).
 */
export function hookSocket(socket: net.Socket): void {
  const s = socket as unknown as Owner;
  // The pair last found hooked (almost every socket shares its class's): two compares
  // instead of two WeakSet lookups. Forgotten whenever a wrapper of ours is given back.
  if (s._destroy === seenDestroy && s._final === seenFinal) return;
  if (!ours.has(s._destroy)) {
    const owner = ownerOf(socket, '_destroy');
    if (owner) wrap(owner, '_destroy', owner === s);
  }
  if (!ours.has(s._final)) {
    const owner = ownerOf(socket, '_final');
    if (owner) wrap(owner, '_final', owner === s);
  }
  if (ours.has(s._destroy) && ours.has(s._final)) {
    seenDestroy = s._destroy;
    seenFinal = s._final;
  }
}

function unwrapAll(): void {
  for (const [wrapper, { owner, key, original }] of wrapped) {
    // By assignment, not delete: an own property removed changes the object's shape.
    // A wrapper somebody wrapped after us stays in their chain; it calls straight through.
    if (owner[key] === wrapper) {
      owner[key] = original;
      wrapped.delete(wrapper);
      ours.delete(wrapper);
    }
  }
  forget();
}

function update(): void {
  if (closeHook === undefined && finalHook === undefined && errorHook === undefined) unwrapAll();
  else {
    const proto = net.Socket.prototype as unknown as Owner;
    wrap(proto, '_destroy');
    wrap(proto, '_final');
  }
}

/** Sets (or, with undefined, clears) the hooks tracked sockets' ends run (trackConnections). */
export function onSocketEnd(close: CloseHook | undefined, final: FinalHook | undefined): void {
  closeHook = close;
  finalHook = final;
  update();
}

/**
 * Sets (or, with undefined, clears) the hook every socket destroyed *with an error* runs
 * inside its destroy step (explainErrors). Sockets that end without an error pay one comparison.
 */
export function onSocketError(fn: ErrorHook | undefined): void {
  errorHook = fn;
  update();
}
