// The text of an IP address from its network-order bytes, exactly as inet_ntop() (and
// libuv's copy of it, which Node's socket.remoteAddress uses) writes it: dotted quad for
// IPv4; for IPv6 lower-case hex words, the longest run of two or more zero words as "::"
// (the first such run on a tie), and the last 32 bits as a dotted quad for IPv4-mapped
// (::ffff:a.b.c.d) and IPv4-compatible (::a.b.c.d) addresses. Texts of IPv4 addresses are
// cached: a service talks to few of them, and a close record should not build a string.

const v4Texts = new Map<number, string>();
const V4_CACHE = 4096; // then started afresh: bounded memory whatever the peers

const quad = (b: Uint8Array, at: number): string => `${b[at]}.${b[at + 1]}.${b[at + 2]}.${b[at + 3]}`;

/** The dotted quad of the 4 bytes at `at` (network order). */
export function ipv4Text(bytes: Uint8Array, at: number): string {
  const key = ((bytes[at]! << 24) | (bytes[at + 1]! << 16) | (bytes[at + 2]! << 8) | bytes[at + 3]!) >>> 0;
  let text = v4Texts.get(key);
  if (text === undefined) {
    if (v4Texts.size >= V4_CACHE) v4Texts.clear();
    text = quad(bytes, at);
    v4Texts.set(key, text);
  }
  return text;
}

/** The inet_ntop() text of the 16 bytes at `at` (network order). */
export function ipv6Text(bytes: Uint8Array, at: number): string {
  const words: number[] = [];
  for (let i = 0; i < 8; i++) words.push((bytes[at + 2 * i]! << 8) | bytes[at + 2 * i + 1]!);
  // The longest run of zero words (length ≥ 2; the first one on a tie).
  let best = -1;
  let bestLen = 0;
  for (let i = 0; i < 8; ) {
    if (words[i] !== 0) {
      i++;
      continue;
    }
    let j = i;
    while (j < 8 && words[j] === 0) j++;
    if (j - i > bestLen) {
      best = i;
      bestLen = j - i;
    }
    i = j;
  }
  if (bestLen < 2) best = -1;
  // inet_ntop's rule for an embedded IPv4 address: mapped (::ffff:0:0/96) or compatible (::/96 but ::1 and ::).
  const embedded = best === 0 && (bestLen === 6 || (bestLen === 7 && words[7] !== 1) || (bestLen === 5 && words[5] === 0xffff));
  let text = '';
  for (let i = 0; i < 8; i++) {
    if (best >= 0 && i >= best && i < best + bestLen) {
      if (i === best) text += ':';
      continue;
    }
    if (i !== 0) text += ':';
    if (embedded && i === 6) {
      text += quad(bytes, at + 12);
      break;
    }
    text += words[i]!.toString(16);
  }
  if (best >= 0 && best + bestLen === 8) text += ':';
  return text;
}
