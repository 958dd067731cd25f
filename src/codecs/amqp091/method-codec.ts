/**
 * Method frame payloads (AMQP 0-9-1 §4.2.4): class-id, method-id, then the
 * arguments in table order. Consecutive bit arguments are packed into octets,
 * least significant bit first (§4.2.5.2). Decoding and encoding both walk the one
 * static table in spec.ts.
 */
import { AmqpCodecError } from './codec-error.js';
import { methodSpecById, type AnyMethod, type MethodArgs, type MethodName, type MethodSpec } from './spec.js';
import type { WireReader } from './wire-reader.js';
import type { WireWriter } from './wire-writer.js';

/**
 * Decode the arguments of a method whose class/method ids were already read.
 * Unknown ids -> 540 NOT_IMPLEMENTED; truncated or over-long fields -> 501 FRAME_ERROR
 * (RabbitMQ: "cannot decode"); bad field types -> 502 SYNTAX_ERROR.
 */
export function decodeMethodArgs(r: WireReader, classId: number, methodId: number): AnyMethod {
  if (classId === 60) {
    // Hot path: the methods sent per message get fixed-shape objects without the table walk.
    try {
      switch (methodId) {
        case 40: {
          const ticket = r.short();
          const exchange = r.shortstr();
          const routingKey = r.shortstr();
          const bits = r.octet();
          return { name: 'basic.publish', ticket, exchange, routingKey, mandatory: (bits & 1) !== 0, immediate: (bits & 2) !== 0 };
        }
        case 80: {
          const deliveryTag = r.longlong();
          return { name: 'basic.ack', deliveryTag, multiple: (r.octet() & 1) !== 0 };
        }
      }
    } catch (e) {
      if (e instanceof AmqpCodecError) throw new AmqpCodecError(e.replyCode, e.message, classId, methodId);
      throw e;
    }
  }
  const spec = methodSpecById(classId, methodId);
  if (spec === undefined) {
    throw new AmqpCodecError(540, `unknown method: class ${classId}, method ${methodId}`, classId, methodId);
  }
  const out: Record<string, unknown> = { name: spec.name };
  try {
    let bits = 0;
    let bitIndex = 8; // 8 = no octet loaded
    for (const [name, type] of spec.args) {
      if (type === 'bit') {
        if (bitIndex === 8) {
          bits = r.octet();
          bitIndex = 0;
        }
        out[name] = (bits & (1 << bitIndex)) !== 0;
        bitIndex++;
        continue;
      }
      bitIndex = 8;
      switch (type) {
        case 'octet': out[name] = r.octet(); break;
        case 'short': out[name] = r.short(); break;
        case 'long': out[name] = r.long(); break;
        case 'longlong': out[name] = r.longlong(); break;
        case 'shortstr': out[name] = r.shortstr(); break;
        case 'longstr': out[name] = r.longstr(); break;
        case 'table': out[name] = r.table(); break;
      }
    }
  } catch (e) {
    if (e instanceof AmqpCodecError) throw new AmqpCodecError(e.replyCode, e.message, classId, methodId);
    throw e;
  }
  return out as unknown as AnyMethod;
}

/** Encode class-id, method-id and the arguments of `spec`. */
export function encodeMethodPayload(w: WireWriter, spec: MethodSpec, args: Readonly<Record<string, unknown>>): void {
  w.short(spec.classId);
  w.short(spec.methodId);
  let bitAt = -1; // absolute position of the octet collecting bits, -1 = none open
  let bitIndex = 0;
  for (const [name, type] of spec.args) {
    const v = args[name];
    if (type === 'bit') {
      if (bitAt < 0 || bitIndex === 8) {
        w.octet(0);
        bitAt = w.pos - 1 - w.origin;
        bitIndex = 0;
      }
      if (v === true) w.buf[w.origin + bitAt]! |= 1 << bitIndex;
      bitIndex++;
      continue;
    }
    bitAt = -1;
    switch (type) {
      case 'octet': w.octet((v as number | undefined) ?? 0); break;
      case 'short': w.short((v as number | undefined) ?? 0); break;
      case 'long': w.long((v as number | undefined) ?? 0); break;
      case 'longlong': w.longlong((v as number | undefined) ?? 0); break;
      case 'shortstr': w.shortstr((v as string | undefined) ?? ''); break;
      case 'longstr': w.longstr((v as Buffer | string | undefined) ?? ''); break;
      case 'table': w.table(v as Parameters<WireWriter['table']>[0]); break;
    }
  }
}

/** Arguments for encoding: every field optional (zero / '' / false / empty table). */
export type MethodInput<N extends MethodName> = Partial<MethodArgs<N>>;
