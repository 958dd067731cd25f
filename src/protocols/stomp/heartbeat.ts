/**
 * Heart-beating (STOMP 1.1/1.2 "Heart-beating"). CONNECT carries `heart-beat:cx,cy`
 * (cx: the smallest interval the client can send at, cy: the interval it wants to
 * receive at); CONNECTED answers `sx,sy`. Each direction is 0 (off) when either side
 * says 0, else the larger of the two values. Any received byte counts as life (EOLs
 * and frames alike).
 */
export interface HeartbeatPlan {
  /** Server -> client interval in ms (0 = none). */
  readonly sendMs: number;
  /** Client -> server interval in ms (0 = not enforced). */
  readonly receiveMs: number;
  /** Value of the CONNECTED heart-beat header. */
  readonly header: string;
}

const HB = /^\s*([0-9]{1,9})\s*,\s*([0-9]{1,9})\s*$/;

/** Returns undefined for a malformed header (a protocol error). */
export function negotiateHeartbeat(clientHeader: string | undefined, serverSendMs: number, serverReceiveMs: number): HeartbeatPlan | undefined {
  let cx = 0;
  let cy = 0;
  if (clientHeader !== undefined) {
    const m = HB.exec(clientHeader);
    if (m === null) return undefined;
    cx = Number(m[1]);
    cy = Number(m[2]);
  }
  const sendMs = cy === 0 || serverSendMs === 0 ? 0 : Math.max(cy, serverSendMs);
  const receiveMs = cx === 0 || serverReceiveMs === 0 ? 0 : Math.max(cx, serverReceiveMs);
  return { sendMs, receiveMs, header: `${serverSendMs},${serverReceiveMs}` };
}

/**
 * Timers for one connection. Sending: a tick at half the interval sends an EOL when
 * nothing was written since the previous tick, so the gap between writes never
 * exceeds the interval. Receiving: the connection is dead when no byte arrived for
 * `grace` intervals.
 */
export class Heartbeat {
  private sendTimer: NodeJS.Timeout | undefined;
  private receiveTimer: NodeJS.Timeout | undefined;
  private wrote = true;
  private lastRead = Date.now();
  /** Reading is suspended on purpose (flow control): silence is not death. */
  private receivePaused = false;

  constructor(
    private readonly plan: HeartbeatPlan,
    private readonly grace: number,
    private readonly sendBeat: () => void,
    private readonly dead: () => void,
  ) {}

  start(): void {
    if (this.plan.sendMs > 0) {
      this.sendTimer = setInterval(() => {
        if (!this.wrote) this.sendBeat();
        this.wrote = false;
      }, Math.max(1, Math.floor(this.plan.sendMs / 2)));
      this.sendTimer.unref();
    }
    if (this.plan.receiveMs > 0) {
      const limit = this.plan.receiveMs * this.grace;
      this.lastRead = Date.now();
      this.receiveTimer = setInterval(() => {
        if (!this.receivePaused && Date.now() - this.lastRead > limit) this.dead();
      }, Math.max(1, Math.floor(this.plan.receiveMs / 2)));
      this.receiveTimer.unref();
    }
  }

  /** Called on every write (cheap: a flag). */
  noteWrite(): void {
    this.wrote = true;
  }

  /** Called once per received chunk. */
  noteRead(): void {
    if (this.receiveTimer !== undefined) this.lastRead = Date.now();
  }

  /**
   * The connection stopped reading (a resource alarm blocks this publisher): the
   * client's heart-beats sit unread in the socket, so the receive check is suspended
   * until reading resumes (RabbitMQ pauses its heart-beat monitor the same way).
   */
  pauseReceive(): void {
    this.receivePaused = true;
  }

  resumeReceive(): void {
    this.receivePaused = false;
    this.lastRead = Date.now();
  }

  stop(): void {
    if (this.sendTimer !== undefined) clearInterval(this.sendTimer);
    if (this.receiveTimer !== undefined) clearInterval(this.receiveTimer);
    this.sendTimer = this.receiveTimer = undefined;
  }
}
