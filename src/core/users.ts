import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { User } from './api.js';

export const HASHING_ALGORITHM = 'rabbit_password_hashing_sha256';

/**
 * RabbitMQ's rabbit_password_hashing_sha256: a 4-byte random salt, then
 * base64(salt ++ sha256(salt ++ utf8(password))). Hashes exported from RabbitMQ's
 * definitions.json verify here and the other way round.
 */
export function hashPassword(password: string, salt: Buffer = randomBytes(4)): string {
  const digest = createHash('sha256').update(salt).update(password, 'utf8').digest();
  return Buffer.concat([salt, digest]).toString('base64');
}

export function checkPassword(password: string, stored: string): boolean {
  const raw = Buffer.from(stored, 'base64');
  if (raw.length !== 4 + 32) return false;
  const salt = raw.subarray(0, 4);
  const expected = Buffer.from(hashPassword(password, salt), 'base64');
  return timingSafeEqual(raw, expected);
}

/** One user's rights in one vhost: three regexes over resource names (RabbitMQ access control). */
export class Permission {
  readonly configure: RegExp | undefined;
  readonly write: RegExp | undefined;
  readonly read: RegExp | undefined;
  /** Memoised answers per kind; names repeat on the hot path (publish to the same exchange). */
  private readonly cache = { configure: new Map<string, boolean>(), write: new Map<string, boolean>(), read: new Map<string, boolean>() };

  constructor(
    readonly configureSrc: string,
    readonly writeSrc: string,
    readonly readSrc: string,
  ) {
    this.configure = compile(configureSrc);
    this.write = compile(writeSrc);
    this.read = compile(readSrc);
  }

  allows(kind: 'configure' | 'write' | 'read', name: string): boolean {
    const cache = this.cache[kind];
    const hit = cache.get(name);
    if (hit !== undefined) return hit;
    const re = this[kind];
    const ok = re !== undefined && re.test(name);
    if (cache.size > 10000) cache.clear();
    cache.set(name, ok);
    return ok;
  }
}

/** RabbitMQ: an empty pattern grants nothing; otherwise an unanchored regex match. */
function compile(src: string): RegExp | undefined {
  if (src === '') return undefined;
  try {
    return new RegExp(src);
  } catch {
    return undefined;
  }
}

export interface UserRecord extends User {
  readonly name: string;
  readonly tags: readonly string[];
  passwordHash: string;
  readonly hashingAlgorithm: string;
  /** vhost -> permission */
  readonly permissions: Map<string, Permission>;
}

/** Loopback peers: 127.0.0.0/8, ::1 and IPv4-mapped 127.x (RabbitMQ loopback_users). */
export function isLoopback(address: string): boolean {
  if (address === '::1' || address === '0:0:0:0:0:0:0:1') return true;
  const a = address.toLowerCase().startsWith('::ffff:') ? address.slice(7) : address;
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(a);
}
