/**
 * sockopt — read and tune the real kernel options of Node.js sockets.
 *
 * ```ts
 * import sockopt, { getsockopt, setsockopt } from 'sockopt';
 * setsockopt(socket, 'TCP_USER_TIMEOUT', 30_000);
 * getsockopt(socket, 'TCP_CONGESTION'); // 'cubic'
 * ```
 * @packageDocumentation
 */
import { getsockopt, setsockopt } from './api';
import { setsockopts } from './batch';
import { binding } from './binding';
import { getTcpInfo, snapshot, takeError } from './inspect';
import { isSupported, options } from './options';
import { decodeTcpInfo } from './tcp-info';
import { setKeepAlive, setLinger, setTimeouts, setUserTimeout } from './tuning';
import { sockopt } from './view';

export { getsockopt, setsockopt } from './api';
export { setsockopts } from './batch';
export { isSupported, options, type OptionInfo } from './options';
export { SocketOptions, SocketView, describeSocket, sockopt } from './view';
export { formatAddress, formatSocket, type FormatOptions, type JsonValue, type SocketReport } from './format-socket';
export { formatBytes, formatDuration, formatRate } from './format';
export { listSockets, snapshotPid, type PidReport, type SnapshotPidOptions } from './pid';
export type { ConnectReport } from './cli/connect';
export { getTcpInfo, snapshot, takeError, type Jsonified, type Snapshot, type SnapshotJSON } from './inspect';
export { decodeTcpInfo, tcpInfoFields, type TcpCaState, type TcpInfo, type TcpInfoOptions, type TcpInfoOptionsArg, type TcpState } from './tcp-info';
export { decodeTcpConnectionInfo } from './tcp-info-darwin';
export { setKeepAlive, setLinger, setTimeouts, setUserTimeout, type KeepAliveOptions, type KeepAliveState, type Timeouts } from './tuning';
export type { SocketAddress } from './binding';
export { tcpChannels, trackConnections, type Direction, type TcpClose, type TcpCounter, type TcpDelta, type TcpSample, type TrackOptions } from './telemetry';
export { arm, connect, connectTLS, type ArmOptions, type ConnectOptions } from './connect';
export { bindDgram, createServer, listen, type BindOptions, type ConfiguredServer, type ListenOptions } from './listen';
export type { Sockopts } from './presocket';
export { tuneSockets, type KeepAlivePolicy, type Policy, type SocketInfo, type TuneSocketsOptions } from './policy';
export { deadPeer, type DeadPeerSettings } from './dead-peer';
export { agent, httpsAgent, SockoptAgent, SockoptHttpsAgent, type AgentOptions, type HttpsAgentOptions } from './agent';
export type { SocketLike } from './fd';
export type { BatchError, CodedError, SockoptErrorCode, SockoptSystemError } from './errors';
export type {
  Access,
  Kind,
  KindValue,
  Level,
  OptionInput,
  OptionName,
  OptionSpec,
  OptionValue,
  PeerCred,
  Platform,
  ReadableOption,
  Unit,
  WritableOption,
} from './registry';

/**
 * Levels, address families, socket types and option numbers exactly as this
 * platform's headers define them (e.g. `constants.SOL_SOCKET`, `constants.TCP_INFO`).
 * An option the platform lacks is absent.
 */
export const constants: Readonly<Record<string, number>> = binding.constants;

/** `sizeof` of the C structs behind the value kinds, for the raw Buffer form. */
export const sizes = binding.sizes;

/**
 * The default export: the view function `sockopt(sock)`, which also carries the core
 * calls as properties, so `import sockopt from 'sockopt'; sockopt.getsockopt(…)` works as
 * it does with the other npm `sockopt` package (whose module object is its default).
 * The same function object is the named export `sockopt`.
 */
const sockoptDefault = Object.assign(sockopt, {
  getsockopt,
  setsockopt,
  setsockopts,
  isSupported,
  options,
  constants,
  sizes,
  getTcpInfo,
  decodeTcpInfo,
  snapshot,
  takeError,
  setKeepAlive,
  setLinger,
  setTimeouts,
  setUserTimeout,
});

export default sockoptDefault;
