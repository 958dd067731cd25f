/**
 * BEGIN / COMMIT / ABORT (STOMP 1.2 "BEGIN", "COMMIT", "ABORT"). SEND, ACK and NACK
 * frames naming a transaction are held and applied, in order, at COMMIT; ABORT drops
 * them (acks not applied leave their messages unacknowledged, as RabbitMQ does).
 */
import type { StompFrame } from '../../../codecs/stomp/frame.js';
import type { StompConnection } from '../connection.js';
import { missingHeader, StompError } from '../errors.js';
import { publish } from './send.js';
import { settle } from './ack.js';

export interface TxOp {
  readonly kind: 'send' | 'ack';
  readonly frame: StompFrame;
}

function txName(f: StompFrame): string {
  const tx = f.headers['transaction'];
  if (tx === undefined) throw missingHeader(f.command, 'transaction');
  return tx;
}

export function bufferInTransaction(conn: StompConnection, tx: string, op: TxOp): void {
  const ops = conn.transactions.get(tx);
  if (ops === undefined) throw new StompError('Invalid transaction', `transaction '${tx}' is not active`);
  if (ops.length >= conn.limits.maxTransactionFrames) {
    throw new StompError('Transaction too large', `transaction '${tx}' holds more than ${conn.limits.maxTransactionFrames} frames`);
  }
  const held = conn.transactionBytes + op.frame.body.length;
  if (held > conn.limits.maxTransactionBytes) {
    throw new StompError('Transaction too large', `open transactions hold more than ${conn.limits.maxTransactionBytes} body bytes`);
  }
  conn.transactionBytes = held;
  ops.push(op);
}

function release(conn: StompConnection, ops: readonly TxOp[]): void {
  for (const op of ops) conn.transactionBytes -= op.frame.body.length;
}

export function onBegin(conn: StompConnection, f: StompFrame): void {
  const tx = txName(f);
  if (conn.transactions.has(tx)) throw new StompError('Invalid transaction', `transaction '${tx}' is already active`);
  if (conn.transactions.size >= conn.limits.maxTransactions) {
    throw new StompError('Too many transactions', `at most ${conn.limits.maxTransactions} open transactions per connection`);
  }
  conn.transactions.set(tx, []);
  conn.receipt(f.headers['receipt']);
}

export function onCommit(conn: StompConnection, f: StompFrame): void {
  const tx = txName(f);
  const ops = conn.transactions.get(tx);
  if (ops === undefined) throw new StompError('Invalid transaction', `transaction '${tx}' is not active`);
  conn.transactions.delete(tx);
  release(conn, ops);
  let needsSync = false;
  for (const op of ops) {
    if (op.kind === 'send') needsSync = publish(conn, op.frame) || needsSync;
    else settle(conn, op.frame);
  }
  if (needsSync) conn.receiptAfterSync(f.headers['receipt']);
  else conn.receipt(f.headers['receipt']);
  conn.blockIfAlarm();
}

export function onAbort(conn: StompConnection, f: StompFrame): void {
  const tx = txName(f);
  const ops = conn.transactions.get(tx);
  if (ops === undefined) throw new StompError('Invalid transaction', `transaction '${tx}' is not active`);
  conn.transactions.delete(tx);
  release(conn, ops);
  conn.receipt(f.headers['receipt']);
}
