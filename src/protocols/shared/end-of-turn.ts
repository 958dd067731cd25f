/**
 * Connections that wrote during this event-loop turn, flushed together by one scheduled
 * callback (DESIGN §4: the writes of one turn leave in one batch). One list per protocol
 * instead of a bound flush function per connection keeps idle connections small
 * (docs/performance.md "Memory per idle connection").
 */
export class EndOfTurnFlush<C> {
  /**
   * Two lists used in turn and emptied slot by slot: `pending = []` per turn, or
   * `length = 0`, would drop the array's backing store and allocate a new one on the
   * next push (V8), once per turn.
   */
  private pending: (C | undefined)[] = [];
  private count = 0;
  private spare: (C | undefined)[] = [];

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
    const n = this.count;
    // A flush that writes again lands in the other list, with a new tick of its own.
    this.pending = this.spare;
    this.spare = list;
    this.count = 0;
    for (let i = 0; i < n; i++) {
      const c = list[i] as C;
      list[i] = undefined;
      this.flush(c);
    }
  };

  /** Flush `connection` at the end of this turn; call once per corking. */
  add(connection: C): void {
    this.pending[this.count++] = connection;
    if (this.count === 1) process.nextTick(this.run);
  }
}
