/**
 * Errors and closing of an AMQP 0-9-1 connection: connection.close with a reply code
 * and the wait for close-ok (§1.4.2.6), handshake errors, lost frame sync, broker
 * shutdown, and the teardown once the stream is gone.
 */
import type { AmqpConnection } from './connection.js';
import { State } from './connection-state.js';
import { AmqpError, toAmqpError } from './errors.js';

/** Hard error: connection.close with the reply code, wait for close-ok (§1.4.2.6). */
export function closeWithError(c: AmqpConnection, err: AmqpError): void {
  if (c.state >= State.Closing) return;
  if (err.replyCode === 541) c.log.error({ err: err.cause ?? err }, 'amqp091: internal error');
  else c.log.info({ replyCode: err.replyCode, replyText: err.replyText }, 'amqp091: closing connection on error');
  const wasRunning = c.state === State.Running;
  releaseAll(c);
  c.state = State.Closing;
  c.out().method(0, 'connection.close', { replyCode: err.replyCode, replyText: err.replyText, classId: err.classId, methodId: err.methodId });
  if (!wasRunning) {
    endAfterFlush(c);
    return;
  }
  c.closeTimer = setTimeout(() => c.destroy(), c.limits.closeTimeoutMs);
  c.closeTimer.unref?.();
}

/** Errors before the connection is open: RabbitMQ closes the socket without a reply. */
export function handshakeError(c: AmqpConnection, why: string): void {
  c.log.warn({ why }, 'amqp091: handshake error');
  c.destroy();
}

/** The codec lost frame sync: report the error, then stop reading and close (RabbitMQ fatal_frame_error). */
export function lostSync(c: AmqpConnection, e: unknown): void {
  const err = toAmqpError(e);
  if (c.state < State.Running) {
    handshakeError(c, err.message);
    return;
  }
  closeWithError(c, err);
  c.suspendInput();
  endAfterFlush(c);
}

export function shutdown(c: AmqpConnection): void {
  if (c.state === State.Closed) return;
  if (c.state !== State.Running) {
    c.destroy();
    return;
  }
  closeWithError(c, new AmqpError(320, "broker forced connection closure with reason 'shutdown'"));
  endAfterFlush(c);
}

export function endAfterFlush(c: AmqpConnection): void {
  c.flushNow();
  c.stream.end();
}

/** Tear down every channel (requeue unacked, cancel consumers), then release the vhost's hold. */
export function releaseAll(c: AmqpConnection): void {
  if (c.channelMap !== undefined) for (const ch of c.channelMap.values()) ch.teardown();
  c.channelMap?.clear();
  c.confirmsDirty?.clear();
  if (!c.vhostReleased && c.vhost !== undefined) {
    c.vhostReleased = true;
    try {
      c.vhost.connectionClosed(c.id);
    } catch (err) {
      c.log.error({ err }, 'amqp091: connectionClosed failed');
    }
  }
}

export function onStreamClosed(c: AmqpConnection): void {
  if (c.state === State.Closed) return;
  c.state = State.Closed;
  releaseAll(c);
  if (c.handshakeTimer !== undefined) clearTimeout(c.handshakeTimer);
  c.heartbeats?.stop();
  if (c.closeTimer !== undefined) clearTimeout(c.closeTimer);
  c.handshakeTimer = c.closeTimer = undefined;
  c.live.remove(c);
  c.backlog.length = 0;
}
