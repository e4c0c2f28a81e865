// Which Node we run on, read once at load: every version-dependent path asks here.
import * as net from 'node:net';

const [major = 0, minor = 0] = process.versions.node.split('.').map(Number);

/** The running Node's major version. */
export const NODE_MAJOR = major;

/**
 * Net sockets emit 'connectionAttempt' right before each connect attempt from Node 20.12
 * and 21.6 on. Without it nothing can be set before the SYN of a socket Node creates.
 */
export const HAS_CONNECTION_ATTEMPT = major > 21 || (major === 21 && minor >= 6) || (major === 20 && minor >= 12);

/** Node 24+: net.BoundSocket, a bound socket not yet adopted by a server or socket. */
export const BoundSocket = (net as unknown as { BoundSocket?: new () => { fd(): number } }).BoundSocket;
