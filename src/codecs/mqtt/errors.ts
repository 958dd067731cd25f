/**
 * Thrown by the decoder for input that breaks the spec. `reasonCode` is the MQTT 5
 * reason code the connection closes with (DISCONNECT for 5.0, plain close for older
 * levels, since 3.1.1 has no server DISCONNECT [MQTT-4.8.0-1]).
 */
export class MqttCodecError extends Error {
  constructor(
    readonly reasonCode: number,
    message: string,
  ) {
    super(message);
    this.name = 'MqttCodecError';
  }
}

/** 0x81 Malformed Packet. */
export const malformed = (why: string): MqttCodecError => new MqttCodecError(0x81, why);
/** 0x82 Protocol Error. */
export const protocolError = (why: string): MqttCodecError => new MqttCodecError(0x82, why);
