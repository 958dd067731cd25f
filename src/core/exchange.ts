import type { ExchangeInfo, ExchangeOptions, ExchangeType } from './api.js';
import type { Message } from './message.js';
import type { Binding, Router } from './routing/binding.js';
import { DirectRouter } from './routing/direct-router.js';
import { FanoutRouter } from './routing/fanout-router.js';
import { HeadersRouter } from './routing/headers-router.js';
import { TopicRouter } from './routing/topic-router.js';
import type { Queue } from './queue.js';

export type Destination = Queue | Exchange;

/** The registry of exchange types: a static table, never built from a wire string. */
const ROUTERS: Record<ExchangeType, () => Router<Destination>> = {
  direct: () => new DirectRouter<Destination>(),
  fanout: () => new FanoutRouter<Destination>(),
  topic: () => new TopicRouter<Destination>(),
  headers: () => new HeadersRouter<Destination>(),
};

export const isExchangeType = (t: string): t is ExchangeType => Object.prototype.hasOwnProperty.call(ROUTERS, t);

export class Exchange {
  readonly kind = 'exchange' as const;
  /** Bindings where this exchange is the source, by identity key. */
  readonly outgoing = new Map<string, Binding<Destination>>();
  /** Exchange-to-exchange bindings where this exchange is the destination: `${source}\0${bindingKey}`. */
  readonly incoming = new Set<string>();
  /** Routing-pass marker: equal to the current pass number once visited (cycle safety). */
  mark = 0;
  alternate: string | undefined;
  private readonly router: Router<Destination>;

  constructor(
    readonly name: string,
    readonly type: ExchangeType,
    readonly options: ExchangeOptions,
    /** The nameless default exchange routes by queue name and has no binding table. */
    readonly isDefault = false,
  ) {
    this.router = ROUTERS[type]();
    const ae = options.arguments['alternate-exchange'];
    this.alternate = typeof ae === 'string' ? ae : Buffer.isBuffer(ae) ? ae.toString('utf8') : undefined;
  }

  addBinding(b: Binding<Destination>): void {
    this.outgoing.set(b.key, b);
    this.router.add(b);
  }

  removeBinding(b: Binding<Destination>): void {
    this.outgoing.delete(b.key);
    this.router.remove(b);
  }

  route(routingKey: string, message: Message): readonly Binding<Destination>[] {
    return this.router.route(routingKey, message);
  }

  info(): ExchangeInfo {
    return { name: this.name, type: this.type, ...this.options };
  }
}
