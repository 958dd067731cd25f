/** The AMQP 0-9-1 error mapping (src/protocols/amqp091/errors.ts). 541 is only reachable by a broker bug, so it is tested here. */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { AmqpCodecError } from '../../../src/codecs/amqp091/index.js';
import { BrokerError, ErrorCode } from '../../../src/core/errors.js';
import { AmqpError, replyText, toAmqpError } from '../../../src/protocols/amqp091/errors.js';

test('core error codes map to RabbitMQ reply codes, soft vs hard', () => {
  const cases: Array<[ErrorCode, number, boolean]> = [
    [ErrorCode.NotFound, 404, false],
    [ErrorCode.PreconditionFailed, 406, false],
    [ErrorCode.ResourceLocked, 405, false],
    [ErrorCode.AccessRefused, 403, false],
    [ErrorCode.ResourceError, 506, false],
    [ErrorCode.NotAllowed, 530, true],
    [ErrorCode.CommandInvalid, 503, true],
    [ErrorCode.NotImplemented, 540, true],
    [ErrorCode.InternalError, 541, true],
  ];
  for (const [code, reply, hard] of cases) {
    const e = toAmqpError(new BrokerError(code, 'why'), 50, 10);
    assert.equal(e.replyCode, reply, code);
    assert.equal(e.hard, hard, code);
    assert.equal(e.classId, 50);
    assert.equal(e.methodId, 10);
  }
});

test('unexpected exceptions become 541 INTERNAL_ERROR, a connection error', () => {
  const e = toAmqpError(new TypeError('bug'), 60, 40);
  assert.equal(e.replyCode, 541);
  assert.equal(e.hard, true);
  assert.equal(e.replyText, 'INTERNAL_ERROR - internal error');
});

test('codec errors keep their code and the method they name', () => {
  const e = toAmqpError(new AmqpCodecError(502, 'unknown field type 0x7a', 50, 10));
  assert.equal(e.replyCode, 502);
  assert.equal(e.hard, true);
  assert.deepEqual([e.classId, e.methodId], [50, 10]);
  assert.equal(e.replyText, 'SYNTAX_ERROR - unknown field type 0x7a');
});

test('reply text has the RabbitMQ prefix and fits a short string', () => {
  assert.equal(replyText(404, "no queue 'q' in vhost '/'"), "NOT_FOUND - no queue 'q' in vhost '/'");
  const long = replyText(406, 'é'.repeat(300));
  assert.ok(Buffer.byteLength(long) <= 255);
  assert.ok(long.startsWith('PRECONDITION_FAILED - é'));
  assert.equal(new AmqpError(320, "broker forced connection closure with reason 'shutdown'").replyText, "CONNECTION_FORCED - broker forced connection closure with reason 'shutdown'");
});
