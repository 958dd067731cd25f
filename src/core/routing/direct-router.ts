import type { Message } from '../message.js';
import type { Binding, Router } from './binding.js';

const NONE: readonly never[] = [];

/** Direct exchange: exact routing-key match, one map lookup (AMQP 0-9-1 §3.1.3.1). */
export class DirectRouter<D> implements Router<D> {
  private readonly byKey = new Map<string, Binding<D>[]>();

  add(b: Binding<D>): void {
    const list = this.byKey.get(b.routingKey);
    if (list) list.push(b);
    else this.byKey.set(b.routingKey, [b]);
  }

  remove(b: Binding<D>): void {
    const list = this.byKey.get(b.routingKey);
    if (!list) return;
    const i = list.indexOf(b);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.byKey.delete(b.routingKey);
  }

  route(routingKey: string, _message: Message): readonly Binding<D>[] {
    return this.byKey.get(routingKey) ?? NONE;
  }
}
