// The shapes of TCP_INFO as sockopt reports it (Linux's struct tcp_info, and macOS's
// tcp_connection_info mapped onto it), and the layout the macOS addon reports. Types
// only: the decoders (tcp-info.ts, tcp-info-darwin.ts) and the binding share them.

/** Connection states (include/net/tcp_states.h). */
export type TcpState =
  | 'ESTABLISHED' | 'SYN_SENT' | 'SYN_RECV' | 'FIN_WAIT1' | 'FIN_WAIT2' | 'TIME_WAIT' | 'CLOSE'
  | 'CLOSE_WAIT' | 'LAST_ACK' | 'LISTEN' | 'CLOSING' | 'NEW_SYN_RECV' | 'BOUND_INACTIVE' | 'UNKNOWN';
/** Congestion-avoidance states (tcp_ca_state). */
export type TcpCaState = 'open' | 'disorder' | 'cwr' | 'recovery' | 'loss' | 'unknown';

/** tcpi_options bits (TCPI_OPT_*). */
export interface TcpInfoOptions {
  timestamps: boolean;
  sack: boolean;
  windowScale: boolean;
  ecn: boolean;
  ecnSeen: boolean;
  synData: boolean;
  /** Timestamps in microseconds (Linux 6.7). */
  usecTs: boolean;
  /** Accepted through TCP Fast Open (Linux 6.9). */
  tfoChild: boolean;
}

/**
 * Linux `struct tcp_info` (tcp(7) TCP_INFO), fields without the `tcpi_` prefix.
 * Fields the kernel's reply does not cover are absent: `length` says how many
 * bytes it returned (104 on 2.6, 144 on 4.2, 160 on 4.6, 192 on 4.10, 232 on 5.4,
 * 248 on 6.7, 280 on 6.18). `W` is `number` (default) or `bigint` (`{ bigint: true }`)
 * for the 64-bit counters.
 */
