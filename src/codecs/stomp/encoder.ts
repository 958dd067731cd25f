/**
 * STOMP frame encoder. One frame becomes one Buffer (one write, hence one WebSocket
 * message: browser clients expect whole frames per message).
 *
 * Headers are passed as a flat array [name0, value0, name1, value1, ...] so the hot
 * path (MESSAGE) allocates no per-header objects.
 */
import { escapeHeader } from './escape.js';
import type { ServerCommand, StompCommand, StompVersion } from './frame.js';
import { isUnescapedCommand } from './frame.js';

/** One EOL: a heart-beat (STOMP 1.2 "Heart-beating"). */
export const HEARTBEAT: Buffer = Buffer.from('\n', 'latin1');

export interface EncodeOptions {
  /**
   * Add a content-length header for the body (default true). The server always
   * sends it, so bodies containing NUL octets survive (STOMP 1.2 "Header content-length").
   */
  readonly contentLength?: boolean;
}

export function encodeFrame(
  command: StompCommand,
  headers: readonly string[],
  body: Buffer | undefined,
  version: StompVersion,
  opts?: EncodeOptions,
): Buffer {
  const raw = isUnescapedCommand(command);
  let head = command + '\n';
  for (let i = 0; i + 1 < headers.length; i += 2) {
    head += escapeHeader(headers[i]!, version, raw) + ':' + escapeHeader(headers[i + 1]!, version, raw) + '\n';
  }
  const bodyLen = body === undefined ? 0 : body.length;
  if (opts?.contentLength !== false && (body !== undefined || command === 'MESSAGE' || command === 'ERROR')) {
    head += 'content-length:' + bodyLen + '\n';
  }
  head += '\n';
  const headLen = Buffer.byteLength(head, 'utf8');
  const out = Buffer.allocUnsafe(headLen + bodyLen + 1);
  out.write(head, 0, 'utf8');
  if (body !== undefined && bodyLen > 0) body.copy(out, headLen);
  out[headLen + bodyLen] = 0;
  return out;
}

/** Convenience for server frames built from a header record (not used on the hot path). */
export function encodeServerFrame(
  command: ServerCommand,
  headers: Readonly<Record<string, string | undefined>>,
  body: Buffer | undefined,
  version: StompVersion,
): Buffer {
  const flat: string[] = [];
  for (const k of Object.keys(headers)) {
    const v = headers[k];
    if (v !== undefined) flat.push(k, v);
  }
  return encodeFrame(command, flat, body, version);
}
