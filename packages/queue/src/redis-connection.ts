import type { ConnectionOptions } from 'bullmq';

/**
 * BullMQ connection settings for a Redis URL. Workers block on Redis, so commands must wait for
 * a reconnect rather than fail after a few retries (`maxRetriesPerRequest: null`, as BullMQ
 * requires for workers).
 */
export function bullConnection(redisUrl: string): ConnectionOptions {
  return { url: redisUrl, maxRetriesPerRequest: null };
}
