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
import { getsockopt, setsockopt } from './core/api';
import { setsockopts } from './core/batch';
import { binding } from './kernel/binding';
import { getTcpInfo, snapshot, takeError } from './inspect/snapshot';
import { isSupported, options } from './core/options';
import { decodeTcpInfo } from './kernel/tcp-info';
import { setKeepAlive, setLinger, setTimeouts, setUserTimeout } from './core/tuning';
import { sockopt } from './inspect/view';

export { getsockopt, setsockopt } from './core/api';
export { setsockopts } from './core/batch';
export { isSupported, options, type OptionInfo } from './core/options';
export { SocketOptions, SocketView, describeSocket, sockopt } from './inspect/view';
export { formatAddress, formatSocket, type FormatOptions, type JsonValue, type SocketReport } from './inspect/format-socket';
export { formatBytes, formatDuration, formatRate } from './inspect/format';
export { listSockets, snapshotPid, type PidReport, type SnapshotPidOptions } from './inspect/pid';
export type { ConnectReport } from './cli/connect';
export { getTcpInfo, snapshot, takeError, type Jsonified, type Snapshot, type SnapshotJSON } from './inspect/snapshot';
export { decodeTcpInfo, tcpInfoFields, type TcpCaState, type TcpInfo, type TcpInfoOptions, type TcpInfoOptionsArg, type TcpState } from './kernel/tcp-info';
export { decodeTcpConnectionInfo } from './kernel/tcp-info-darwin';
export { setKeepAlive, setLinger, setTimeouts, setUserTimeout, type KeepAliveOptions, type KeepAliveState, type Timeouts } from './core/tuning';
export type { SocketAddress } from './kernel/binding';
export { httpChannel, trackRequests, type HttpRequestRecord, type RequestDelta, type TrackRequestsOptions } from './telemetry/requests';
export { explainErrors, tcpChannels, trackConnections, type CloseReason, type Direction, type TcpBound, type TcpClose, type TcpExplained, type TcpCounter, type TcpDelta, type TcpSample, type TrackOptions } from './telemetry/telemetry';
export { arm, connect, connectTLS, type ArmOptions, type ConnectOptions } from './birth/connect';
export { bindDgram, createServer, listen, type BindOptions, type ConfiguredServer, type ListenOptions } from './birth/listen';
export type { Sockopts } from './core/presocket';
export { tuneSockets, type TuneSocketsOptions } from './policy/tune-sockets';
export type { KeepAlivePolicy, Policy } from './core/policy';
export type { SocketFilter, SocketInfo } from './policy/filter';
export { policyStats, type PolicyStats } from './policy/stats';
export type { Rule, RuleMatch } from './policy/rules';
export type { PresetName } from './core/presets';
export { deadPeer, type DeadPeerSettings } from './core/dead-peer';
export { agent, httpsAgent, SockoptAgent, SockoptHttpsAgent, type AgentOptions, type HttpsAgentOptions } from './policy/agent';
export type { SocketLike } from './node/fd';
export type { BatchError, CodedError, SockoptErrorCode, SockoptSystemError } from './kernel/errors';
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
} from './kernel/registry';

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
