/** Static command -> handler table (no lookup by wire string beyond this map). */
import type { ClientCommand, StompFrame } from '../../../codecs/stomp/frame.js';
import type { StompConnection } from '../connection.js';
import { onConnect, onDisconnect } from './connect.js';
import { onSend } from './send.js';
import { onSubscribe, onUnsubscribe } from './subscribe.js';
import { onAck } from './ack.js';
import { onAbort, onBegin, onCommit } from './transaction.js';

type Handler = (conn: StompConnection, frame: StompFrame) => void;

const HANDLERS: Readonly<Record<ClientCommand, Handler>> = {
  CONNECT: onConnect,
  STOMP: onConnect,
  SEND: onSend,
  SUBSCRIBE: onSubscribe,
  UNSUBSCRIBE: onUnsubscribe,
  ACK: onAck,
  NACK: onAck,
  BEGIN: onBegin,
  COMMIT: onCommit,
  ABORT: onAbort,
  DISCONNECT: onDisconnect,
};

export function dispatch(conn: StompConnection, frame: StompFrame): void {
  HANDLERS[frame.command as ClientCommand](conn, frame);
}
