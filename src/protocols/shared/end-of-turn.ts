/**
 * Connections that wrote during this event-loop turn, flushed together by one scheduled
 * callback (DESIGN §4: the writes of one turn leave in one batch). One list per protocol
 * instead of a bound flush function per connection keeps idle connections small
 * (docs/performance.md "Memory per idle connection").
 */
export class EndOfTurnFlush<C> {
  private pending: C[] = [];

  /**
   * @param schedule when the batch is flushed (queueMicrotask, or process.nextTick where a
   *   protocol flushes after promise jobs too)
   * @param flush what flushing one connection means (uncork its stream)
   */
  constructor(
    private readonly schedule: (run: () => void) => void,
    private readonly flush: (connection: C) => void,
  ) {}

  private readonly run = (): void => {
    const list = this.pending;
    this.pending = [];
    for (const c of list) this.flush(c);
  };

  /** Flush `connection` at the end of this turn; call once per corking. */
  add(connection: C): void {
    if (this.pending.push(connection) === 1) this.schedule(this.run);
  }
}
