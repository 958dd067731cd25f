/**
 * Memory and disk alarms, as RabbitMQ raises them: when the process's memory use
 * crosses the high watermark, or free space on the data directory's filesystem falls
 * below the limit, the core's alarm is set; protocols then block publishers
 * (AMQP connection.blocked, their sockets no longer read) while consumers keep
 * draining. Cleared alarms resume publishing.
 */
import { statfsSync } from 'node:fs';
import { totalmem } from 'node:os';
import type { Logger } from '../core/api.js';

export interface AlarmSink {
  setAlarm(source: string, active: boolean): void;
}

export interface MonitorOptions {
  readonly memoryHighWatermark: number;
  readonly diskFreeLimit: number;
  readonly checkIntervalMs: number;
  readonly dataDir: string;
}

/** Resolve a watermark given as a fraction of RAM (<= 1) or as bytes. */
export const memoryLimitBytes = (watermark: number, total = totalmem()): number => (watermark <= 1 ? Math.floor(total * watermark) : Math.floor(watermark));

export function diskFreeBytes(dir: string): number {
  const s = statfsSync(dir);
  return s.bavail * s.bsize;
}

export class ResourceMonitor {
  private timer: NodeJS.Timeout | undefined;
  private memoryAlarm = false;
  private diskAlarm = false;
  readonly memoryLimit: number;

  constructor(
    private readonly opts: MonitorOptions,
    private readonly alarms: AlarmSink,
    private readonly log: Logger,
    /** Injected for tests. */
    private readonly sample: { rss(): number; diskFree(): number } = {
      rss: () => process.memoryUsage.rss(),
      diskFree: () => diskFreeBytes(opts.dataDir),
    },
  ) {
    this.memoryLimit = memoryLimitBytes(opts.memoryHighWatermark);
  }

  start(): void {
    this.check();
    this.timer = setInterval(() => this.check(), this.opts.checkIntervalMs);
    this.timer.unref();
  }

  stop(): void {
    if (this.timer) clearInterval(this.timer);
  }

  check(): void {
    const rss = this.sample.rss();
    const memory = rss > this.memoryLimit;
    if (memory !== this.memoryAlarm) {
      this.memoryAlarm = memory;
      this.log.warn({ rss, limit: this.memoryLimit }, memory ? 'memory alarm set: publishers blocked' : 'memory alarm cleared');
      this.alarms.setAlarm('memory', memory);
    }
    let free: number;
    try {
      free = this.sample.diskFree();
    } catch (err) {
      this.log.warn({ err }, 'cannot read free disk space');
      return;
    }
    const disk = free < this.opts.diskFreeLimit;
    if (disk !== this.diskAlarm) {
      this.diskAlarm = disk;
      this.log.warn({ free, limit: this.opts.diskFreeLimit }, disk ? 'disk alarm set: publishers blocked' : 'disk alarm cleared');
      this.alarms.setAlarm('disk', disk);
    }
  }
}
