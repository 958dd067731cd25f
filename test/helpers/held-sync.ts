/** For protocol unit tests that must control when the store's fsync "completes". */
import type { Broker } from '../../src/core/api.js';

/**
 * The real broker, except that afterSync callbacks wait in `held` (in call order) until
 * the test runs them.
 */
export function holdingAfterSync(broker: Broker): { wrapped: Broker; held: Array<() => void> } {
  const held: Array<() => void> = [];
  const wrapped = Object.create(broker) as Broker;
  (wrapped as { afterSync: Broker['afterSync'] }).afterSync = (done) => void held.push(done);
  return { wrapped, held };
}
