/**
 * Typed MQTT control packets (3.1, 3.1.1 and 5.0). The decoder produces these and
 * the encoder consumes them; nothing here knows about sockets or the broker.
 *
 * Protocol levels: 3 = MQTT 3.1 ("MQIsdp"), 4 = MQTT 3.1.1, 5 = MQTT 5.0.
 */
import type { MqttProperties } from './properties.js';

export type ProtocolLevel = 3 | 4 | 5;
export type QoS = 0 | 1 | 2;

/** MQTT 5 §2.1.2 / MQTT 3.1.1 §2.2.1: control packet types (high nibble of byte 1). */
export const PacketType = {
  CONNECT: 1,
  CONNACK: 2,
  PUBLISH: 3,
  PUBACK: 4,
  PUBREC: 5,
  PUBREL: 6,
  PUBCOMP: 7,
  SUBSCRIBE: 8,
  SUBACK: 9,
  UNSUBSCRIBE: 10,
  UNSUBACK: 11,
  PINGREQ: 12,
  PINGRESP: 13,
  DISCONNECT: 14,
  AUTH: 15,
} as const;
export type PacketTypeNumber = (typeof PacketType)[keyof typeof PacketType];

export interface WillMessage {
  readonly topic: string;
  readonly payload: Buffer;
  readonly qos: QoS;
  readonly retain: boolean;
  /** MQTT 5 will properties (will delay interval, message expiry, content type ...). */
  readonly properties: MqttProperties;
}

export interface ConnectPacket {
  readonly type: 1;
  /** 'MQTT' (3.1.1, 5.0) or 'MQIsdp' (3.1). */
  readonly protocolName: string;
  readonly protocolLevel: ProtocolLevel;
  /** 3.1.1 clean session / 5.0 clean start. */
  readonly clean: boolean;
  readonly keepAlive: number;
  readonly properties: MqttProperties;
  readonly clientId: string;
  readonly will: WillMessage | undefined;
  readonly username: string | undefined;
  readonly password: Buffer | undefined;
}

export interface ConnackPacket {
  readonly type: 2;
  readonly sessionPresent: boolean;
  /** 3.1.1 return code (0..5) or 5.0 reason code. */
  readonly reasonCode: number;
  readonly properties: MqttProperties;
}

export interface PublishPacket {
  readonly type: 3;
  readonly topic: string;
  /** Present when qos > 0. */
  readonly packetId: number;
  readonly qos: QoS;
  readonly dup: boolean;
  readonly retain: boolean;
  readonly properties: MqttProperties;
  /** A slice of the received chunk (never copied). */
  readonly payload: Buffer;
}

/** PUBACK, PUBREC, PUBREL, PUBCOMP share one shape (MQTT 5 §3.4-3.7). */
export interface AckPacket {
  readonly type: 4 | 5 | 6 | 7;
  readonly packetId: number;
  readonly reasonCode: number;
  readonly properties: MqttProperties;
}

export interface Subscription {
  readonly topicFilter: string;
  readonly qos: QoS;
  /** MQTT 5 subscription options (§3.8.3.1); false/0 for older levels. */
  readonly noLocal: boolean;
  readonly retainAsPublished: boolean;
  readonly retainHandling: 0 | 1 | 2;
}

export interface SubscribePacket {
  readonly type: 8;
  readonly packetId: number;
  readonly properties: MqttProperties;
  readonly subscriptions: readonly Subscription[];
}

export interface SubackPacket {
  readonly type: 9;
  readonly packetId: number;
  readonly properties: MqttProperties;
  readonly reasonCodes: readonly number[];
}

export interface UnsubscribePacket {
  readonly type: 10;
  readonly packetId: number;
  readonly properties: MqttProperties;
  readonly topicFilters: readonly string[];
}

export interface UnsubackPacket {
  readonly type: 11;
  readonly packetId: number;
  readonly properties: MqttProperties;
  /** MQTT 5 only; empty for 3.1.1. */
  readonly reasonCodes: readonly number[];
}

export interface PingreqPacket {
  readonly type: 12;
}
export interface PingrespPacket {
  readonly type: 13;
}

export interface DisconnectPacket {
  readonly type: 14;
  readonly reasonCode: number;
  readonly properties: MqttProperties;
}

export interface AuthPacket {
  readonly type: 15;
  readonly reasonCode: number;
  readonly properties: MqttProperties;
}

export type MqttPacket =
  | ConnectPacket
  | ConnackPacket
  | PublishPacket
  | AckPacket
  | SubscribePacket
  | SubackPacket
  | UnsubscribePacket
  | UnsubackPacket
  | PingreqPacket
  | PingrespPacket
  | DisconnectPacket
  | AuthPacket;
