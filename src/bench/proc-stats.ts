import { readFileSync } from 'node:fs';

/**
 * CPU time and resident memory of another process (the broker under test), read from
 * /proc (Linux). CPU is utime+stime (proc(5) fields 14 and 15, in clock ticks); memory
 * is VmRSS from /proc/<pid>/status, sampled periodically for the peak.
 */

/** USER_HZ: 100 on every Linux architecture Node supports (it is not the kernel's HZ). */
const CLOCK_TICKS = 100;

export function cpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
  // The command name (field 2) may contain spaces and ')': fields resume after the last ')'.
  const rest = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // rest[0] is field 3 (state), so field 14 (utime) is rest[11] and field 15 (stime) rest[12].
  return (Number(rest[11]) + Number(rest[12])) / CLOCK_TICKS;
}

export function rssBytes(pid: number): number {
  const status = readFileSync(`/proc/${pid}/status`, 'latin1');
  const m = /^VmRSS:\s+(\d+)\s+kB/m.exec(status);
  return m ? Number(m[1]) * 1024 : 0;
}

export interface ProcWindow {
  pid: number;
  cpuSeconds: number;
  rssStartBytes: number;
  rssEndBytes: number;
  rssPeakBytes: number;
}

/** Samples a process from start() to stop(). Missing /proc entries are reported as errors by start(). */
export class ProcSampler {
  private cpu0 = 0;
  private rss0 = 0;
  private peak = 0;
  private timer: NodeJS.Timeout | null = null;
  started = false;

  constructor(readonly pid: number) {}

  start(): void {
    this.cpu0 = cpuSeconds(this.pid);
    this.rss0 = rssBytes(this.pid);
    this.peak = this.rss0;
    this.started = true;
    this.timer = setInterval(() => this.sample(), 200);
    this.timer.unref();
  }

  sample(): number {
    try {
      const r = rssBytes(this.pid);
      if (r > this.peak) this.peak = r;
      return r;
    } catch {
      return 0;
    }
  }

  stop(): ProcWindow {
    if (this.timer) clearInterval(this.timer);
    this.timer = null;
    const end = this.sample();
    let cpu = NaN;
    try {
      cpu = cpuSeconds(this.pid) - this.cpu0;
    } catch {
      // the process exited during the run
    }
    return { pid: this.pid, cpuSeconds: cpu, rssStartBytes: this.rss0, rssEndBytes: end, rssPeakBytes: this.peak };
  }
}
