/**
 * STOMP destination strings, both engines' conventions at once (DESIGN §1):
 *
 *   /queue/x          queue x via the default exchange (ActiveMQ and RabbitMQ agree)
 *   /topic/x          routing key x on amq.topic; ActiveMQ wildcards `>` -> `#`
 *   /exchange/e/rk    RabbitMQ: exchange e, routing key (or binding pattern) rk
 *   /amq/queue/q      RabbitMQ: existing queue q, never declared by STOMP
 *   /temp-queue/x     a private queue of this connection (reply queues)
 *   /reply-queue/q    RabbitMQ: the rewritten reply-to of someone's temp queue
 *   /temp-topic/x     ActiveMQ: a private topic of this connection
 */
import { StompError } from './errors.js';

export type Destination =
  | { readonly kind: 'queue'; readonly name: string }
  | { readonly kind: 'topic'; readonly key: string }
  | { readonly kind: 'exchange'; readonly exchange: string; readonly key: string }
  | { readonly kind: 'amq-queue'; readonly name: string }
  | { readonly kind: 'temp-queue'; readonly name: string }
  | { readonly kind: 'reply-queue'; readonly name: string }
  | { readonly kind: 'temp-topic'; readonly name: string };

const PREFIXES = ['/queue/', '/topic/', '/exchange/', '/amq/queue/', '/temp-queue/', '/reply-queue/', '/temp-topic/'] as const;

/** Percent-decoding as RabbitMQ does for names that may contain '/' (e.g. %2F). */
function decodeName(s: string): string {
  if (s.indexOf('%') === -1) return s;
  try {
    return decodeURIComponent(s);
  } catch {
    throw new StompError('Invalid destination', `'${s}' has an invalid percent-encoding`);
  }
}

/** ActiveMQ topic wildcard `>` (whole level) is AMQP topic `#`; `*` is the same in both. */
export function topicKey(s: string): string {
  if (s.indexOf('>') === -1) return s;
  return s
    .split('.')
    .map((w) => (w === '>' ? '#' : w))
    .join('.');
}

export function parseDestination(text: string): Destination {
  for (const prefix of PREFIXES) {
    if (!text.startsWith(prefix)) continue;
    const rest = text.slice(prefix.length);
    if (rest.length === 0 && prefix !== '/exchange/') throw invalid(text);
    switch (prefix) {
      case '/queue/':
        return { kind: 'queue', name: rest };
      case '/topic/':
        return { kind: 'topic', key: topicKey(rest) };
      case '/exchange/': {
        const slash = rest.indexOf('/');
        const exchange = decodeName(slash < 0 ? rest : rest.slice(0, slash));
        if (exchange.length === 0) throw invalid(text);
        return { kind: 'exchange', exchange, key: slash < 0 ? '' : rest.slice(slash + 1) };
      }
      case '/amq/queue/':
        return { kind: 'amq-queue', name: decodeName(rest) };
      case '/temp-queue/':
        return { kind: 'temp-queue', name: rest };
      case '/reply-queue/':
        return { kind: 'reply-queue', name: decodeName(rest) };
      case '/temp-topic/':
        return { kind: 'temp-topic', name: rest };
    }
  }
  throw invalid(text);
}

function invalid(text: string): StompError {
  const shown = text.length > 200 ? text.slice(0, 200) + '...' : text;
  return new StompError(
    'Unknown destination',
    `'${shown}' is not a valid destination. Valid destination types are: /queue/, /topic/, /exchange/, /amq/queue/, /temp-queue/, /reply-queue/, /temp-topic/.`,
  );
}

/**
 * The STOMP destination a routed message is shown with in MESSAGE frames, from the
 * exchange and routing key it was published with (RabbitMQ's rule).
 */
export function destinationOf(exchange: string, routingKey: string): string {
  if (exchange === '') return '/queue/' + routingKey;
  if (exchange === 'amq.topic') return '/topic/' + routingKey;
  return '/exchange/' + (exchange.indexOf('/') === -1 ? exchange : encodeURIComponent(exchange)) + '/' + routingKey;
}
