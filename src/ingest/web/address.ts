import dns from 'node:dns';
import net from 'node:net';

/**
 * Addresses a crawl never connects to unless `--allow-private` is given: anything that is not
 * a public unicast address (loopback, private networks, link-local, which holds the cloud
 * metadata service at 169.254.169.254, carrier-grade NAT, multicast, reserved).
 */
const V4_RANGES: [string, number, string][] = [
  ['0.0.0.0', 8, 'a "this network" address'],
  ['10.0.0.0', 8, 'a private address'],
  ['100.64.0.0', 10, 'a shared (carrier-grade NAT) address'],
  ['127.0.0.0', 8, 'a loopback address'],
  ['169.254.0.0', 16, 'a link-local address'],
  ['172.16.0.0', 12, 'a private address'],
  ['192.0.0.0', 24, 'a reserved address'],
  ['192.168.0.0', 16, 'a private address'],
  ['198.18.0.0', 15, 'a reserved (benchmarking) address'],
  ['224.0.0.0', 4, 'a multicast address'],
  ['240.0.0.0', 4, 'a reserved address'],
];
const V6_RANGES: [string, number, string][] = [
  ['::', 128, 'the unspecified address'],
  ['::1', 128, 'a loopback address'],
  // The deprecated IPv4-compatible form (::a.b.c.d): nothing public uses it.
  ['::', 96, 'a reserved address'],
  ['100::', 64, 'a reserved (discard) address'],
  ['2001:db8::', 32, 'a reserved (documentation) address'],
  ['fc00::', 7, 'a private (unique local) address'],
  ['fe80::', 10, 'a link-local address'],
  ['fec0::', 10, 'a private (site-local) address'],
  ['ff00::', 8, 'a multicast address'],
];

function v4Number(address: string): number {
  return address.split('.').reduce((n, part) => n * 256 + Number(part), 0);
}

/** An IPv6 address as a 128-bit number (a trailing dotted quad and a zone id allowed). */
function v6Number(address: string): bigint {
  let a = address.replace(/%.*$/, '');
  const quad = /(\d+\.\d+\.\d+\.\d+)$/.exec(a);
  if (quad) {
    const n = v4Number(quad[1]!);
    a = a.slice(0, quad.index) + `${(n >>> 16).toString(16)}:${(n & 0xffff).toString(16)}`;
  }
  const [head, tail] = a.includes('::') ? a.split('::') : [a, undefined];
  const left = head ? head.split(':') : [];
  const right = tail ? tail.split(':') : [];
  const groups = tail === undefined ? left : [...left, ...Array<string>(8 - left.length - right.length).fill('0'), ...right];
  return groups.reduce((n, g) => (n << 16n) | BigInt(parseInt(g || '0', 16)), 0n);
}

const inV4 = (n: number, [base, bits]: [string, number, string]) => bits === 0 || Math.floor(n / 2 ** (32 - bits)) === Math.floor(v4Number(base) / 2 ** (32 - bits));
const inV6 = (n: bigint, [base, bits]: [string, number, string]) => n >> BigInt(128 - bits) === v6Number(base) >> BigInt(128 - bits);

/** Why an address is not a public one ("a loopback address"), or undefined when it is public. */
export function nonPublicReason(address: string): string | undefined {
  const kind = net.isIP(address.replace(/%.*$/, ''));
  if (kind === 4) return V4_RANGES.find((r) => inV4(v4Number(address), r))?.[2];
  if (kind !== 6) return 'not an IP address';
  const n = v6Number(address);
  // IPv4-mapped (::ffff:a.b.c.d) and NAT64 (64:ff9b::a.b.c.d) addresses reach the IPv4 address inside.
  const mapped = n >> 32n === 0xffffn || n >> 32n === 0x64ff9b0000000000000000n;
  if (mapped) {
    const v4 = Number(n & 0xffffffffn);
    return nonPublicReason([v4 >>> 24, (v4 >>> 16) & 255, (v4 >>> 8) & 255, v4 & 255].join('.'));
  }
  return V6_RANGES.find((r) => inV6(n, r))?.[2];
}

/** A connection refused by the address rule; its message names the host and the address. */
export class PrivateAddressError extends Error {
  readonly code = 'EPRIVATEADDRESS';
  constructor(
    readonly host: string,
    readonly address: string,
    readonly reason: string,
  ) {
    super(host === address ? `${host} is ${reason}` : `${host} resolves to ${address}, ${reason}`);
  }
}

/** The host of a URL as a resolver or an address check takes it (no IPv6 brackets). */
export const bareHost = (url: URL) => url.hostname.replace(/^\[(.*)\]$/, '$1');

/**
 * Resolves a URL's host and checks every address it resolves to (an IP literal is checked as
 * it is). Throws PrivateAddressError for a non-public one unless `allowPrivate`, and the
 * resolver's error (ENOTFOUND…) when the name does not resolve.
 */
export async function checkHost(url: URL, allowPrivate: boolean): Promise<void> {
  const host = bareHost(url);
  const addresses = net.isIP(host) ? [host] : (await dns.promises.lookup(host, { all: true, verbatim: true })).map((a) => a.address);
  if (allowPrivate) return;
  for (const address of addresses) {
    const reason = nonPublicReason(address);
    if (reason) throw new PrivateAddressError(host, address, reason);
  }
}

/**
 * A `lookup` for the sockets of a crawl: resolves as dns.lookup does, then refuses the
 * connection when any address is not public (unless `allowPrivate`). Checking where the
 * socket connects, not only before the request, means a name that resolves to a public
 * address for the check and to a private one for the connection (DNS rebinding) is refused.
 */
export function guardedLookup(allowPrivate: boolean): net.LookupFunction {
  return (hostname, options, callback) => {
    dns.lookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, '', 0);
      const list = addresses as dns.LookupAddress[];
      const bad = allowPrivate ? undefined : list.map((a) => ({ a, reason: nonPublicReason(a.address) })).find((x) => x.reason);
      if (bad) return callback(Object.assign(new PrivateAddressError(hostname, bad.a.address, bad.reason!), { errno: 0, syscall: 'lookup' }) as NodeJS.ErrnoException, '', 0);
      if (!list.length) return callback(Object.assign(new Error(`${hostname} has no address`), { code: 'ENOTFOUND' }), '', 0);
      if (options.all) return callback(null, list);
      callback(null, list[0]!.address, list[0]!.family);
    });
  };
}
