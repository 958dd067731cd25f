/** AMQP 0-9-1 codec: bytes in, typed frames out, and back. No sockets, no clock, no broker types. */
export * from './constants.js';
export * from './codec-error.js';
export * from './field-values.js';
export * from './spec.js';
export { WireReader, MAX_FIELD_DEPTH } from './wire-reader.js';
export { WireWriter } from './wire-writer.js';
export { decodeMethodArgs, encodeMethodPayload, type MethodInput } from './method-codec.js';
export { decodeContentHeader, encodeContentHeader, type ContentHeader } from './content-header.js';
export * from './frame-parser.js';
export { FrameEncoder, type FrameSink } from './frame-encoder.js';
