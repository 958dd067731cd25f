import { randomBytes } from 'node:crypto';

/** RabbitMQ's resource text: "queue 'q' in vhost '/'" (rabbit_misc:rs/1). */
export const rs = (kind: 'queue' | 'exchange', name: string, vhost: string): string => `${kind} '${name}' in vhost '${vhost}'`;

/**
 * Server-named queues look like RabbitMQ's: "amq.gen-" followed by 16 random bytes
 * in URL-safe base64 without padding (22 characters).
 */
export const generateQueueName = (): string => `amq.gen-${randomBytes(16).toString('base64url')}`;

/** Direct reply-to pseudo-queue (RabbitMQ "amq.rabbitmq.reply-to"). */
export const DIRECT_REPLY_TO = 'amq.rabbitmq.reply-to';
export const DIRECT_REPLY_PREFIX = 'amq.rabbitmq.reply-to.';
