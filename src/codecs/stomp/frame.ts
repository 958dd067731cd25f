/**
 * STOMP frame model shared by the decoder and the encoder (STOMP 1.0, 1.1, 1.2).
 * No broker types here: a frame is a command, a header map and a body slice.
 */

export type StompVersion = '1.0' | '1.1' | '1.2';

/** Frames a client sends (STOMP 1.2 "Client Frames"). */
export type ClientCommand =
  | 'CONNECT'
  | 'STOMP'
  | 'SEND'
  | 'SUBSCRIBE'
  | 'UNSUBSCRIBE'
  | 'ACK'
  | 'NACK'
  | 'BEGIN'
  | 'COMMIT'
  | 'ABORT'
  | 'DISCONNECT';

/** Frames a server sends (STOMP 1.2 "Server Frames"). */
export type ServerCommand = 'CONNECTED' | 'MESSAGE' | 'RECEIPT' | 'ERROR';

export type StompCommand = ClientCommand | ServerCommand;

/**
 * Static command table: the decoder maps the command line through this table only
 * (DESIGN §5: never turn a wire string into anything but a table lookup).
 * Commands are case-sensitive (STOMP 1.2 "Augmented BNF": command names are literal).
 */
const COMMANDS: ReadonlyMap<string, StompCommand> = new Map<string, StompCommand>([
  ['CONNECT', 'CONNECT'],
  ['STOMP', 'STOMP'],
  ['SEND', 'SEND'],
  ['SUBSCRIBE', 'SUBSCRIBE'],
  ['UNSUBSCRIBE', 'UNSUBSCRIBE'],
  ['ACK', 'ACK'],
  ['NACK', 'NACK'],
  ['BEGIN', 'BEGIN'],
  ['COMMIT', 'COMMIT'],
  ['ABORT', 'ABORT'],
  ['DISCONNECT', 'DISCONNECT'],
  ['CONNECTED', 'CONNECTED'],
  ['MESSAGE', 'MESSAGE'],
  ['RECEIPT', 'RECEIPT'],
  ['ERROR', 'ERROR'],
]);

export function lookupCommand(text: string): StompCommand | undefined {
  return COMMANDS.get(text);
}

const CLIENT_COMMANDS: ReadonlySet<StompCommand> = new Set<StompCommand>([
  'CONNECT', 'STOMP', 'SEND', 'SUBSCRIBE', 'UNSUBSCRIBE', 'ACK', 'NACK', 'BEGIN', 'COMMIT', 'ABORT', 'DISCONNECT',
]);

export function isClientCommand(c: StompCommand): c is ClientCommand {
  return CLIENT_COMMANDS.has(c);
}

/**
 * Header map. Created with a null prototype so wire names such as `__proto__` or
 * `constructor` are plain keys. When a header repeats, the first value wins
 * (STOMP 1.2 "Repeated Header Entries"); `repeated` keeps later values for those
 * who care (none of the server's logic does).
 */
export type StompHeaders = Record<string, string>;

export function newHeaders(): StompHeaders {
  return Object.create(null) as StompHeaders;
}

export interface StompFrame {
  readonly command: StompCommand;
  readonly headers: StompHeaders;
  /** Number of header lines on the wire (repeats included). */
  readonly headerCount: number;
  /** A slice of the received bytes (never copied for a frame that arrived in one chunk). */
  readonly body: Buffer;
}

/** Commands whose headers are never escaped (STOMP 1.2 "Value Encoding": CONNECT and CONNECTED). */
export function isUnescapedCommand(c: StompCommand): boolean {
  return c === 'CONNECT' || c === 'STOMP' || c === 'CONNECTED';
}
