// Which hosts a company's connected mailbox may make us connect to. A mailbox's SMTP host is typed
// in by a user of the CRM; left unchecked it turns the service into a port scanner of its own
// network (and a way to hand the stored password to a local listener). So a mailbox host must
// resolve to public unicast addresses only — no loopback, private, link-local, CGNAT, multicast
// or reserved ranges — unless the operator allows private hosts (MAILBOX_ALLOW_PRIVATE_HOSTS,
// e.g. a relay on the company network; the tests set it).
//
// Checked when a mailbox is saved (early feedback) and again when we connect (DNS can change in
// between): the SMTP adapter resolves once, checks, and connects to that very address.
import { lookup as dnsLookup } from 'node:dns/promises';
import { isIP } from 'node:net';
import ipaddr from 'ipaddr.js';

export interface HostPolicy {
  /** Allow loopback, private and link-local addresses (MAILBOX_ALLOW_PRIVATE_HOSTS). */
  allowPrivateHosts: boolean;
  /** DNS lookup of every address of a name; node's resolver unless a caller supplies one. */
  lookup?: (host: string) => Promise<Array<{ address: string; family: number }>>;
}

export type HostRefusal = 'not-public' | 'unresolvable';

export class HostRefusedError extends Error {
  override readonly name = 'HostRefusedError';
  constructor(
    readonly reason: HostRefusal,
    message: string,
  ) {
    super(message);
  }
}

/** True for an address on the public internet (ipaddr.js range `unicast`, IPv4-mapped unwrapped). */
export function isPublicAddress(address: string): boolean {
  if (!ipaddr.isValid(address)) return false;
  return ipaddr.process(address).range() === 'unicast';
}

const defaultLookup = (host: string) => dnsLookup(host, { all: true, verbatim: true });

/**
 * The address to connect to for `host`: an IP literal as is, a name resolved once. Refuses
 * (HostRefusedError) when any address is not public and the policy does not allow private hosts —
 * any, not just the first, since a name can list a public address beside an internal one.
 */
export async function resolveAllowedHost(host: string, policy: HostPolicy): Promise<string> {
  let addresses: string[];
  if (isIP(host)) addresses = [host];
  else {
    try {
      addresses = (await (policy.lookup ?? defaultLookup)(host)).map((a) => a.address);
    } catch (error) {
      const code = (error as { code?: unknown }).code;
      throw new HostRefusedError(
        'unresolvable',
        `${host} does not resolve${typeof code === 'string' ? ` (${code})` : ''}`,
      );
    }
    if (addresses.length === 0) throw new HostRefusedError('unresolvable', `${host} does not resolve`);
  }
  if (!policy.allowPrivateHosts) {
    const internal = addresses.find((a) => !isPublicAddress(a));
    if (internal !== undefined)
      throw new HostRefusedError(
        'not-public',
        `${host} resolves to ${internal}, which is not a public address (loopback, private and link-local hosts are refused unless the operator sets MAILBOX_ALLOW_PRIVATE_HOSTS)`,
      );
  }
  return addresses[0]!;
}
