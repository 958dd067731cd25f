/** A definitions document whose size and contents are a function of n (to check integrity). */
import type { Definitions } from '../../../src/store/api.js';

export function definitionsNumber(n: number): Definitions {
  const queues = Array.from({ length: 1 + (n % 50) * 20 }, (_, i) => ({
    vhost: '/',
    name: `q-${n}-${i}`,
    durable: true,
    auto_delete: false,
    arguments: { 'x-queue-type': 'classic', 'x-n': n },
  }));
  return {
    version: 1,
    users: [{ name: 'guest', password_hash: `hash-${n}`, hashing_algorithm: 'rabbit_password_hashing_sha256', tags: ['administrator'] }],
    vhosts: [{ name: '/' }, { name: `v${n}` }],
    permissions: [{ user: 'guest', vhost: '/', configure: '.*', write: '.*', read: '.*' }],
    exchanges: [],
    queues,
    bindings: [],
  };
}

/** The n a loaded document was generated from (from its user's password hash). */
export const numberOf = (d: Definitions): number => Number(d.users[0]!.password_hash.slice('hash-'.length));
