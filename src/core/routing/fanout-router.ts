import type { Message } from '../message.js';
import type { Binding, Router } from './binding.js';

/** Fanout exchange: every binding, routing key ignored (AMQP 0-9-1 §3.1.3.2). */
export class FanoutRouter<D> implements Router<D> {
  private readonly all: Binding<D>[] = [];

  add(b: Binding<D>): void {
    this.all.push(b);
  }

  remove(b: Binding<D>): void {
    const i = this.all.indexOf(b);
    if (i >= 0) this.all.splice(i, 1);
  }

  route(_routingKey: string, _message: Message): readonly Binding<D>[] {
    return this.all;
  }
}
