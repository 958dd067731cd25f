/** connection.tune / tune-ok rules (AMQP 0-9-1 §1.4.2.5-6) as RabbitMQ applies them. */
import { FRAME_MIN_SIZE } from '../../codecs/amqp091/index.js';
import { notAllowed } from './errors.js';

/** RabbitMQ ?CHANNEL_MIN: a client may not negotiate channel_max below 1 (0 means "no limit"). */
const CHANNEL_MIN = 1;

/**
 * RabbitMQ validate_negotiated_integer_value: the client may lower the server's
 * value but not raise it, nor answer 0 ("no limit") when the server has a limit.
 */
function check(field: string, min: number, server: number, client: number): void {
  if (client !== 0 && client < min) {
    throw notAllowed(`negotiated ${field} = ${client} is lower than the minimum allowed value (${min})`);
  }
  if (server !== 0 && (client === 0 || client > server)) {
    throw notAllowed(`negotiated ${field} = ${client} is higher than the maximum allowed value (${server})`);
  }
}

export function checkTuneOk(server: { frameMax: number; channelMax: number }, client: { frameMax: number; channelMax: number }): void {
  check('frame_max', FRAME_MIN_SIZE, server.frameMax, client.frameMax);
  check('channel_max', CHANNEL_MIN, server.channelMax, client.channelMax);
}
