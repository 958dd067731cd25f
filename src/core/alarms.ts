import type { AlarmState } from './api.js';

/**
 * Resource alarms (memory, disk), raised and cleared by the server's monitors.
 * The core does not refuse publishes itself: protocols pause publishing
 * connections while an alarm is active (RabbitMQ connection.blocked).
 */
export class Alarms implements AlarmState {
  private readonly sources = new Set<string>();
  private readonly listeners = new Set<(active: boolean, reason: string) => void>();

  get active(): boolean {
    return this.sources.size > 0;
  }

  /** Active source names (e.g. 'memory', 'disk'). */
  list(): string[] {
    return [...this.sources];
  }

  setAlarm(source: string, active: boolean): void {
    const was = this.active;
    if (active) this.sources.add(source);
    else this.sources.delete(source);
    if (was === this.active) return;
    const reason = this.active ? `low on ${[...this.sources].join(' and ')}` : '';
    for (const l of [...this.listeners]) {
      try {
        l(this.active, reason);
      } catch {
        // A listener bug must not stop the others from hearing about the alarm.
      }
    }
  }

  onChange(listener: (active: boolean, reason: string) => void): () => void {
    this.listeners.add(listener);
    return () => {
      this.listeners.delete(listener);
    };
  }
}
