/**
 * Connections that wrote during this event-loop turn, flushed together by one scheduled
 * callback (DESIGN §4: the writes of one turn leave in one batch). One list per protocol
 * instead of a bound flush function per connection keeps idle connections small
 * (docs/performance.md "Memory per idle connection").
 */
export class EndOfTurnFlush<C> {
  private pending: C[] = [];

  /**
   * @param flush what flushing one connection means (uncork its stream)
   *
   * The batch is flushed from process.nextTick: after the I/O callback that wrote, before
   * the next one. Node's queueMicrotask would also do, but it allocates an AsyncResource
   * and a bound function per call, which showed in allocation profiles at one message per
   * turn (docs/performance.md). A later point (setImmediate, after every socket read in the
   * loop iteration) made bigger batches but measured slower for MQTT QoS 1 100x100.
   */
  constructor(private readonly flush: (connection: C) => void) {}

  private readonly run = (): void => {
    const list = this.pending;
    this.pending = [];
    for (const c of list) this.flush(c);
  };

  /** Flush `connection` at the end of this turn; call once per corking. */
  add(connection: C): void {
    if (this.pending.push(connection) === 1) process.nextTick(this.run);
  }
}
