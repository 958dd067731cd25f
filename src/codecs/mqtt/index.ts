/** MQTT 3.1 / 3.1.1 / 5.0 codec: bytes in, typed packets out, and back. No sockets, no clock. */
export * from './packets.js';
export * from './properties.js';
export * from './reason-codes.js';
export * from './errors.js';
export * from './decoder.js';
export * from './encoder.js';
export { MAX_VARINT, varIntSize } from './varint.js';
export { decodeUtf8 } from './reader.js';