export interface TcpInfo<W extends number | bigint = number> {
  /** Bytes the kernel returned. */
  length: number;
  /** Connection state by name. (2.6) */
  state?: TcpState;
  /** Connection state as the kernel's number. (2.6) */
  stateCode?: number;
  /** Congestion-avoidance state by name. (2.6) */
  caState?: TcpCaState;
  caStateCode?: number;
  /** Retransmissions of the current unacknowledged segment (count). (2.6) */
  retransmits?: number;
  /** Unanswered zero-window probes (count). (2.6) */
  probes?: number;
  /** Exponential backoff of the retransmission timer (count). (2.6) */
  backoff?: number;
  /** Negotiated TCP options. (2.6) */
  options?: TcpInfoOptions;
  /** Send window scale shift. (2.6) */
  sndWscale?: number;
  /** Receive window scale shift. (2.6) */
  rcvWscale?: number;
  /** Delivery rate was limited by the application. (4.9) */
  deliveryRateAppLimited?: boolean;
  /** Why a TFO client fell back (0 none/unknown, 1 no cookie, 2 data not acked, 3 SYN-ACK without cookie). (5.5) */
  fastopenClientFail?: number;
  /** Retransmission timeout, µs. (2.6) */
  rto?: number;
  /** Delayed-ACK timeout, µs. (2.6) */
  ato?: number;
  /** Send MSS, bytes. (2.6) */
  sndMss?: number;
  /** Receive MSS estimate, bytes. (2.6) */
  rcvMss?: number;
  /** Sent but unacknowledged segments. (2.6) */
  unacked?: number;
  /** SACKed segments. (2.6) */
  sacked?: number;
  /** Segments considered lost. (2.6) */
  lost?: number;
  /** Retransmitted segments in flight. (2.6) */
  retrans?: number;
  /** Unused since 4.15 (always 0). (2.6) */
  fackets?: number;
  /** Since the last data sent, ms. (2.6) */
  lastDataSent?: number;
  /** Not tracked by Linux (always 0), ms. (2.6) */
  lastAckSent?: number;
  /** Since the last data received, ms. (2.6) */
  lastDataRecv?: number;
  /** Since the last ACK received, ms. (2.6) */
  lastAckRecv?: number;
  /** Path MTU, bytes. (2.6) */
  pmtu?: number;
  /** Receive slow-start threshold (window clamp), bytes. (2.6) */
  rcvSsthresh?: number;
  /** Smoothed round-trip time, µs. (2.6) */
  rtt?: number;
  /** Round-trip time variation, µs. (2.6) */
  rttvar?: number;
  /** Send slow-start threshold, segments; `null` while still infinite (the kernel's 0x7fffffff: no loss seen yet). (2.6) */
  sndSsthresh?: number | null;
  /** Congestion window, segments. (2.6) */
  sndCwnd?: number;
  /** Advertised MSS, bytes. (2.6) */
  advmss?: number;
  /** Reordering metric, segments. (2.6) */
  reordering?: number;
  /** Receiver-side RTT estimate, µs. (2.6) */
  rcvRtt?: number;
  /** Receive-buffer space estimate (autotuning), bytes. (2.6) */
  rcvSpace?: number;
  /** Total retransmitted segments over the connection's life. (2.6) */
  totalRetrans?: number;
  /** Pacing rate, bytes/s; `null` when unlimited (the kernel's ~0). (3.15) */
  pacingRate?: W | null;
  /** SO_MAX_PACING_RATE, bytes/s; `null` when unlimited (~0). (3.15) */
  maxPacingRate?: W | null;
  /** Bytes acknowledged by the peer (RFC 4898 HCThruOctetsAcked). (4.1) */
  bytesAcked?: W;
  /** Bytes received (RFC 4898 HCThruOctetsReceived). (4.1) */
  bytesReceived?: W;
  /** Segments sent. (4.2) */
  segsOut?: number;
  /** Segments received. (4.2) */
  segsIn?: number;
  /** Bytes queued but not yet sent. (4.6) */
  notsentBytes?: number;
  /** Minimum RTT seen, µs. (4.6) */
  minRtt?: number;
  /** Data segments received. (4.6) */
  dataSegsIn?: number;
  /** Data segments sent. (4.6) */
  dataSegsOut?: number;
  /** Delivery rate estimate, bytes/s. (4.9) */
  deliveryRate?: W;
  /** Time busy sending data, µs. (4.10) */
  busyTime?: W;
  /** Time limited by the receive window, µs. (4.10) */
  rwndLimited?: W;
  /** Time limited by the send buffer, µs. (4.10) */
  sndbufLimited?: W;
  /** Segments delivered (including retransmissions). (4.18) */
  delivered?: number;
  /** Delivered segments that were ECN CE-marked. (4.18) */
  deliveredCe?: number;
  /** Bytes sent, including retransmissions. (4.19) */
  bytesSent?: W;
  /** Bytes retransmitted. (4.19) */
  bytesRetrans?: W;
  /** DSACKs received (spurious retransmissions). (4.19) */
  dsackDups?: number;
  /** Reordering events seen. (4.19) */
  reordSeen?: number;
  /** Out-of-order packets received. (5.4) */
  rcvOoopack?: number;
  /** Peer's advertised receive window after scaling, bytes. (5.4) */
  sndWnd?: number;
  /** Local advertised receive window after scaling, bytes. (6.2) */
  rcvWnd?: number;
  /** PLB or timeout-triggered rehash attempts. (6.2) */
  rehash?: number;
  /** RTO timeouts, including SYN/SYN-ACK. (6.7) */
  totalRto?: number;
  /** RTO recoveries, including an unfinished one. (6.7) */
  totalRtoRecoveries?: number;
  /** Time spent in RTO recoveries, ms. (6.7) */
  totalRtoTime?: number;
  /** CE-marked segments received. (6.18, AccECN) */
  receivedCe?: number;
  /** AccECN delivered byte counters (ECT(1), ECT(0), CE). (6.18) */
  deliveredE1Bytes?: number;
  deliveredE0Bytes?: number;
  deliveredCeBytes?: number;
  /** AccECN received byte counters (ECT(1), ECT(0), CE). (6.18) */
  receivedE1Bytes?: number;
  receivedE0Bytes?: number;
  receivedCeBytes?: number;
  /** AccECN failure mode (enum). (6.18) */
  accecnFailMode?: number;
  /** AccECN option seen (enum). (6.18) */
  accecnOptSeen?: number;
}

/** Options of getTcpInfo / decodeTcpInfo. */
export interface TcpInfoOptionsArg {
  /** 64-bit counters as exact bigints instead of numbers (which lose precision above 2^53). */
  bigint?: boolean;
}

/** The members of struct tcp_connection_info read here (the TFO bit-field word is not). */
export type ConnectionInfoMember =
  | 'tcpi_state' | 'tcpi_snd_wscale' | 'tcpi_rcv_wscale' | 'tcpi_options' | 'tcpi_flags' | 'tcpi_rto'
  | 'tcpi_maxseg' | 'tcpi_snd_ssthresh' | 'tcpi_snd_cwnd' | 'tcpi_snd_wnd' | 'tcpi_snd_sbbytes'
  | 'tcpi_rcv_wnd' | 'tcpi_rttcur' | 'tcpi_srtt' | 'tcpi_rttvar' | 'tcpi_txpackets' | 'tcpi_txbytes'
  | 'tcpi_txretransmitbytes' | 'tcpi_rxpackets' | 'tcpi_rxbytes' | 'tcpi_rxoutoforderbytes'
  | 'tcpi_txretransmitpackets';

/** Byte offset and size of each member. */
export type ConnectionInfoLayout = Readonly<Record<ConnectionInfoMember, readonly [offset: number, size: number]>>;
