/**
 * Content header payload (AMQP 0-9-1 §4.2.6.1): class-id, weight (must be 0),
 * body-size (64-bit), property flags, property list. Flag bit 15 of the first
 * flags word is the first property; bit 0 set means another flags word follows
 * (§4.2.6.1: "property flags ... bit 0 ... continuation").
 */
import { frameError } from './codec-error.js';
import type { BasicProperties } from './spec.js';
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

export interface ContentHeader {
  readonly classId: number;
  readonly bodySize: number;
  readonly properties: BasicProperties;
}

/** Decode the property list of class basic. Unknown trailing flag words are refused. */
export function decodeContentHeader(r: WireReader): ContentHeader {
  const classId = r.short();
  const weight = r.short();
  if (weight !== 0) throw frameError(`content header weight must be 0, got ${weight}`);
  const bodySize = r.longlong();
  const flags = r.short();
  if ((flags & 1) !== 0) throw frameError('content header: more property flags than class basic defines');
  const p: BasicProperties = {};
  if (flags & 0x8000) p.contentType = r.shortstr();
  if (flags & 0x4000) p.contentEncoding = r.shortstr();
  if (flags & 0x2000) p.headers = r.table();
  if (flags & 0x1000) p.deliveryMode = r.octet();
  if (flags & 0x0800) p.priority = r.octet();
  if (flags & 0x0400) p.correlationId = r.shortstr();
  if (flags & 0x0200) p.replyTo = r.shortstr();
  if (flags & 0x0100) p.expiration = r.shortstr();
  if (flags & 0x0080) p.messageId = r.shortstr();
  if (flags & 0x0040) p.timestamp = r.longlong();
  if (flags & 0x0020) p.type = r.shortstr();
  if (flags & 0x0010) p.userId = r.shortstr();
  if (flags & 0x0008) p.appId = r.shortstr();
  if (flags & 0x0004) p.clusterId = r.shortstr();
  return { classId, bodySize, properties: p };
}

/** Encode a content header payload for class basic (60). */
export function encodeContentHeader(w: WireWriter, bodySize: number, p: BasicProperties, classId = 60): void {
  w.short(classId);
  w.short(0);
  w.longlong(bodySize);
  w.ensure(2);
  const flagsAt = w.pos - w.origin;
  w.pos += 2;
  let flags = 0;
  if (p.contentType !== undefined) { flags |= 0x8000; w.shortstr(p.contentType); }
  if (p.contentEncoding !== undefined) { flags |= 0x4000; w.shortstr(p.contentEncoding); }
  if (p.headers !== undefined) { flags |= 0x2000; w.table(p.headers); }
  if (p.deliveryMode !== undefined) { flags |= 0x1000; w.octet(p.deliveryMode); }
  if (p.priority !== undefined) { flags |= 0x0800; w.octet(p.priority); }
  if (p.correlationId !== undefined) { flags |= 0x0400; w.shortstr(p.correlationId); }
  if (p.replyTo !== undefined) { flags |= 0x0200; w.shortstr(p.replyTo); }
  if (p.expiration !== undefined) { flags |= 0x0100; w.shortstr(p.expiration); }
  if (p.messageId !== undefined) { flags |= 0x0080; w.shortstr(p.messageId); }
  if (p.timestamp !== undefined) { flags |= 0x0040; w.longlong(p.timestamp); }
  if (p.type !== undefined) { flags |= 0x0020; w.shortstr(p.type); }
  if (p.userId !== undefined) { flags |= 0x0010; w.shortstr(p.userId); }
  if (p.appId !== undefined) { flags |= 0x0008; w.shortstr(p.appId); }
  if (p.clusterId !== undefined) { flags |= 0x0004; w.shortstr(p.clusterId); }
  const at = w.origin + flagsAt;
  w.buf[at] = flags >>> 8;
  w.buf[at + 1] = flags & 0xff;
}
