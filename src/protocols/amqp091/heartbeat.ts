/**
 * Heartbeats (AMQP 0-9-1 §4.2.7): a timer at half the negotiated interval sends a
 * heartbeat frame when nothing else was written since the last tick, and declares
 * the peer dead after four silent ticks (two intervals), RabbitMQ's rule.
 */
export class Heartbeat {
  private timer: NodeJS.Timeout | undefined;
  private received = true;
  private sent = false;
  private silentTicks = 0;
  /** While we do not read the socket (blocked publisher, tx commit) silence is ours, not the peer's. */
  private monitorPaused = false;

  constructor(
    seconds: number,
    private readonly send: () => void,
    private readonly dead: () => void,
  ) {
    if (seconds === 0) return;
    this.timer = setInterval(() => this.tick(), (seconds * 1000) / 2);
    this.timer.unref?.();
  }

  /** Octets arrived from the peer. */
  markReceived(): void {
    this.received = true;
  }

  /** RabbitMQ pauses the receive monitor of a connection it stopped reading. */
  pauseMonitor(paused: boolean): void {
    this.monitorPaused = paused;
    if (paused) this.silentTicks = 0;
  }

  /** Octets were written to the peer. */
  markSent(): void {
    this.sent = true;
  }

  private tick(): void {
    if (!this.sent) this.send();
    this.sent = false;
    if (this.received || this.monitorPaused) {
      this.silentTicks = 0;
      this.received = false;
    } else if (++this.silentTicks >= 4) {
      this.stop();
      this.dead();
    }
  }

  stop(): void {
    if (this.timer !== undefined) clearInterval(this.timer);
    this.timer = undefined;
  }
}
